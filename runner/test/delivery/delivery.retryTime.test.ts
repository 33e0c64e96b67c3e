/**
 * A delivery waiting for its retry goes out at its retry time and not before, however many jobs
 * name it: re-enabling its endpoint, a deferral or a wake-up may queue a second job for it, and
 * that job must leave it alone until then (it once sent a 503'd delivery again tens of
 * milliseconds after its first attempt instead of at its retry).
 */
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, type Scenario } from '../helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
let scenario: Scenario;

beforeAll(async () => {
  testDb = await createTestDb();
  // A retry an hour away: the only way the delivery can go out again during the test is early.
  runner = await startTestRunner(testDb, { RETRY_SCHEDULE: '1h', CIRCUIT_BREAKER_THRESHOLD: '0' });
  receiver = await startReceiver('/hook');
  scenario = await createScenario(runner);
});

afterAll(async () => {
  await receiver.close();
  await runner.stop();
  await testDb.drop();
});

/** Jobs naming the delivery that are due now (fetchable, or fetched and not done yet). */
async function dueJobs(deliveryId: string): Promise<number> {
  const { rows } = await testDb.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${testDb.bossSchema}.job
      WHERE name = 'deliveries' AND data ->> 'deliveryId' = $1 AND start_after <= now()`,
    [deliveryId],
  );
  return rows[0].n;
}

test('a second job for a delivery waiting for its retry does not send it early', async () => {
  receiver.reply((_request, response) => response.writeHead(503).end());
  const endpoint = await scenario.createEndpoint({ url: receiver.url });
  const [{ id }] = (await scenario.postLead()).deliveries;
  const waiting = await eventually(async () => {
    const delivery = await scenario.delivery(id);
    return delivery.status === 'pending' && delivery.attemptCount === 1 ? delivery : undefined;
  });
  expect(Date.parse(waiting.nextAttemptAt!)).toBeGreaterThan(Date.now());

  // Re-enabling the endpoint queues a job for each of its pending deliveries, this one too.
  for (const enabled of [false, true]) {
    const response = await scenario.call('PATCH', `/v1/endpoints/${endpoint.id}`, { enabled });
    expect(response.status).toBe(200);
  }
  // The worker has taken that job and is done with it: nothing due names the delivery any more.
  await eventually(async () => ((await dueJobs(id)) === 0 ? true : undefined));

  expect(receiver.requests).toHaveLength(1);
  const after = await scenario.delivery(id);
  expect(after).toMatchObject({ status: 'pending', attemptCount: 1 });
  expect(after.nextAttemptAt).toBe(waiting.nextAttemptAt);
});
