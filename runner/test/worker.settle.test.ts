/**
 * A batch's jobs are completed in the transaction that records its attempts (worker.ts): they
 * commit together or not at all, and the fetch loop then leaves the jobs alone.
 */
import pino from 'pino';

import { startReceiver, type Receiver } from '../../test/helpers/receiver';
import type { DeliveryJob } from '../src/queue.js';
import { createSecretBox } from '../src/store/secretBox.js';
import { processBatch, type WorkerDeps } from '../src/worker/worker.js';
import { createTestDb, type TestDb } from './helpers/db';
import { startTestRunner, type TestRunner } from './helpers/runner';
import { createScenario, type Scenario } from './helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
let scenario: Scenario;
let deps: WorkerDeps;

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb);
  // The test runs the batches itself.
  await runner.worker.stop();
  receiver = await startReceiver('/hook');
  scenario = await createScenario(runner, 'Settle Seller');
  deps = {
    db: testDb.db,
    queue: runner.queue,
    box: createSecretBox(runner.config.secretsKey),
    config: runner.config,
    logger: pino({ level: 'silent' }),
  };
});

afterAll(async () => {
  await receiver.close();
  await runner.stop();
  await testDb.drop();
});

/** The job's pg-boss state; `deleted` once it is done (completeJobs deletes it). */
async function jobState(job: DeliveryJob): Promise<string> {
  const { rows } = await testDb.db.query<{ state: string }>(
    `SELECT state FROM ${testDb.bossSchema}.job WHERE id = $1`,
    [job.id],
  );
  return rows[0]?.state ?? 'deleted';
}

async function attemptCount(deliveryId: string): Promise<number> {
  const { rows } = await testDb.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM attempts WHERE delivery_id = $1`,
    [deliveryId],
  );
  return rows[0].n;
}

test('a completion that fails takes the attempts with it; the retry records and completes both', async () => {
  await scenario.createEndpoint({ url: receiver.url });
  const intake = await scenario.postLead();
  const deliveryId = intake.deliveries[0].id;
  const jobs = await runner.queue.fetchJobs(10);
  expect(jobs.map((job) => job.data.deliveryId)).toEqual([deliveryId]);

  await expect(
    processBatch(deps, jobs, async (tx) => {
      await runner.queue.completeJobs(jobs, tx);
      throw new Error('completion failed');
    }),
  ).rejects.toThrow('completion failed');
  expect(await attemptCount(deliveryId)).toBe(0);
  expect(await jobState(jobs[0])).toBe('active');

  // The same job attempt takes its own claim up again.
  await expect(processBatch(deps, jobs, (tx) => runner.queue.completeJobs(jobs, tx))).resolves.toBe(
    'settled',
  );
  expect(await attemptCount(deliveryId)).toBe(1);
  expect(await jobState(jobs[0])).toBe('deleted');
  expect((await scenario.delivery(deliveryId)).status).toBe('succeeded');
  expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
});

test('a batch that records nothing leaves its jobs to the fetch loop', async () => {
  const endpoint = await scenario.createEndpoint({ url: receiver.url });
  const intake = await scenario.postLead();
  const ours = intake.deliveries.find((d) => d.endpointId === endpoint.id)!;
  const jobs = await runner.queue.fetchJobs(10);
  // Sent and recorded by the first batch; the job delivered twice finds nothing to claim.
  expect(await processBatch(deps, jobs, (tx) => runner.queue.completeJobs(jobs, tx))).toBe(
    'settled',
  );
  const again = jobs.filter((job) => job.data.deliveryId === ours.id);
  let called = false;
  const outcome = await processBatch(deps, again, async () => {
    called = true;
  });
  expect(outcome).toBeUndefined();
  expect(called).toBe(false);
});
