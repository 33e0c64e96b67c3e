/**
 * R9 secrets: endpoint header values, signing secrets (current and previous) and seller API keys
 * are nowhere in the database in plaintext, not in any table of the runner nor in pg-boss's,
 * after real deliveries, a retry, a Send test and a rotation; and the API never returns them in
 * full (endpoint, list, history), while the receiver does get them.
 */
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db';
import {
  eventually,
  readJson,
  startTestRunner,
  type SellerCreated,
  type TestRunner,
} from '../helpers/runner';

const AUTHORIZATION = 'Bearer crm-token-7f3a9c2e51d4';
const API_KEY_HEADER = 'xk_live_5b8e1d9f0a2c';

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
let seller: SellerCreated;
let endpointId: string;
const secrets: Record<string, string> = {
  'Authorization header': AUTHORIZATION,
  'X-Api-Key header': API_KEY_HEADER,
};

interface Attempt {
  status: string;
  requestHeaders: Record<string, string>;
}

async function history(): Promise<Attempt[]> {
  const response = await runner.seller(seller.apiKey, 'GET', `/v1/endpoints/${endpointId}/history`);
  expect(response.status).toBe(200);
  return (await readJson<{ items: Attempt[] }>(response)).items;
}

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb);
  receiver = await startReceiver('/hook');
  seller = await readJson<SellerCreated>(
    await runner.provider('/v1/sellers', { name: 'Secretive' }),
  );
  secrets['seller API key'] = seller.apiKey;
  const order = await readJson<{ id: string }>(
    await runner.provider('/v1/lead-orders', { sellerId: seller.id, name: 'Orders' }),
  );
  const created = await runner.seller(seller.apiKey, 'POST', '/v1/endpoints', {
    name: 'CRM',
    url: receiver.url,
    headers: [
      { name: 'Authorization', value: AUTHORIZATION },
      { name: 'X-Api-Key', value: API_KEY_HEADER },
      { name: 'X-Short', value: 'tiny' },
    ],
    constants: [{ key: 'source', value: 'marketplace' }],
  });
  expect(created.status).toBe(201);
  const endpoint = await readJson<{ id: string; signingSecret: string }>(created);
  endpointId = endpoint.id;
  secrets['signing secret'] = endpoint.signingSecret;

  // 1. a delivery; 2. a Send test; 3. a rotation, then a delivery that is retried once.
  await runner.provider('/v1/leads', { leadOrderId: order.id, lead: { email: 'a@example.com' } });
  await receiver.waitFor(1);
  await runner.seller(seller.apiKey, 'POST', `/v1/endpoints/${endpointId}/test`);
  const rotated = await runner.seller(
    seller.apiKey,
    'POST',
    `/v1/endpoints/${endpointId}/secret/rotate`,
  );
  secrets['rotated signing secret'] = (
    await readJson<{ signingSecret: string }>(rotated)
  ).signingSecret;
  receiver.reply((_request, response) =>
    response.writeHead(receiver.requests.length === 3 ? 503 : 200).end('ok'),
  );
  await runner.provider('/v1/leads', { leadOrderId: order.id, lead: { email: 'b@example.com' } });
  await receiver.waitFor(4);
  await eventually(async () => ((await history()).length >= 4 ? true : undefined));
});

afterAll(async () => {
  await receiver.close();
  await runner.stop();
  await testDb.drop();
});

test('the receiver got the real header values (the secrets were in play)', () => {
  for (const request of receiver.requests) {
    expect(request.headers.authorization).toBe(AUTHORIZATION);
    expect(request.headers['x-api-key']).toBe(API_KEY_HEADER);
  }
  expect(receiver.requests).toHaveLength(4);
});

test('no table of the runner or of pg-boss holds a secret in plaintext', async () => {
  const { rows: tables } = await testDb.db.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_schema = ANY ($1::text[]) AND table_type = 'BASE TABLE'
      ORDER BY 1, 2`,
    [[testDb.schema, testDb.bossSchema]],
  );
  const names = tables.map((t) => `${t.schema === testDb.schema ? '' : 'boss.'}${t.name}`);
  expect(names).toEqual(
    expect.arrayContaining(['endpoints', 'deliveries', 'attempts', 'api_keys', 'boss.job']),
  );

  let rowsScanned = 0;
  const found: string[] = [];
  for (const table of tables) {
    // The whole row as text: every column, jsonb and arrays included.
    const { rows } = await testDb.db.query<{ row: string }>(
      `SELECT t::text AS row FROM "${table.schema}"."${table.name}" t`,
    );
    rowsScanned += rows.length;
    for (const { row } of rows) {
      for (const [what, secret] of Object.entries(secrets)) {
        const hex = Buffer.from(secret, 'utf8').toString('hex');
        if (row.includes(secret) || row.includes(hex)) found.push(`${what} in ${table.name}`);
      }
    }
  }
  expect(found).toEqual([]);
  expect(rowsScanned).toBeGreaterThan(10);

  // What is there instead: sealed values, and attempts that recorded the headers' names.
  const { rows: endpoints } = await testDb.db.query<{
    headers: Array<{ name: string; value: string }>;
    signing_secret: string;
    previous_signing_secret: string;
  }>('SELECT headers, signing_secret, previous_signing_secret FROM endpoints WHERE id = $1', [
    endpointId,
  ]);
  expect(endpoints[0].headers.map((h) => h.value)).toEqual([
    expect.stringMatching(/^enc:v1:/),
    expect.stringMatching(/^enc:v1:/),
    expect.stringMatching(/^enc:v1:/),
  ]);
  expect(endpoints[0].signing_secret).toMatch(/^enc:v1:/);
  expect(endpoints[0].previous_signing_secret).toMatch(/^enc:v1:/);
  const { rows: attempts } = await testDb.db.query<{ request_headers: Record<string, string> }>(
    'SELECT request_headers FROM attempts WHERE endpoint_id = $1',
    [endpointId],
  );
  expect(attempts).toHaveLength(4);
  for (const attempt of attempts) {
    expect(Object.keys(attempt.request_headers)).toEqual(
      expect.arrayContaining(['Authorization', 'X-Api-Key', 'webhook-signature']),
    );
  }
});

test('GET endpoint and the list show redacted header values and no signing secret', async () => {
  const one = await readJson<Record<string, unknown>>(
    await runner.seller(seller.apiKey, 'GET', `/v1/endpoints/${endpointId}`),
  );
  const list = await readJson<{ items: Array<Record<string, unknown>> }>(
    await runner.seller(seller.apiKey, 'GET', '/v1/endpoints'),
  );
  for (const view of [one, list.items.find((item) => item.id === endpointId)!]) {
    expect(view.headers).toEqual([
      { name: 'Authorization', value: '••••51d4' },
      { name: 'X-Api-Key', value: '••••0a2c' },
      { name: 'X-Short', value: '••••' },
    ]);
    expect(view).not.toHaveProperty('signingSecret');
    expect(view.signingSecretPrefix).toBe(`${secrets['rotated signing secret'].slice(0, 10)}…`);
    const text = JSON.stringify(view);
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
  }
});

test('history shows the request headers with the secrets redacted', async () => {
  const items = await history();
  expect(items.map((item) => item.status).sort()).toEqual([
    'failure',
    'success',
    'success',
    'success',
  ]);
  for (const item of items) {
    expect(item.requestHeaders).toMatchObject({
      Authorization: '••••51d4',
      'X-Api-Key': '••••0a2c',
      'X-Short': '••••',
      'Content-Type': 'application/json',
      'webhook-signature': expect.stringMatching(/^v1,/),
    });
    const text = JSON.stringify(item);
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
  }
});
