/**
 * R9 secrets are never logged: with the runner's logger (logging.ts) at its most verbose, API
 * requests with bearer keys, an endpoint created with secret header values, a failing request
 * whose error carries its inputs, and an n8n node error carrying the endpoint's parameters leave
 * no key, header value or signing secret in the log output.
 */
import { Writable } from 'node:stream';
import { NodeOperationError, type INode } from 'n8n-workflow';
import request from 'supertest';
import { createLogger, REDACTED } from '../../src/logging.js';
import { createTestApp, PROVIDER_KEY, type TestApp } from '../helpers/app.js';

const HEADER_SECRET = 'Bearer crm-live-token-93c1a7e5d2';
const API_KEY_HEADER = 'xk_live_4d2e8a1f6b9c';

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});
const logger = createLogger({ logLevel: 'trace' }, sink);

let t: TestApp;
let seller: { id: string; apiKey: string };
let signingSecret: string;

beforeAll(async () => {
  t = await createTestApp({ logger });
  seller = await t.createSeller('Logged seller');
  await t.as(seller.apiKey).get('/v1/endpoints').expect(200);
  const created = await t
    .as(seller.apiKey)
    .post('/v1/endpoints', {
      name: 'CRM',
      url: 'https://crm.example.com/in',
      headers: [
        { name: 'Authorization', value: HEADER_SECRET },
        { name: 'X-Api-Key', value: API_KEY_HEADER },
      ],
    })
    .expect(201);
  signingSecret = created.body.signingSecret;
  // Refused (400) with the secret header in the body, and a wrong key (401).
  await t
    .as(seller.apiKey)
    .post('/v1/endpoints', {
      name: '',
      url: 'https://crm.example.com/in',
      headers: [{ name: 'Authorization', value: HEADER_SECRET }],
    })
    .expect(400);
  await request(t.app).get('/v1/endpoints').set('authorization', `Bearer ${PROVIDER_KEY}x`);
  // A 500 whose error carries the request and the node that failed.
  t.delivery.sendTest = async (endpoint) => {
    throw Object.assign(new Error('engine exploded'), {
      body: JSON.stringify(endpoint.headers),
      node: { parameters: { headers: endpoint.headers, secret: endpoint.signingSecret } },
      config: { headers: { authorization: HEADER_SECRET } },
    });
  };
  await t.as(seller.apiKey).post(`/v1/endpoints/${created.body.id}/test`).expect(500);
  await new Promise((resolve) => setImmediate(resolve));
});
afterAll(() => t.close());

function expectNoSecrets(output: string): void {
  for (const secret of [
    seller.apiKey,
    PROVIDER_KEY,
    HEADER_SECRET,
    'crm-live-token-93c1a7e5d2',
    API_KEY_HEADER,
    signingSecret,
  ]) {
    expect(output).not.toContain(secret);
  }
}

test('requests are logged, with the Authorization header redacted', () => {
  const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request');
  expect(
    requests.map((entry) => `${entry.req.method} ${entry.req.path} ${entry.res.statusCode}`),
  ).toEqual(
    expect.arrayContaining([
      'GET /v1/endpoints 200',
      'POST /v1/endpoints 201',
      'POST /v1/endpoints 400',
      'GET /v1/endpoints 401',
      'POST /v1/sellers 201',
    ]),
  );
  const withKey = requests.filter((entry) => entry.req.headers?.authorization !== undefined);
  expect(withKey.length).toBeGreaterThanOrEqual(5);
  for (const entry of withKey) expect(entry.req.headers.authorization).toBe(REDACTED);
});

test('the failed request is logged with its error, without the inputs the error carried', () => {
  const failure = lines.map((line) => JSON.parse(line)).find((e) => e.msg === 'request failed');
  expect(failure).toBeDefined();
  expect(failure.err).toMatchObject({
    message: 'engine exploded',
    body: REDACTED,
    node: REDACTED,
    config: REDACTED,
  });
});

test('no key, header value or signing secret appears anywhere in the log output', () => {
  expect(lines.length).toBeGreaterThan(5);
  expectNoSecrets(lines.join('\n'));
});

test('an n8n node error (its node holds the endpoint headers) is logged without them', () => {
  const captured: string[] = [];
  const nodeLogger = createLogger(
    { logLevel: 'info' },
    { write: (line: string) => void captured.push(line) },
  );
  const node: INode = {
    id: 'deliver',
    name: 'Webhook Deliver',
    type: 'n8n-nodes-lead-delivery.webhookDeliver',
    typeVersion: 1,
    position: [0, 0],
    parameters: { headers: { header: [{ name: 'Authorization', value: HEADER_SECRET }] } },
  };
  const error = new NodeOperationError(node, 'delivery failed', { itemIndex: 0 });
  nodeLogger.error({ err: error, endpoint: { id: 'ep_1', signingSecret } }, 'workflow failed');
  // The same objects as bare fields: the redact paths catch them too.
  nodeLogger.warn(
    {
      headers: [{ name: 'X-Api-Key', value: API_KEY_HEADER }],
      endpoint: { headers: [{ name: 'Authorization', value: HEADER_SECRET }] },
      requestHeaders: { 'X-Api-Key': API_KEY_HEADER },
      config: { providerApiKey: PROVIDER_KEY },
    },
    'objects with secrets',
  );
  const output = captured.join('');
  expect(output).toContain('delivery failed');
  expect(output).toContain('objects with secrets');
  expectNoSecrets(output);
});

test('a PostgreSQL error is logged without its detail, which quotes the refused row', () => {
  const captured: string[] = [];
  const dbLogger = createLogger(
    { logLevel: 'info' },
    { write: (line: string) => void captured.push(line) },
  );
  const error = Object.assign(new Error('new row violates check constraint "attempts_excerpt"'), {
    code: '23514',
    detail: 'Failing row contains (att_1, jane.doe@example.com, +1 555 0100).',
  });
  dbLogger.error({ err: error }, 'recording attempts failed');
  const output = captured.join('');
  expect(output).toContain('violates check constraint');
  expect(output).toContain('23514');
  expect(output).not.toContain('jane.doe@example.com');
});
