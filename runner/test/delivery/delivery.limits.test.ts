/**
 * Per-endpoint limits end to end: maxConcurrency (deliveries in flight across workers) and
 * rateLimitPerSecond (a token bucket), and their validation in the API.
 */
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, type Scenario } from '../helpers/scenario';

let testDb: TestDb;
let first: TestRunner;
let second: TestRunner;
let receiver: Receiver;
let scenario: Scenario;

beforeAll(async () => {
  testDb = await createTestDb();
  // Two runners (two pg-boss instances and worker pools) on one database: limits are global.
  first = await startTestRunner(testDb, {}, { workerBatchSize: 3 });
  second = await startTestRunner(testDb, {}, { workerBatchSize: 3 });
});

afterAll(async () => {
  await first.stop();
  await second.stop();
  await testDb.drop();
});

beforeEach(async () => {
  receiver = await startReceiver('/hook');
  // A seller of its own per test: an endpoint of another test must not get these leads.
  scenario = await createScenario(first);
});

afterEach(async () => {
  await receiver.close();
});

async function allSucceeded(ids: string[]) {
  return eventually(async () => {
    const all = await Promise.all(ids.map((id) => scenario.delivery(id)));
    return all.every((d) => d.status === 'succeeded') ? all : undefined;
  }, 30000);
}

test('maxConcurrency: never more in flight than the limit, across two workers', async () => {
  let inFlight = 0;
  let peak = 0;
  receiver.reply((_request, response) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    setTimeout(() => {
      inFlight -= 1;
      response.writeHead(200).end('ok');
    }, 150);
  });
  const endpoint = await scenario.createEndpoint({ url: receiver.url, maxConcurrency: 2 });
  expect(endpoint.maxConcurrency).toBe(2);
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) {
    ids.push((await scenario.postLead({ firstName: `C${i}` })).deliveries[0].id);
  }
  const done = await allSucceeded(ids);
  expect(peak).toBe(2);
  expect(receiver.requests).toHaveLength(12);
  expect(done.map((d) => d.attemptCount)).toEqual(ids.map(() => 1));
});

test('rateLimitPerSecond: a bucket of one second; no five attempts within 1.5 s at 2/s', async () => {
  const endpoint = await scenario.createEndpoint({ url: receiver.url, rateLimitPerSecond: 2 });
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) {
    ids.push((await scenario.postLead({ firstName: `R${i}` })).deliveries[0].id);
  }
  await allSucceeded(ids);
  expect(receiver.requests).toHaveLength(8);
  const { rows } = await testDb.db.query<{ started_at: Date }>(
    `SELECT started_at FROM attempts WHERE endpoint_id = $1 ORDER BY started_at`,
    [endpoint.id],
  );
  const at = rows.map((row) => row.started_at.getTime());
  expect(at).toHaveLength(8);
  // A bucket of 2 refilled at 2/s admits at most 2 + 2·T attempts in any T seconds: the 1st and
  // 5th of any five start ≥ 1.5 s apart (300 ms allowed between the claim and the request start).
  for (let i = 0; i + 4 < at.length; i++) expect(at[i + 4] - at[i]).toBeGreaterThanOrEqual(1200);
  expect((await scenario.getEndpoint(endpoint.id)).rateLimitPerSecond).toBe(2);
});

test('limits: validated on save, null clears them', async () => {
  const bad = await scenario.call('POST', '/v1/endpoints', {
    name: 'x',
    url: receiver.url,
    maxConcurrency: 0,
    rateLimitPerSecond: -1,
  });
  expect(bad.status).toBe(400);
  const body = (await bad.json()) as { error: { details: Array<{ path: string }> } };
  expect(body.error.details.map((d) => d.path).sort()).toEqual([
    'maxConcurrency',
    'rateLimitPerSecond',
  ]);
  const fractional = await scenario.call('POST', '/v1/endpoints', {
    name: 'x',
    url: receiver.url,
    maxConcurrency: 1.5,
  });
  expect(fractional.status).toBe(400);

  const endpoint = await scenario.createEndpoint({
    url: receiver.url,
    maxConcurrency: 5,
    rateLimitPerSecond: 0.5,
  });
  expect(endpoint).toMatchObject({ maxConcurrency: 5, rateLimitPerSecond: 0.5 });
  const kept = await scenario.call('PATCH', `/v1/endpoints/${endpoint.id}`, { name: 'renamed' });
  expect(await kept.json()).toMatchObject({ maxConcurrency: 5, rateLimitPerSecond: 0.5 });
  const cleared = await scenario.call('PATCH', `/v1/endpoints/${endpoint.id}`, {
    maxConcurrency: null,
    rateLimitPerSecond: null,
  });
  expect(cleared.status).toBe(200);
  expect(await cleared.json()).toMatchObject({ maxConcurrency: null, rateLimitPerSecond: null });
});
