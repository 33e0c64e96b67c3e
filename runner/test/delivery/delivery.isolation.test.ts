/**
 * Issue 18: a slow or hanging receiver holds back only itself. Through the real runner (API,
 * pg-boss, pipeline, WorkflowExecute, PostgreSQL, HTTP), with receivers that hold their answers
 * until the test lets them go: the order of events shows who waits for whom.
 */
import type { ServerResponse } from 'node:http';

import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, sleep, TRACE_MAPPINGS, type Intake } from '../helpers/scenario';
import { STUCK_LANE_MS } from '../../src/worker/pipeline';

let testDb: TestDb;
let runner: TestRunner | undefined;
const receivers: Receiver[] = [];

beforeAll(async () => {
  testDb = await createTestDb();
});

afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close();
  await runner?.stop();
  runner = undefined;
});

afterAll(async () => {
  await testDb.drop();
});

/** A receiver that holds every answer until `release()`; `open` counts requests not yet answered. */
async function holdingReceiver() {
  const receiver = await startReceiver('/hold');
  receivers.push(receiver);
  const held: ServerResponse[] = [];
  let releasing = false;
  let peak = 0;
  receiver.reply((_request, response) => {
    if (releasing) {
      response.writeHead(200).end('ok');
      return;
    }
    held.push(response);
    peak = Math.max(peak, held.length);
  });
  return {
    receiver,
    get open() {
      return held.length;
    },
    get peak() {
      return peak;
    },
    release() {
      releasing = true;
      for (const response of held.splice(0)) response.writeHead(200).end('ok');
    },
  };
}

async function fastReceiver(): Promise<Receiver> {
  const receiver = await startReceiver('/fast');
  receivers.push(receiver);
  return receiver;
}

async function start(env: Record<string, string> = {}): Promise<TestRunner> {
  runner = await startTestRunner(testDb, env);
  return runner;
}

