/**
 * The fetch loop does not wait for a batch's claim: jobs queued while a claim statement runs are
 * fetched during it, so under a burst a lead waits for the claim round in progress, not for that
 * claim and then a fetch of its own. Asserted by the order of events: the first lead's claim is
 * held open by the test, and the second lead's job is fetched before it is let go.
 */
import pino from 'pino';

import { startReceiver, type Receiver } from '../../test/helpers/receiver';
import type { Db } from '../src/db/types.js';
import type { DeliveryQueue } from '../src/queue.js';
import { createSecretBox } from '../src/store/secretBox.js';
import { startWorker, type RunningWorker } from '../src/worker/worker.js';
import { createTestDb, type TestDb } from './helpers/db';
import { eventually, startTestRunner, type TestRunner } from './helpers/runner';
import { createScenario, TRACE_MAPPINGS, type Scenario } from './helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
let first: Scenario;
let second: Scenario;
let worker: RunningWorker | null = null;
/** Lets the held claim go (also when the test fails, so that the worker can stop). */
let releaseClaim: () => void = () => undefined;

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb);
  // The test runs a worker of its own, with its database calls watched.
  await runner.worker.stop();
  receiver = await startReceiver('/hook');
  first = await createScenario(runner, 'First Seller');
  second = await createScenario(runner, 'Second Seller');
});

afterAll(async () => {
  releaseClaim();
  await worker?.stop();
  await receiver.close();
  await runner.stop();
  await testDb.drop();
});

/** True for the claim statement of the fast admission (see store/deliveryState/claim.ts). */
const isClaim = (text: string) => text.includes('claim_job_id = c.job_id');

test("a job queued while another batch's claim is open is fetched before that claim ends", async () => {
  await first.createEndpoint({ url: receiver.url, fieldMappings: TRACE_MAPPINGS });
  await second.createEndpoint({ url: receiver.url, fieldMappings: TRACE_MAPPINGS });

  const events: string[] = [];
  const claimHeld = new Promise<void>((resolve) => (releaseClaim = resolve));
  let claims = 0;
  const db = new Proxy(testDb.db, {
    get(target, property, receiverObject) {
      if (property !== 'query') return Reflect.get(target, property, receiverObject);
      return async (text: string, values?: readonly unknown[]) => {
        if (!isClaim(text)) return target.query(text, values);
        const claim = (claims += 1);
        events.push(`claim ${claim} started`);
        if (claim === 1) await claimHeld;
        const result = await target.query(text, values);
        events.push(`claim ${claim} ended`);
        return result;
      };
    },
  }) as Db;
  const queue: DeliveryQueue = {
    ...runner.queue,
    fetchJobs: async (batchSize) => {
      const jobs = await runner.queue.fetchJobs(batchSize);
      for (const job of jobs) events.push(`fetched ${job.data.deliveryId}`);
      return jobs;
    },
  };
  worker = await startWorker({
    db,
    queue,
    box: createSecretBox(runner.config.secretsKey),
    config: runner.config,
    logger: pino({ level: 'silent' }),
  });

  const one = (await first.postLead({ firstName: 'One' })).deliveries[0].id;
  await eventually(async () => (events.includes('claim 1 started') ? true : undefined));
  const two = (await second.postLead({ firstName: 'Two' })).deliveries[0].id;
  await eventually(async () => (events.includes(`fetched ${two}`) ? true : undefined));
  expect(events).not.toContain('claim 1 ended');

  releaseClaim();
  await eventually(async () => (receiver.requests.length === 2 ? true : undefined));
  expect(receiver.requests.map((request) => request.headers['webhook-id']).sort()).toEqual(
    [one, two].sort(),
  );
  expect(events.indexOf(`fetched ${one}`)).toBeLessThan(events.indexOf('claim 1 started'));
  expect(events.indexOf(`fetched ${two}`)).toBeLessThan(events.indexOf('claim 1 ended'));
});
