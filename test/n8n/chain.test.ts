/**
 * The chain a seller builds, in a real n8n 2.41 (issue 21): the runner delivers to an endpoint
 * whose URL is n8n's Lead Trigger, and n8n's flow (the json-delivery template: Lead Trigger →
 * Field Mapper → Format Payload → Webhook Deliver) delivers to the seller's CRM, here a local
 * receiver. Every template is imported unchanged with n8n's own CLI; the chain runs a copy of
 * json-delivery with only the CRM URL and the ids changed, as a seller's copy would be.
 *
 * Needs n8n in the cache (test/n8n/install-n8n.sh) and a build (dist/): `npm run test:n8n`.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { generateSigningSecret, signatureHeaders, verifySignature } from '../../core/signing';
import { createTestDb, type TestDb } from '../../runner/test/helpers/db';
import { eventually, startTestRunner, type TestRunner } from '../../runner/test/helpers/runner';
import { createScenario, type Scenario } from '../../runner/test/helpers/scenario';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { installPackedPackage, prepareN8n, printedJson, type N8nServer } from './n8nServer';

const WORKFLOWS = resolve(__dirname, '..', '..', 'workflows');
const TEMPLATE_FILES = readdirSync(WORKFLOWS).filter((name) => name.endsWith('.json'));

const CHAIN = { id: 'LdTestChain00001', webhookId: '0c7d5e1a-2b3c-4d5e-8f90-a1b2c3d4e5f6' };
const ON_RECEIPT = { id: 'LdTestOnRecv0001', webhookId: '1d8e6f2b-3c4d-4e5f-9a01-b2c3d4e5f6a7' };
const OPERATOR = 'LdTestOperator01';
const CRM_SECRET = generateSigningSecret();

let testDb: TestDb;
let runner: TestRunner;
let n8n: N8nServer;
let crm: Receiver;
let seller: Scenario;
let endpointId: string;
let leadEventsSecret: string;
/** What `n8n execute` printed for the operator's workflow (the Lead Delivery node). */
let operatorRun: string;
/** How the CRM answers the next requests; then 200. */
const crmAnswers: number[] = [];

interface WorkflowFile {
  id: string;
  name: string;
  nodes: Array<{
    name: string;
    type: string;
    webhookId?: string;
    parameters: Record<string, unknown>;
  }>;
  [key: string]: unknown;
}

function template(file: string): WorkflowFile {
  return JSON.parse(readFileSync(join(WORKFLOWS, file), 'utf8')) as WorkflowFile;
}

/** A seller's copy of json-delivery: its own ids, the CRM's URL, and how its trigger answers. */
function sellersCopy(ids: { id: string; webhookId: string }, respond: string): WorkflowFile {
  const workflow = template('json-delivery.json');
  workflow.id = ids.id;
  workflow.name = `${workflow.name} (${ids.id})`;
  for (const node of workflow.nodes) {
    if (node.type.endsWith('.leadTrigger')) {
      node.webhookId = ids.webhookId;
      node.parameters.respond = respond;
    }
    if (node.type.endsWith('.webhookDeliver')) node.parameters.url = crm.url;
  }
  return workflow;
}