/** Jobs of a delivery that wait for a later time than now. */
async function deferredJobs(deliveryId: string): Promise<number> {
  const { rows } = await testDb.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${testDb.bossSchema}.job
      WHERE name = 'deliveries' AND data->>'deliveryId' = $1 AND start_after > now()`,
    [deliveryId],
  );
  return rows[0].n;
}

const ids = (receiver: Receiver) => receiver.requests.map((r) => String(r.headers['webhook-id']));

/** More sellers with hanging receivers than the first worker design had fetch loops (4). */
const HANGING_SELLERS = 5;

/** Sellers whose receivers hold their answers, each with one lead in flight. */
async function hangingSellers(r: TestRunner, count: number) {
  const hanging = [];
  for (let i = 0; i < count; i++) {
    const receiver = await holdingReceiver();
    const seller = await createScenario(r, `Hanging Seller ${i}`);
    const endpoint = await seller.createEndpoint({ url: receiver.receiver.url });
    await seller.postLead();
    await receiver.receiver.waitFor(1);
    hanging.push({ receiver, seller, endpoint });
  }
  return hanging;
}

test('another seller’s attempt is in its history while hanging receivers hold their requests', async () => {
  const r = await start();
  const hanging = await hangingSellers(r, HANGING_SELLERS);
  const fast = await fastReceiver();
  const fastSeller = await createScenario(r, 'Fast Seller');
  const fastEndpoint = await fastSeller.createEndpoint({ url: fast.url });

  const intake = await fastSeller.postLead();
  await eventually(async () =>
    (await fastSeller.historyCount(fastEndpoint.id)) === 1 ? true : undefined,
  );
  expect((await fastSeller.delivery(intake.deliveries[0].id)).status).toBe('succeeded');
  // Meanwhile every hanging receiver still holds its request, and none of them is recorded.
  for (const { receiver, seller, endpoint } of hanging) {
    expect(receiver.open).toBe(1);
    expect(await seller.historyCount(endpoint.id)).toBe(0);
  }

  for (const { receiver } of hanging) receiver.release();
  for (const { seller, endpoint } of hanging) {
    await eventually(async () =>
      (await seller.historyCount(endpoint.id)) === 1 ? true : undefined,
    );
  }
});

test('a lead_update goes out while other sellers’ receivers hang', async () => {
  const r = await start();
  const hanging = await hangingSellers(r, HANGING_SELLERS);
  const fast = await fastReceiver();
  const seller = await createScenario(r, 'Updating Seller');
  await seller.createEndpoint({ url: fast.url, type: 'both', fieldMappings: TRACE_MAPPINGS });

  const lead = await seller.postLead();
  await fast.waitFor(1);
  // The update waits for the new_lead to be recorded (R4): that must not wait for the hangs.
  const update = await seller.changeMeeting(lead.leadId, '2026-05-04T15:00:00Z');
  await fast.waitFor(2);
  expect(ids(fast)).toEqual([lead.deliveries[0].id, update.deliveries[0].id]);
  for (const { receiver } of hanging) {
    expect(receiver.open).toBe(1);
    receiver.release();
  }
});

test('a hanging endpoint takes only its own slots (ENDPOINT_MAX_IN_FLIGHT)', async () => {
  const r = await start({ ENDPOINT_MAX_IN_FLIGHT: '2' });
  const hanging = await holdingReceiver();
  const fast = await fastReceiver();
  const hangingSeller = await createScenario(r, 'Hanging Seller');
  const seller = await createScenario(r, 'Other Seller');
  await hangingSeller.createEndpoint({ url: hanging.receiver.url });
  await seller.createEndpoint({ url: fast.url });

  const held: Intake[] = [];
  for (let i = 0; i < 5; i++) held.push(await hangingSeller.postLead({ firstName: `H${i}` }));
  await hanging.receiver.waitFor(2);
  const other = await seller.postLead();
  await fast.waitFor(1);
  expect(ids(fast)).toEqual([other.deliveries[0].id]);
  expect(hanging.open).toBe(2);

  hanging.release();
  await hanging.receiver.waitFor(5);
  await eventually(async () => {
    const statuses = await Promise.all(
      held.map(async (intake) => (await hangingSeller.delivery(intake.deliveries[0].id)).status),
    );
    return statuses.every((status) => status === 'succeeded') ? true : undefined;
  });
  // Never more than its two slots at once, and each lead sent once.
  expect(hanging.peak).toBe(2);
  expect(new Set(ids(hanging.receiver)).size).toBe(5);
});

test('the process-wide limit counts open requests: a new lead waits only while it is reached', async () => {
  const r = await start({ WORKER_MAX_IN_FLIGHT: '2' });
  const first = await holdingReceiver();
  const second = await holdingReceiver();
  const fast = await fastReceiver();
  const sellers = await Promise.all(
    ['First', 'Second', 'Third'].map((name) => createScenario(r, name)),
  );
  await sellers[0].createEndpoint({ url: first.receiver.url });
  await sellers[1].createEndpoint({ url: second.receiver.url });
  await sellers[2].createEndpoint({ url: fast.url });

  await sellers[0].postLead();
  await sellers[1].postLead();
  await first.receiver.waitFor(1);
  await second.receiver.waitFor(1);
  const waiting = await sellers[2].postLead();
  // Time for a worker that had a free slot to send it (this one has none).
  await sleep(300);
  expect(fast.requests).toHaveLength(0);
  expect((await sellers[2].delivery(waiting.deliveries[0].id)).status).toBe('pending');
  const releasedAt = Date.now();
  first.release();
  await fast.waitFor(1);
  expect(ids(fast)).toEqual([waiting.deliveries[0].id]);
  // It went out once a slot freed, not before.
  expect(fast.requests[0].receivedAt).toBeGreaterThanOrEqual(releasedAt);
  expect(second.open).toBe(1);
  second.release();
});

test('jobs for a stuck lane are deferred, not claimed, and go out once it frees up', async () => {
  const r = await start({ ENDPOINT_MAX_IN_FLIGHT: '1' });
  const hanging = await holdingReceiver();
  const fast = await fastReceiver();
  const hangingSeller = await createScenario(r, 'Stuck Seller');
  const seller = await createScenario(r, 'Free Seller');
  await hangingSeller.createEndpoint({ url: hanging.receiver.url });
  await seller.createEndpoint({ url: fast.url });

  const sent = await hangingSeller.postLead({ firstName: 'First' });
  await hanging.receiver.waitFor(1);
  // Its one slot taken for longer than STUCK_LANE_MS: the lane is stuck.
  await sleep(STUCK_LANE_MS + 100);
  const later = await hangingSeller.postLead({ firstName: 'Later' });
  const laterId = later.deliveries[0].id;
  // Deferred: its job is replaced by one for later, the delivery left pending and unclaimed.
  await eventually(async () => ((await deferredJobs(laterId)) > 0 ? true : undefined));
  const meanwhile = await seller.postLead();
  await fast.waitFor(1);
  expect(ids(fast)).toEqual([meanwhile.deliveries[0].id]);
  const waiting = await hangingSeller.delivery(laterId);
  expect(waiting).toMatchObject({ status: 'pending', attemptCount: 0 });

  hanging.release();
  await hanging.receiver.waitFor(2);
  expect(ids(hanging.receiver)).toEqual([sent.deliveries[0].id, laterId]);
  await eventually(async () =>
    (await hangingSeller.delivery(laterId)).status === 'succeeded' ? true : undefined,
  );
});
