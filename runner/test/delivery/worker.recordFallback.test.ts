/**
 * One attempt PostgreSQL refuses to store, for a reason making texts storable does not remove
 * (here a constraint the test adds), costs only its own delivery: the batch is recorded again row
 * by row, the refused row as a failure of its delivery, the others as usual, and the group's jobs
 * are deleted once, so that pg-boss never sends the others again.
 */
import pino from 'pino';

import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import type { DeliveryJob, DeliveryQueue } from '../../src/queue.js';
import { createSecretBox } from '../../src/store/secretBox.js';
import { createPipeline, type WorkerDeps } from '../../src/worker/worker.js';
import { createTestDb, jobData, type TestDb } from '../helpers/db';
import { readJson, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, TRACE_MAPPINGS, traced, type Scenario } from '../helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
let scenario: Scenario;
let deps: WorkerDeps;

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb);
  // The test runs the batch itself.
  await runner.worker.stop();
  receiver = await startReceiver('/hook');
  // By the lead's first name: an answer the constraint below refuses, a 503 (retried), or 200 ok.
  receiver.reply((request, response) => {
    const { firstName } = traced(request.body);
    if (firstName === 'Busy') {
      response.writeHead(503, { 'content-type': 'text/plain' });
      response.end('busy');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(firstName === 'Poison' ? 'poison' : 'ok');
  });
  scenario = await createScenario(runner, 'Fallback Seller');
  deps = {
    db: testDb.db,
    queue: runner.queue,
    box: createSecretBox(runner.config.secretsKey),
    config: runner.config,
    logger: pino({ level: 'silent' }),
  };
  await testDb.db.query(
    `ALTER TABLE attempts ADD CONSTRAINT attempts_no_poison
      CHECK (response_excerpt IS DISTINCT FROM 'poison')`,
  );
});

afterAll(async () => {
  await receiver.close();
  await runner.stop();
  await testDb.drop();
});

interface HistoryItem {
  deliveryId: string;
  status: 'success' | 'failure';
  httpStatus: number | null;
  error: string | null;
  responseExcerpt: string | null;
  requestHeaders: Record<string, string>;
  notice: string | null;
}

async function jobState(job: DeliveryJob): Promise<string> {
  const { rows } = await testDb.db.query<{ state: string }>(
    `SELECT state FROM ${testDb.bossSchema}.job WHERE id = $1`,
    [job.id],
  );
  return rows[0]?.state ?? 'deleted';
}

test('a row PostgreSQL refuses is recorded as a failed attempt; the rest of the batch is recorded, retried and handed on as usual, its jobs completed once', async () => {
  const endpoint = await scenario.createEndpoint({
    url: receiver.url,
    type: 'both',
    fieldMappings: TRACE_MAPPINGS,
  });
  const ann = await scenario.postLead({ firstName: 'Ann' });
  const poison = await scenario.postLead({ firstName: 'Poison' });
  const busy = await scenario.postLead({ firstName: 'Busy' });
  const bob = await scenario.postLead({ firstName: 'Bob' });
  // Waits for the poison lead's new_lead to end (R4), then goes out by the hand-off.
  const update = await scenario.changeMeeting(poison.leadId, '2026-05-04T15:00:00Z');
  const [annId, poisonId, busyId, bobId, updateId] = [ann, poison, busy, bob, update].map(
    (intake) => intake.deliveries[0].id,
  );

  const jobs = await runner.queue.fetchJobs(10);
  expect(jobs.map((job) => job.data.deliveryId).sort()).toEqual(
    [annId, poisonId, busyId, bobId, updateId].sort(),
  );
  // Counts the deletions of jobs inside a recording transaction.
  let completions = 0;
  const queue: DeliveryQueue = {
    ...runner.queue,
    completeJobs: async (settled, tx) => {
      if (tx) completions += 1;
      await runner.queue.completeJobs(settled, tx);
    },
  };
  const pipeline = createPipeline({ ...deps, queue });
  await pipeline.take(jobs);
  await pipeline.drained();
  pipeline.stop();

  expect(completions).toBe(1);
  for (const job of jobs) expect(await jobState(job)).toBe('deleted');
  // Each new lead was sent once; the update waits for the hand-off's job.
  expect(receiver.requests.map((request) => request.headers['webhook-id']).sort()).toEqual(
    [annId, poisonId, busyId, bobId].sort(),
  );

  const statuses = Object.fromEntries(
    await Promise.all(
      [annId, poisonId, busyId, bobId].map(async (id) => [id, await scenario.delivery(id)]),
    ),
  );
  expect(statuses[annId].status).toBe('succeeded');
  expect(statuses[bobId].status).toBe('succeeded');
  expect(statuses[busyId].status).toBe('pending');
  expect(statuses[poisonId].status).toBe('failed');
  expect(statuses[poisonId].lastError).toMatch(
    /^the attempt's outcome could not be stored: .*attempts_no_poison/,
  );

  // Queued now: Busy's retry and, handed on by the failed new_lead, the poison lead's update.
  // Nothing for the failed delivery itself.
  const queued = (await jobData(testDb)).map((job) => job.deliveryId);
  expect(queued.sort()).toEqual([busyId, updateId].sort());

  const history = await readJson<{ items: HistoryItem[] }>(
    await scenario.call('GET', `/v1/endpoints/${endpoint.id}/history`),
  );
  const byDelivery = new Map(history.items.map((item) => [item.deliveryId, item]));
  expect(history.items).toHaveLength(4);
  for (const id of [annId, bobId]) {
    expect(byDelivery.get(id)).toMatchObject({
      status: 'success',
      httpStatus: 200,
      error: null,
      responseExcerpt: 'ok',
      notice: null,
    });
  }
  expect(byDelivery.get(busyId)).toMatchObject({
    status: 'failure',
    httpStatus: 503,
    responseExcerpt: 'busy',
    notice: null,
  });
  expect(byDelivery.get(poisonId)).toEqual(
    expect.objectContaining({
      status: 'failure',
      httpStatus: 200,
      error: expect.stringMatching(
        /^the attempt's outcome could not be stored: .*attempts_no_poison/,
      ),
      responseExcerpt: null,
      requestHeaders: {},
      notice:
        'The outcome could not be stored as it was: its response excerpt, request headers and payload are left out.',
    }),
  );
});
