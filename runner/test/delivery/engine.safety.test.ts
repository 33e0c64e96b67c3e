/**
 * The engine's guards around seller values: the workflow the runner executes is its template with
 * the runner's own switches, the same for every endpoint; an expression that is not in the
 * template file is refused; and settings handed over as data are used as they are, never mixed
 * with the template's example parameters.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { generateSigningSecret } from '../../../core/signing.js';
import { PAYLOAD_FORMATS } from '../../../core/types.js';
import { DELIVERY_SETTINGS_KEY } from '../../../nodes/shared/deliverySettings.js';
import { executeWorkflow, type WorkflowDefinition } from '../../src/engine/execute.js';
import { NODE_TYPE } from '../../src/engine/nodeTypes.js';
import { outputsOfNodeType, runError } from '../../src/engine/runResults.js';
import {
  ENDPOINT_SIGNING_CREDENTIAL_ID,
  TEMPLATE_BY_FORMAT,
  UntrustedExpressionError,
  deliverySettingsFor,
  expressionsNotFromTemplate,
  fillTemplate,
  loadTemplate,
  workflowForFormat,
} from '../../src/engine/templates.js';

let server: Server;
let url: string;
const bodies: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const credentials = {
  [ENDPOINT_SIGNING_CREDENTIAL_ID]: { secret: generateSigningSecret() },
};

const item = (deliveryId: string) => ({
  json: { firstName: '={{ 6*7 }}', messageType: 'new_lead', deliveryId },
  pairedItem: { item: 0 },
});

test.each(PAYLOAD_FORMATS)(
  '%s: the runner workflow differs from its template file only by the runner switches',
  (format) => {
    const template = loadTemplate(TEMPLATE_BY_FORMAT[format]);
    const filled = workflowForFormat(format);
    expect(workflowForFormat(format)).toEqual(filled);
    for (const node of filled.nodes) {
      const original = template.nodes.find((candidate) => candidate.name === node.name)!;
      const changed = Object.keys(node.parameters).filter(
        (name) =>
          JSON.stringify(node.parameters[name]) !== JSON.stringify(original.parameters[name]),
      );
      for (const name of changed) {
        if (name === 'respond') {
          // The trigger answers no request in the runner: one of its own two fixed options.
          expect(node.parameters[name]).toBe('whenReceived');
          continue;
        }
        expect(['verifySignature', 'validateMapping', 'signRequests']).toContain(name);
        expect(typeof node.parameters[name]).toBe('boolean');
      }
    }
    expect(expressionsNotFromTemplate(filled, template)).toEqual([]);
  },
);

test('an expression that is not in the template file is refused; the file’s own are kept', () => {
  const template = loadTemplate('json-delivery');
  const withSellerExpression: WorkflowDefinition = {
    ...template,
    nodes: template.nodes.map((node) =>
      node.type === NODE_TYPE.fieldMapper
        ? {
            ...node,
            parameters: {
              ...node.parameters,
              constants: { constant: [{ key: 'answer', value: '={{ 6*7 }}' }] },
            },
          }
        : node,
    ),
  };
  expect(expressionsNotFromTemplate(withSellerExpression, template)).toEqual([
    'Field Mapper › constants.constant.0.value',
  ]);
  // A template that holds an expression itself may keep it.
  expect(expressionsNotFromTemplate(withSellerExpression, withSellerExpression)).toEqual([]);
  expect(() => fillTemplate(withSellerExpression)).not.toThrow();
  const tampered = { ...withSellerExpression, nodes: [...withSellerExpression.nodes] };
  expect(
    expressionsNotFromTemplate(
      {
        ...tampered,
        nodes: tampered.nodes.map((node) =>
          node.type === NODE_TYPE.webhookDeliver
            ? { ...node, parameters: { ...node.parameters, url: '={{ $env.HOME }}' } }
            : node,
        ),
      },
      template,
    ),
  ).toEqual(['Field Mapper › constants.constant.0.value', 'Webhook Deliver › url']);
  expect(new UntrustedExpressionError(['Webhook Deliver › url']).message).toMatch(
    /not in its template file: Webhook Deliver › url/,
  );
});

test('settings handed over as data are sent as typed, and the template’s example URL is never used', async () => {
  const definition = workflowForFormat('json');
  const deliverySettings = deliverySettingsFor(
    {
      url,
      format: 'json',
      headers: [{ name: 'X-Calc', value: '={{ 1+1 }}' }],
      constants: [{ key: 'answer', value: '={{ 6*7 }}' }],
      fieldMappings: [{ field: 'firstName', output: '={{ $workflow.id }}' }],
      timeoutMs: 5000,
    },
    5,
  );
  const run = await executeWorkflow(definition, [item('msg_data_1')], {
    credentials,
    deliverySettings,
  });
  expect(runError(run)).toBeNull();
  const [delivered] = outputsOfNodeType(run, definition, NODE_TYPE.webhookDeliver, 'Lead Trigger');
  expect(delivered.json).toMatchObject({ success: true, url });
  expect(JSON.parse(bodies.at(-1)!)).toEqual({
    messageType: 'new_lead',
    '={{ $workflow': { 'id }}': '={{ 6*7 }}' },
    answer: '={{ 6*7 }}',
  });
});

test('malformed settings fail the run; nothing falls back to the template’s parameters', async () => {
  const definition = workflowForFormat('json');
  const sent = bodies.length;
  const run = await executeWorkflow(definition, [item('msg_bad_settings')], {
    credentials,
    deliverySettings: { url } as never,
  });
  const [delivered] = outputsOfNodeType(run, definition, NODE_TYPE.webhookDeliver, 'Lead Trigger');
  // The nodes run with Continue On Fail in the runner: the error travels on as the item's.
  expect(String(delivered?.json.error ?? runError(run))).toMatch(
    /delivery settings are invalid: format must be one of/,
  );
  expect(delivered?.json.success).not.toBe(true);
  expect(bodies.length).toBe(sent);
  expect(DELIVERY_SETTINGS_KEY).toBe('leadDeliverySettings');
});
