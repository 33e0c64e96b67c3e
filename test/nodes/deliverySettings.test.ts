/**
 * Settings a host hands the nodes as data (the execution's flow context) instead of parameter
 * text: the Field Mapper, Format Payload and Webhook Deliver use them as they are and do not read
 * the parameters they replace; settings that are there but malformed are an error, never a reason
 * to use the parameters (a template's example URL) instead.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { generateSigningSecret } from '../../core/signing';
import { FieldMapper } from '../../nodes/FieldMapper/FieldMapper.node';
import { FormatPayload } from '../../nodes/FormatPayload/FormatPayload.node';
import { WebhookDeliver } from '../../nodes/WebhookDeliver/WebhookDeliver.node';
import {
  DELIVERY_SETTINGS_KEY,
  deliverySettingsProblem,
  type DeliverySettings,
} from '../../nodes/shared/deliverySettings';
import { executeContext, type FakeOptions, type OutputItem } from './fakeContext';

let server: Server;
let url: string;
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function settings(overrides: Partial<DeliverySettings> = {}): DeliverySettings {
  return {
    url,
    format: 'json',
    headers: [{ name: 'X-Calc', value: '={{ 1+1 }}' }],
    constants: [{ key: 'answer', value: '={{ 6*7 }}' }],
    fieldMappings: [{ field: 'firstName', output: '={{ $json.email }}' }],
    timeoutMs: 5000,
    concurrency: 2,
    ...overrides,
  };
}

/** Parameters that point elsewhere: a node that read them would show it. */
const decoyParameters = {
  fieldMappings: { mapping: [{ field: 'lastName', output: 'decoy' }] },
  constants: { constant: [{ key: 'decoy', value: 'decoy' }] },
  format: 'xml',
  endpointUrl: 'https://decoy.example.com/',
  url: 'https://decoy.example.com/',
  headers: { header: [{ name: 'X-Decoy', value: 'decoy' }] },
  timeoutMs: 1000,
  concurrency: 1,
  signRequests: true,
};

async function run(
  node: FieldMapper | FormatPayload | WebhookDeliver,
  options: FakeOptions,
): Promise<{ output: OutputItem[]; read: string[] }> {
  const { context, log } = executeContext(options);
  const [output] = (await node.execute.call(context)) as OutputItem[][];
  return { output, read: log.getNodeParameter.map((entry) => entry.name) };
}

const flow = (value: unknown) => ({ [DELIVERY_SETTINGS_KEY]: value });

test('Field Mapper maps with the handed-over mappings and constants, as typed', async () => {
  const { output, read } = await run(new FieldMapper(), {
    parameters: decoyParameters,
    flowContext: flow(settings()),
    items: [{ firstName: '={{ 1+1 }}', lastName: 'Doe', messageType: 'new_lead' }],
  });
  expect(output[0].json).toEqual({
    messageType: 'new_lead',
    fields: { '={{ $json.email }}': '={{ 1+1 }}', answer: '={{ 6*7 }}' },
  });
  expect(read).not.toContain('fieldMappings');
  expect(read).not.toContain('constants');
  expect(read).not.toContain('format');
});

test('Field Mapper validates handed-over mappings for their format', async () => {
  await expect(
    run(new FieldMapper(), {
      flowContext: flow(settings({ format: 'xml' })),
      items: [{ firstName: 'Jane', messageType: 'new_lead' }],
    }),
  ).rejects.toThrow(/not a valid XML element name/);
});

test('Format Payload uses the handed-over format and URL (HubSpot WEBHOOKURL)', async () => {
  const { output, read } = await run(new FormatPayload(), {
    parameters: decoyParameters,
    flowContext: flow(settings({ format: 'hubspot' })),
    items: [{ messageType: 'new_lead', fields: { email: '={{ 6*7 }}' } }],
  });
  expect(JSON.parse(output[0].json.body)).toEqual({
    fields: [{ name: 'email', value: '={{ 6*7 }}', objectTypeId: '0-1' }],
    WEBHOOKURL: url,
  });
  expect(read).not.toContain('format');
  expect(read).not.toContain('endpointUrl');
});

test('Webhook Deliver sends to the handed-over URL with its headers, as typed', async () => {
  const { output, read } = await run(new WebhookDeliver(), {
    parameters: decoyParameters,
    credentials: { standardWebhooksSigningApi: { secret: generateSigningSecret() } },
    flowContext: flow(settings()),
    items: [{ messageType: 'new_lead', deliveryId: 'msg_data', body: '{"a":"={{ 1 }}"}' }],
  });
  expect(output[0].json).toMatchObject({ success: true, url });
  const request = received.at(-1)!;
  expect(request.headers['x-calc']).toBe('={{ 1+1 }}');
  expect(request.headers['x-decoy']).toBeUndefined();
  expect(request.body).toBe('{"a":"={{ 1 }}"}');
  for (const name of ['url', 'headers', 'timeoutMs', 'concurrency']) {
    expect(read).not.toContain(name);
  }
});

test('malformed settings are an error, not a fall back on the parameters', async () => {
  const sent = received.length;
  await expect(
    run(new WebhookDeliver(), {
      parameters: { ...decoyParameters, url },
      credentials: { standardWebhooksSigningApi: { secret: generateSigningSecret() } },
      flowContext: flow({ url }),
      items: [{ messageType: 'new_lead', body: '{}' }],
    }),
  ).rejects.toThrow(/delivery settings are invalid/);
  expect(received.length).toBe(sent);
  expect(deliverySettingsProblem(settings())).toBeNull();
  expect(deliverySettingsProblem(null)).toBe('must be an object');
  expect(deliverySettingsProblem({ ...settings(), headers: [{ name: 1 }] })).toBe(
    'headers must be name/value pairs',
  );
});
