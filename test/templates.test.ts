/**
 * R10: every template in workflows/ runs, as exported, through a real n8n-core WorkflowExecute
 * (the runner's engine) and a real local HTTP receiver gets the golden bodies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { generateSigningSecret, verifySignature } from '../core/signing';
import { withMeetingFields } from '../core/meeting';
import { executeWorkflow, type WorkflowDefinition } from '../runner/src/engine/execute';
import { outputsOfNodeType, runError } from '../runner/src/engine/runResults';
import { NODE_TYPE } from '../runner/src/engine/nodeTypes';
import { startReceiver, type Receiver } from './helpers/receiver';

const WORKFLOWS = join(__dirname, '..', 'workflows');
const TEMPLATE_FILES = readdirSync(WORKFLOWS).filter((name) => name.endsWith('.json'));
const golden = (name: string) => readFileSync(join(__dirname, 'golden', name), 'utf8');
const goldenJson = (name: string) => JSON.parse(golden(name)) as Record<string, unknown>;

function template(name: string): WorkflowDefinition {
  return JSON.parse(readFileSync(join(WORKFLOWS, `${name}.json`), 'utf8')) as WorkflowDefinition;
}

/** The template with some node parameters replaced (by node name), everything else as exported. */
function withParameters(
  definition: WorkflowDefinition,
  byNode: Record<string, INodeParameters>,
): WorkflowDefinition {
  return {
    ...definition,
    nodes: definition.nodes.map((node) =>
      byNode[node.name]
        ? { ...node, parameters: { ...node.parameters, ...byNode[node.name] } }
        : node,
    ),
  };
}

function leadItems(leads: Array<Record<string, string | null>>): INodeExecutionData[] {
  return leads.map((lead, index) => ({ json: { ...lead }, pairedItem: { item: index } }));
}

const SECRET = generateSigningSecret();
const CREDENTIALS = {
  'endpoint-signing-secret': { secret: SECRET },
  'lead-events-signing-secret': { secret: SECRET },
};