/** An operator's flow: a manual trigger, then the Lead Delivery node listing the endpoints. */
function operatorWorkflow() {
  return {
    id: OPERATOR,
    name: 'Operator: list endpoints',
    active: false,
    nodes: [
      {
        id: '5f0e8a7c-0001-4d2e-9c3b-000000000001',
        name: 'Start',
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        position: [0, 0],
        parameters: {},
      },
      {
        id: '5f0e8a7c-0001-4d2e-9c3b-000000000002',
        name: 'Lead Delivery',
        type: 'n8n-nodes-lead-delivery.leadDelivery',
        typeVersion: 1,
        position: [220, 0],
        parameters: { operation: 'listEndpoints' },
        credentials: { leadDeliveryApi: { id: 'lead-delivery-api', name: 'Lead Delivery API' } },
      },
    ],
    connections: {
      Start: { main: [[{ node: 'Lead Delivery', type: 'main', index: 0 }]] },
    },
    settings: { executionOrder: 'v1' },
  };
}

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb, { RETRY_SCHEDULE: '300ms,1s,2s' });
  crm = await startReceiver('/crm');
  crm.reply((_request, response) => {
    const status = crmAnswers.shift() ?? 200;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(status === 200 ? '{"ok":true}' : '{"error":"CRM unavailable"}');
  });
  n8n = await prepareN8n();

  // The runner endpoint whose URL is n8n's Lead Trigger, with the runner's default JSON format
  // and the catalogue's own names (the meeting fields mapped, so lead updates go to it).
  seller = await createScenario(runner, 'Seller A');
  const endpoint = await seller.createEndpoint({
    name: 'My n8n',
    url: n8n.webhookUrl(CHAIN.webhookId, 'lead-events'),
    type: 'both',
    fieldMappings: [
      'firstName',
      'lastName',
      'email',
      'phone',
      'requestedMeetingTime',
      'formattedRequestedMeetingTime',
    ].map((field) => ({ field, output: field })),
  });
  endpointId = endpoint.id;
  leadEventsSecret = (endpoint as unknown as { signingSecret: string }).signingSecret;

  await installPackedPackage(n8n);
  const credentialsFile = join(n8n.userFolder, 'credentials.json');
  writeFileSync(
    credentialsFile,
    JSON.stringify([
      {
        id: 'lead-events-signing-secret',
        name: 'Lead events signing secret',
        type: 'standardWebhooksSigningApi',
        data: { secret: leadEventsSecret, previousSecret: '' },
      },
      {
        id: 'endpoint-signing-secret',
        name: 'Endpoint signing secret',
        type: 'standardWebhooksSigningApi',
        data: { secret: CRM_SECRET, previousSecret: '' },
      },
      {
        id: 'lead-delivery-api',
        name: 'Lead Delivery API',
        type: 'leadDeliveryApi',
        data: { baseUrl: runner.baseUrl, apiKey: seller.apiKey },
      },
    ]),
  );
  await n8n.cli('import:credentials', `--input=${credentialsFile}`);
  const dir = join(n8n.userFolder, 'workflows');
  mkdirSync(dir);
  for (const file of TEMPLATE_FILES) writeFileSync(join(dir, file), JSON.stringify(template(file)));
  writeFileSync(join(dir, 'chain.json'), JSON.stringify(sellersCopy(CHAIN, 'afterDelivery')));
  writeFileSync(
    join(dir, 'on-receipt.json'),
    JSON.stringify(sellersCopy(ON_RECEIPT, 'whenReceived')),
  );
  writeFileSync(join(dir, 'operator.json'), JSON.stringify(operatorWorkflow()));
  await n8n.cli('import:workflow', '--separate', `--input=${dir}`);
  // Before n8n starts: `execute` runs a task runner broker of its own on the same port.
  operatorRun = await n8n.cli('execute', `--id=${OPERATOR}`, '--rawOutput');
  await n8n.cli('publish:workflow', `--id=${CHAIN.id}`);
  await n8n.cli('publish:workflow', `--id=${ON_RECEIPT.id}`);
  await n8n.start();
  // Its webhooks are registered once an unsigned request is refused by the trigger itself.
  for (const ids of [CHAIN, ON_RECEIPT]) {
    await eventually(async () => {
      const response = await fetch(n8n.webhookUrl(ids.webhookId, 'lead-events'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return response.status === 401 ? true : undefined;
    }, 60_000);
  }
}, 600_000);

afterAll(async () => {
  if (n8n) {
    if (process.env.SHOW_N8N_LOG === '1') process.stdout.write(n8n.log());
    await n8n.stop();
  }
  await crm?.close();
  await runner?.stop();
  await testDb?.drop();
});

async function settled(scenario: Scenario, id: string) {
  return eventually(async () => {
    const delivery = await scenario.delivery(id);
    return delivery.status === 'succeeded' || delivery.status === 'failed' ? delivery : undefined;
  }, 60_000);
}

async function historyOf(scenario: Scenario, deliveryId: string) {
  const response = await scenario.call('GET', `/v1/endpoints/${endpointId}/history?limit=100`);
  const { items } = (await response.json()) as {
    items: Array<{
      deliveryId: string;
      status: string;
      httpStatus: number | null;
      responseExcerpt: string | null;
      attempt: number;
    }>;
  };
  return items
    .filter((item) => item.deliveryId === deliveryId)
    .sort((a, b) => a.attempt - b.attempt);
}

test('every template was imported unchanged, and n8n loaded the package', async () => {
  const listed = await n8n.cli('list:workflow', '--onlyId');
  for (const file of TEMPLATE_FILES) expect(listed).toContain(template(file).id);
  // Imported inactive (n8n's default); only the two seller's copies were published.
  const active = await n8n.cli('list:workflow', '--active=true', '--onlyId');
  expect(active.match(/LdTest\w+/g)?.sort()).toEqual([CHAIN.id, ON_RECEIPT.id].sort());
  expect(n8n.log()).not.toMatch(/Skipping package|failed to load/i);
});

test('the Lead Delivery node, run by n8n, lists the endpoints through the runner API', () => {
  const run = printedJson(operatorRun) as {
    data: {
      resultData: {
        runData: Record<
          string,
          Array<{ data: { main: Array<Array<{ json: Record<string, unknown> }>> } }>
        >;
      };
    };
  };
  const items = run.data.resultData.runData['Lead Delivery'][0].data.main[0];
  expect(items.map((item) => [item.json.id, item.json.name, item.json.url])).toEqual([
    [endpointId, 'My n8n', n8n.webhookUrl(CHAIN.webhookId, 'lead-events')],
  ]);
});

