/**
 * A group's jobs are deleted in the transaction that records its attempts (pipeline.ts): they
 * commit together or not at all. A record that fails sends the jobs back to pg-boss, whose retry
 * records and deletes them; jobs with nothing to send are done at once.
 */
import pino from 'pino';

import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import type { DeliveryJob, DeliveryQueue } from '../../src/queue.js';
import { createSecretBox } from '../../src/store/secretBox.js';
import { createPipeline, type WorkerDeps } from '../../src/worker/worker.js';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, type Scenario } from '../helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
let scenario: Scenario;

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb);
  // The test runs the pipeline itself.
  await runner.worker.stop();
  receiver = await startReceiver('/hook');
  scenario = await createScenario(runner, 'Settle Seller');
});

afterAll(async () => {
  await receiver.close();
  await runner.stop();
  await testDb.drop();
});

function deps(queue: DeliveryQueue = runner.queue): WorkerDeps {
  return {
    db: testDb.db,
    queue,
    box: createSecretBox(runner.config.secretsKey),
    config: runner.config,
    logger: pino({ level: 'silent' }),
  };
}

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

test('a record whose job deletion fails writes nothing and hands the job back; its retry records it', async () => {
  await scenario.createEndpoint({ url: receiver.url });
  const intake = await scenario.postLead();
  const deliveryId = intake.deliveries[0].id;
  const jobs = await runner.queue.fetchJobs(10);
  expect(jobs.map((job) => job.data.deliveryId)).toEqual([deliveryId]);

  const failingQueue: DeliveryQueue = {
    ...runner.queue,
    completeJobs: async (settled, tx) => {
      if (tx) throw new Error('completion failed');
      await runner.queue.completeJobs(settled);
    },
  };
  const failing = createPipeline(deps(failingQueue));
  await failing.take(jobs);
  await failing.drained();
  failing.stop();
  expect(await attemptCount(deliveryId)).toBe(0);
  expect(await jobState(jobs[0])).toBe('retry');

  // pg-boss hands the job out again (its next attempt), which takes its own claim over.
  await testDb.db.query(`UPDATE ${testDb.bossSchema}.job SET start_after = now() WHERE id = $1`, [
    jobs[0].id,
  ]);
  const retried = await eventually(async () => {
    const fetched = await runner.queue.fetchJobs(10);
    return fetched.length > 0 ? fetched : undefined;
  });
  expect(retried.map((job) => [job.id, job.retryCount])).toEqual([[jobs[0].id, 1]]);
  const pipeline = createPipeline(deps());
  await pipeline.take(retried);
  await pipeline.drained();
  pipeline.stop();
  expect(await attemptCount(deliveryId)).toBe(1);
  expect(await jobState(jobs[0])).toBe('deleted');
  expect((await scenario.delivery(deliveryId)).status).toBe('succeeded');
});

test('a job with nothing to send is done at once, without an attempt', async () => {
  const endpoint = await scenario.createEndpoint({ url: receiver.url });
  const intake = await scenario.postLead();
  const ours = intake.deliveries.find((d) => d.endpointId === endpoint.id)!;
  const jobs = await runner.queue.fetchJobs(10);
  const pipeline = createPipeline(deps());
  await pipeline.take(jobs);
  await pipeline.drained();
  expect(await attemptCount(ours.id)).toBe(1);

  // A second job for the same delivery (harmless by design) claims nothing and is deleted.
  await testDb.db.transaction((tx) =>
    runner.queue.enqueueDeliveries(tx, [{ deliveryId: ours.id, endpointId: endpoint.id }]),
  );
  const duplicate = await runner.queue.fetchJobs(10);
  expect(duplicate.map((job) => job.data.deliveryId)).toEqual([ours.id]);
  await pipeline.take(duplicate);
  await pipeline.drained();
  pipeline.stop();
  expect(await jobState(duplicate[0])).toBe('deleted');
  expect(await attemptCount(ours.id)).toBe(1);
});

test('a fetch PostgreSQL chose as a deadlock victim is run again at once, claim and all', async () => {
  const endpoint = await scenario.createEndpoint({ url: receiver.url });
  const intake = await scenario.postLead();
  const ours = intake.deliveries.find((d) => d.endpointId === endpoint.id)!;
  let calls = 0;
  const victimOnce: DeliveryQueue = {
    ...runner.queue,
    fetchJobsWith: async (batchSize, alongside) => {
      calls += 1;
      // Two workers claiming one delivery through duplicate jobs can deadlock; the statement
      // rolled back whole, so nothing was fetched or claimed.
      if (calls === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      return runner.queue.fetchJobsWith(batchSize, alongside);
    },
  };
  const pipeline = createPipeline(deps(victimOnce));
  const fetched = await pipeline.fetch(10);
  expect(calls).toBe(2);
  const claimed = fetched.find(({ job }) => job.data.deliveryId === ours.id);
  expect(claimed?.claimed?.delivery).toMatchObject({ id: ours.id, status: 'sending' });
  await pipeline.takeFetched(fetched);
  await pipeline.drained();
  pipeline.stop();
  expect((await scenario.delivery(ours.id)).status).toBe('succeeded');
});