const JANE = { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' };
const JANE_UPDATE = withMeetingFields({
  ...JANE,
  timeZone: 'America/New_York',
  requestedMeetingTime: '2026-04-22T15:45:00-04:00',
}) as Record<string, string | null>;
const GEORGE = {
  firstName: 'George',
  lastName: 'Sanchez',
  email: 'george.sanchez@example.com',
  jobTitle: 'HR Specialist',
  company: 'Acme Corp',
  message: 'Looking for background check services for our team.',
};

let receiver: Receiver;
let updatesReceiver: Receiver;

beforeEach(async () => {
  receiver = await startReceiver('/leads');
  updatesReceiver = await startReceiver('/lead-updates');
});

afterEach(async () => {
  await receiver.close();
  await updatesReceiver.close();
});

async function run(definition: WorkflowDefinition, items: INodeExecutionData[]) {
  const result = await executeWorkflow(definition, items, { credentials: CREDENTIALS });
  expect(runError(result)).toBeNull();
  return result;
}

function expectSigned(headers: Record<string, unknown>, body: string, deliveryId: string) {
  expect(headers['webhook-id']).toBe(deliveryId);
  expect(
    verifySignature({ body, headers: headers as Record<string, string>, secrets: [SECRET] }),
  ).toEqual({ ok: true });
  expect(String(headers['user-agent'])).toMatch(/^lead-delivery\/\d+\.\d+\.\d+/);
}

describe('workflows/ templates executed by n8n-core WorkflowExecute', () => {
  test('every template is an n8n export with an id, our node types and valid connections', () => {
    const files = readdirSync(WORKFLOWS).filter((file) => file.endsWith('.json'));
    expect(files.sort()).toEqual([
      'form-delivery.json',
      'hubspot-delivery.json',
      'json-delivery.json',
      'separate-update-url.json',
      'xml-delivery.json',
    ]);
    const known = new Set<string>(Object.values(NODE_TYPE));
    for (const file of files) {
      const definition = JSON.parse(readFileSync(join(WORKFLOWS, file), 'utf8'));
      expect(typeof definition.id).toBe('string');
      expect(definition.id.length).toBeGreaterThan(0);
      expect(definition.name).toMatch(/^Lead delivery/);
      const names = new Set(definition.nodes.map((node: { name: string }) => node.name));
      for (const node of definition.nodes) {
        expect(known.has(node.type)).toBe(true);
        expect(node.typeVersion).toBe(1);
        expect(typeof node.id).toBe('string');
      }
      for (const [from, outputs] of Object.entries(definition.connections)) {
        expect(names.has(from)).toBe(true);
        for (const targets of (outputs as { main: Array<Array<{ node: string }>> }).main) {
          for (const target of targets) expect(names.has(target.node)).toBe(true);
        }
      }
    }
  });

  test('json-delivery: the seed flat example, signed, webhook-id = deliveryId', async () => {
    const definition = withParameters(template('json-delivery'), {
      'Field Mapper': {
        fieldMappings: {
          mapping: [
            { field: 'firstName', output: 'firstName' },
            { field: 'lastName', output: 'lastName' },
            { field: 'email', output: 'email' },
          ],
        },
      },
      'Webhook Deliver': { url: receiver.url },
    });
    const result = await run(
      definition,
      leadItems([{ ...JANE, messageType: 'new_lead', deliveryId: 'msg_flat_1' }]),
    );
    const [request] = await receiver.waitFor(1);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      messageType: 'new_lead',
      ...goldenJson('flat-json.json'),
    });
    expectSigned(request.headers, request.body, 'msg_flat_1');

    const [outcome] = outputsOfNodeType(
      result,
      definition,
      NODE_TYPE.webhookDeliver,
      'Lead Trigger',
    );
    expect(outcome.startIndex).toBe(0);
    expect(outcome.json).toMatchObject({ success: true, outcome: 'success', statusCode: 200 });
  });

  test('one definition run twice at once, then changed: each run gets its own items, the change applies', async () => {
    const mapping = (output: string) =>
      withParameters(template('json-delivery'), {
        'Field Mapper': { fieldMappings: { mapping: [{ field: 'firstName', output }] } },
        'Webhook Deliver': { url: receiver.url },
      });
    const lead = (deliveryId: string, firstName: string) =>
      leadItems([{ firstName, messageType: 'new_lead', deliveryId }]);
    // Equal definitions share one compiled n8n Workflow; concurrent runs must not mix their data.
    await Promise.all([
      run(mapping('given'), lead('msg_share_1', 'Ann')),
      run(mapping('given'), lead('msg_share_2', 'Bob')),
    ]);
    await run(mapping('name.first'), lead('msg_share_3', 'Cy'));
    const requests = await receiver.waitFor(3);
    const byId = Object.fromEntries(
      requests.map((request) => [request.headers['webhook-id'], JSON.parse(request.body)]),
    );
    expect(byId).toEqual({
      msg_share_1: { messageType: 'new_lead', given: 'Ann' },
      msg_share_2: { messageType: 'new_lead', given: 'Bob' },
      msg_share_3: { messageType: 'new_lead', name: { first: 'Cy' } },
    });
  });

  test('a workflow whose nodes have issues is refused at every run; a clean one runs again and again', async () => {
    const broken = withParameters(template('json-delivery'), { 'Webhook Deliver': { url: '' } });
    const items = () =>
      leadItems([{ ...JANE, messageType: 'new_lead', deliveryId: 'msg_issues_1' }]);
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(executeWorkflow(broken, items(), { credentials: CREDENTIALS })).rejects.toThrow(
        /issues/i,
      );
    }
    const clean = withParameters(template('json-delivery'), {
      'Webhook Deliver': { url: receiver.url },
    });
    await run(clean, items());
    await run(clean, items());
    expect(await receiver.waitFor(2)).toHaveLength(2);
  });

  test('json-delivery: dot notation nests (the seed nested example)', async () => {
    const definition = withParameters(template('json-delivery'), {
      'Field Mapper': {
        fieldMappings: {
          mapping: [
            { field: 'firstName', output: 'contact.firstName' },
            { field: 'lastName', output: 'contact.lastName' },
            { field: 'email', output: 'contact.email' },
          ],
        },
      },
      'Webhook Deliver': { url: receiver.url },
    });
    await run(
      definition,
      leadItems([{ ...JANE, messageType: 'new_lead', deliveryId: 'msg_nested_1' }]),
    );
    const [request] = await receiver.waitFor(1);
    expect(JSON.parse(request.body)).toEqual({
      messageType: 'new_lead',
      ...goldenJson('nested-json.json'),
    });
  });

  test('hubspot-delivery: the seed "George Sanchez" payload byte for byte', async () => {
    const hubspotGolden = goldenJson('hubspot-george-sanchez.json');
    const definition = withParameters(template('hubspot-delivery'), {
      'Format Payload': { endpointUrl: hubspotGolden.WEBHOOKURL as string },
      'Webhook Deliver': { url: receiver.url },
    });
    await run(
      definition,
      leadItems([{ ...GEORGE, messageType: 'new_lead', deliveryId: 'msg_hs_1' }]),
    );
    const [request] = await receiver.waitFor(1);
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual(hubspotGolden);
    expect(request.body).toBe(JSON.stringify(hubspotGolden));
  });

  test('xml-delivery: the lead update golden as XML', async () => {
    const definition = withParameters(template('xml-delivery'), {
      'Field Mapper': {
        fieldMappings: {
          mapping: [
            { field: 'firstName', output: 'firstName' },
            { field: 'lastName', output: 'lastName' },
            { field: 'email', output: 'email' },
            { field: 'requestedMeetingTime', output: 'requestedMeetingTime' },
            { field: 'formattedRequestedMeetingTime', output: 'formattedRequestedMeetingTime' },
            { field: 'phone', output: 'phone' },
          ],
        },
      },
      'Webhook Deliver': { url: receiver.url },
    });
    await run(
      definition,
      leadItems([{ ...JANE_UPDATE, messageType: 'lead_update', deliveryId: 'msg_xml_1' }]),
    );
    const [request] = await receiver.waitFor(1);
    expect(request.headers['content-type']).toMatch(/^application\/xml/);
    expect(request.body).toBe(golden('lead-update-jane-doe.xml'));
  });

  test('form-delivery: standard and meeting mappings, form-encoded golden', async () => {
    const definition = withParameters(template('form-delivery'), {
      'Webhook Deliver': { url: receiver.url },
    });
    await run(
      definition,
      leadItems([{ ...JANE, messageType: 'new_lead', deliveryId: 'msg_form_1' }]),
    );
    const [request] = await receiver.waitFor(1);
    expect(request.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    // A new lead has no meeting time yet: its meeting fields go out empty.
    expect(request.body).toBe(
      `${golden('flat.form.txt')}&requestedMeetingTime=&formattedRequestedMeetingTime=`,
    );
  });

  test.each(TEMPLATE_FILES)(
    '%s maps the standard fields and the meeting fields, so a lead_update carries them',
    async (file) => {
      const definition = template(file.replace(/\.json$/, ''));
      const mappers = definition.nodes.filter((node) => node.type === NODE_TYPE.fieldMapper);
      expect(mappers).toHaveLength(1);
      const fields = (
        mappers[0].parameters.fieldMappings as { mapping: Array<{ field: string }> }
      ).mapping.map((mapping) => mapping.field);
      expect(fields).toEqual(
        expect.arrayContaining([
          'firstName',
          'lastName',
          'email',
          'phone',
          'requestedMeetingTime',
          'formattedRequestedMeetingTime',
        ]),
      );
      // Run as exported (only the URLs pointed at the local receivers) with the Jane Doe update.
      const urls: Record<string, INodeParameters> = {};
      for (const node of definition.nodes) {
        if (node.type !== NODE_TYPE.webhookDeliver) continue;
        urls[node.name] = {
          url: node.name === 'Deliver Lead Updates' ? updatesReceiver.url : receiver.url,
        };
      }
      const hubspot = file.startsWith('hubspot');
      await run(
        withParameters(definition, urls),
        leadItems([{ ...JANE_UPDATE, messageType: 'lead_update', deliveryId: `msg_${file}` }]),
      );
      const sink = file.startsWith('separate') ? updatesReceiver : receiver;
      const [request] = await sink.waitFor(1);
      const text = file.startsWith('form')
        ? [...new URLSearchParams(request.body).entries()].flat().join('\n')
        : request.body;
      expect(text).toContain('2026-04-22T19:45:00+00:00');
      expect(text).toContain('Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time');
      if (!hubspot) expect(text).toContain('requestedMeetingTime');
    },
  );

  test('separate-update-url: new leads to one URL, the "Jane Doe" update to the other', async () => {
    const definition = withParameters(template('separate-update-url'), {
      'Field Mapper': {
        fieldMappings: {
          mapping: [
            { field: 'firstName', output: 'firstName' },
            { field: 'lastName', output: 'lastName' },
            { field: 'email', output: 'email' },
            { field: 'requestedMeetingTime', output: 'requestedMeetingTime' },
            { field: 'formattedRequestedMeetingTime', output: 'formattedRequestedMeetingTime' },
          ],
        },
      },
      'Deliver New Leads': { url: receiver.url },
      'Deliver Lead Updates': { url: updatesReceiver.url },
    });
    const result = await run(
      definition,
      leadItems([
        { ...JANE, messageType: 'new_lead', deliveryId: 'msg_sep_new' },
        { ...JANE_UPDATE, messageType: 'lead_update', deliveryId: 'msg_sep_update' },
      ]),
    );
    const [created] = await receiver.waitFor(1);
    const [updated] = await updatesReceiver.waitFor(1);
    expect(JSON.parse(created.body)).toMatchObject({ messageType: 'new_lead', firstName: 'Jane' });
    expect(created.headers['webhook-id']).toBe('msg_sep_new');
    expect(updated.body).toBe(JSON.stringify(goldenJson('lead-update-jane-doe.json')));
    expect(updated.headers['webhook-id']).toBe('msg_sep_update');
    expect(receiver.requests).toHaveLength(1);
    expect(updatesReceiver.requests).toHaveLength(1);

    const outcomes = outputsOfNodeType(
      result,
      definition,
      NODE_TYPE.webhookDeliver,
      'Lead Trigger',
    );
    expect(outcomes.map((o) => [o.nodeName, o.startIndex]).sort()).toEqual([
      ['Deliver Lead Updates', 1],
      ['Deliver New Leads', 0],
    ]);
  });

  test('many items in one execution: each delivered once, each traced to its start item', async () => {
    const definition = withParameters(template('json-delivery'), {
      'Webhook Deliver': { url: receiver.url, concurrency: 5 },
    });
    const leads = Array.from({ length: 40 }, (_, i) => ({
      ...JANE,
      email: `jane+${i}@example.com`,
      messageType: 'new_lead',
      deliveryId: `msg_many_${i}`,
    }));
    const result = await run(definition, leadItems(leads));
    await receiver.waitFor(40);
    const outcomes = outputsOfNodeType(
      result,
      definition,
      NODE_TYPE.webhookDeliver,
      'Lead Trigger',
    );
    expect(outcomes).toHaveLength(40);
    for (const outcome of outcomes) {
      expect(outcome.json.deliveryId).toBe(`msg_many_${outcome.startIndex}`);
    }
    const ids = receiver.requests.map((r) => r.headers['webhook-id']).sort();
    expect(new Set(ids).size).toBe(40);
  });
});