test("a new lead and its update reach the CRM through n8n, with the runner's webhook-id", async () => {
  const intake = await seller.postLead({
    firstName: 'Jane',
    lastName: 'Doe',
    email: 'jane@example.com',
    timeZone: 'America/New_York',
  });
  const newLead = intake.deliveries[0];
  expect((await settled(seller, newLead.id)).status).toBe('succeeded');

  const [created] = await crm.waitFor(1);
  expect(created.headers['webhook-id']).toBe(newLead.id);
  expect(
    verifySignature({
      body: created.body,
      headers: created.headers as Record<string, string>,
      secrets: [CRM_SECRET],
    }),
  ).toEqual({ ok: true });
  expect(JSON.parse(created.body)).toEqual({
    messageType: 'new_lead',
    firstName: 'Jane',
    lastName: 'Doe',
    email: 'jane@example.com',
    phone: null,
    requestedMeetingTime: null,
    formattedRequestedMeetingTime: null,
  });
  // n8n answered after delivering, with a JSON body saying so (never the text firstEntryJson).
  const [answer] = await historyOf(seller, newLead.id);
  expect(answer).toMatchObject({ status: 'success', httpStatus: 200 });
  expect(JSON.parse(answer.responseExcerpt ?? '')).toMatchObject({ delivered: 1, failed: 0 });

  const update = await seller.changeMeeting(intake.leadId, '2026-04-22T15:45:00-04:00');
  const updateDelivery = update.deliveries[0];
  expect((await settled(seller, updateDelivery.id)).status).toBe('succeeded');
  const [, updated] = await crm.waitFor(2);
  expect(updated.headers['webhook-id']).toBe(updateDelivery.id);
  expect(JSON.parse(updated.body)).toMatchObject({
    messageType: 'lead_update',
    firstName: 'Jane',
    requestedMeetingTime: '2026-04-22T19:45:00+00:00',
    formattedRequestedMeetingTime: 'Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time',
  });
});

test('a CRM outage behind n8n is retried by the runner, shows why, and ends delivered', async () => {
  const before = crm.requests.length;
  crmAnswers.push(503);
  const delivery = (await seller.postLead({ firstName: 'Outage' })).deliveries[0];
  expect((await settled(seller, delivery.id)).status).toBe('succeeded');

  const attempts = await historyOf(seller, delivery.id);
  expect(attempts.map((a) => [a.status, a.httpStatus])).toEqual([
    ['failure', 502],
    ['success', 200],
  ]);
  expect(JSON.parse(attempts[0].responseExcerpt ?? '')).toMatchObject({
    error: {
      code: 'delivery_failed',
      message: 'Delivery to the receiver failed: HTTP 503 Service Unavailable',
    },
  });
  // The CRM saw the same delivery twice: refused, then taken.
  expect(crm.requests.slice(before).map((r) => r.headers['webhook-id'])).toEqual([
    delivery.id,
    delivery.id,
  ]);
});

test('a wrong signing secret is refused with 401 and nothing reaches the CRM', async () => {
  const before = crm.requests.length;
  const body = JSON.stringify({ messageType: 'new_lead', firstName: 'Mallory' });
  const headers = signatureHeaders({
    id: 'msg_forged',
    timestamp: new Date(),
    body,
    secrets: [generateSigningSecret()],
  });
  const response = await fetch(n8n.webhookUrl(CHAIN.webhookId, 'lead-events'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  expect(response.status).toBe(401);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
    'invalid_signature',
  );

  // A second seller's endpoint pointed at the same n8n: its secret is not the trigger's.
  const other = await createScenario(runner, 'Seller B');
  await other.createEndpoint({
    name: 'Not my n8n',
    url: n8n.webhookUrl(CHAIN.webhookId, 'lead-events'),
  });
  const refused = (await other.postLead({ firstName: 'Other' })).deliveries[0];
  const final = await settled(other, refused.id);
  expect(final).toMatchObject({ status: 'failed', lastError: 'HTTP 401 Unauthorized' });
  // Retried on the schedule (a 401 is a setting the seller corrects), never delivered.
  expect(final.attemptCount).toBe(4);
  expect(crm.requests.slice(before).map((r) => JSON.parse(r.body).firstName)).not.toContain(
    'Other',
  );
  expect(crm.requests).toHaveLength(before);
});

test('answering at once: n8n sends the JSON the trigger accepted', async () => {
  const body = JSON.stringify({
    messageType: 'new_lead',
    firstName: 'Quick',
    email: 'q@example.com',
  });
  const headers = signatureHeaders({
    id: 'msg_quick',
    timestamp: new Date(),
    body,
    secrets: [leadEventsSecret],
  });
  const response = await fetch(n8n.webhookUrl(ON_RECEIPT.webhookId, 'lead-events'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  expect(response.status).toBe(200);
  expect(await response.text()).toBe(JSON.stringify({ received: 1, accepted: 1 }));
  const [delivered] = await eventually(async () => {
    const found = crm.requests.filter((r) => r.headers['webhook-id'] === 'msg_quick');
    return found.length > 0 ? found : undefined;
  });
  expect(JSON.parse(delivered.body)).toMatchObject({ firstName: 'Quick' });
});
