/**
 * Fault test (a): `kill -9` of a `lead-delivery worker` process (the built CLI) in the middle of
 * 2,000 deliveries, then a new worker process. Every delivery must end succeeded, every request
 * the receiver got must have its attempt row, except for attempts in flight at the kill (their
 * deliveries are sent again, with the same webhook-id, at most once more).
 *
 * Recovery rests on the real defaults: jobs carry pg-boss heartbeats (10 s), the new worker's
 * supervisor fails the dead worker's jobs once their heartbeat lapses, and the retried job (same
 * id, next attempt) takes over the deliveries the dead one left in `sending`.
 */
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually } from '../helpers/runner';
import { createScenario, sleep } from '../helpers/scenario';
import {
  ensureBuiltCli,
  spawnWorkerProcess,
  startApi,
  type Api,
  type WorkerProcess,
} from './harness';

const LEADS = 500;
const ENDPOINTS = 4;
const KILL_AFTER = 600;
const WORKER_ENV = { RETRY_SCHEDULE: '200ms,500ms,1s,2s,5s' };

let testDb: TestDb;
let api: Api;
let receiver: Receiver;
let bin: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  testDb = await createTestDb();
  if (testDb.kind !== 'postgres') return;
  bin = ensureBuiltCli();
  api = await startApi(testDb);
  receiver = await startReceiver('/hook');
}, 300_000);

afterAll(async () => {
  for (const worker of workers) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGTERM');
      const grace = new Promise((resolve) => setTimeout(resolve, 15_000).unref());
      await Promise.race([worker.exited, grace]);
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
  }
  if (testDb.kind === 'postgres') {
    await receiver.close();
    await api.stop();
  }
  await testDb.drop();
}, 60_000);

test('kill -9 a worker process during 2,000 deliveries: a new one finishes them, nothing lost', async () => {
  // Embedded PGlite (no server answered) is one process: there is no worker process to kill.
  if (testDb.kind !== 'postgres') return;
  receiver.reply((_request, response) => {
    setTimeout(() => response.writeHead(200).end('ok'), 20);
  });
  const scenario = await createScenario(api);
  for (let e = 0; e < ENDPOINTS; e++) {
    await scenario.createEndpoint({ name: `E${e}`, url: `${receiver.url}?e=${e}` });
  }
  const first = spawnWorkerProcess(bin, testDb, WORKER_ENV);
  workers.push(first);

  const started = Date.now();
  // Intake goes on through the API while the worker is killed and replaced.
  const posting = (async () => {
    for (let i = 0; i < LEADS; i++) await scenario.postLead({ firstName: `K${i}` });
  })();
  const total = LEADS * ENDPOINTS;

  await receiver.waitFor(KILL_AFTER, 60_000).catch(async (error: Error) => {
    const { rows } = await testDb.db.query(
      `SELECT status, last_error, count(*)::int FROM deliveries GROUP BY 1, 2`,
    );
    throw new Error(`${error.message}\n${JSON.stringify(rows)}\n${first.output().slice(-3000)}`);
  });
  first.child.kill('SIGKILL');
  const killedAt = Date.now();
  expect(await first.exited).toBeNull();
  // What the dead worker held: claimed (sending), or fetched as jobs and not yet claimed.
  const { rows: orphans } = await testDb.db.query<{ id: string }>(
    `SELECT id FROM deliveries WHERE status = 'sending'`,
  );
  const orphaned = new Set(orphans.map((row) => row.id));
  const receivedAtKill = receiver.requests.length;

  const second = spawnWorkerProcess(bin, testDb, WORKER_ENV);
  workers.push(second);
  await posting;

  await eventually(async () => {
    const { rows } = await testDb.db.query<{ open: number }>(
      `SELECT count(*)::int AS open FROM deliveries WHERE id = ANY ($1::text[]) AND status <> 'succeeded'`,
      [[...orphaned]],
    );
    return rows[0].open === 0 ? true : undefined;
  }, 60_000);
  const orphansDoneMs = Date.now() - killedAt;
  await eventually(async () => {
    const { rows } = await testDb.db.query<{ done: number }>(
      `SELECT count(*)::int AS done FROM deliveries WHERE status = 'succeeded'`,
    );
    return rows[0].done === total ? true : undefined;
  }, 60_000);
  const allDoneMs = Date.now() - started;
  await sleep(500);

  const { rows } = await testDb.db.query<{
    id: string;
    status: string;
    attempt_rows: number;
    successes: number;
  }>(
    `SELECT d.id, d.status, count(a.id)::int AS attempt_rows,
       count(a.id) FILTER (WHERE a.status = 'success')::int AS successes
     FROM deliveries d LEFT JOIN attempts a ON a.delivery_id = d.id GROUP BY d.id, d.status`,
  );
  expect(rows).toHaveLength(total);
  const received = new Map<string, number>();
  for (const request of receiver.requests) {
    const id = String(request.headers['webhook-id']);
    received.set(id, (received.get(id) ?? 0) + 1);
  }
  const ids = new Set(rows.map((row) => row.id));
  expect([...received.keys()].every((id) => ids.has(id))).toBe(true);

  let duplicates = 0;
  for (const row of rows) {
    expect(row.status).toBe('succeeded');
    expect(row.successes).toBe(1);
    const got = received.get(row.id) ?? 0;
    // Every attempt row is a request the receiver got…
    expect(got).toBeGreaterThanOrEqual(row.attempt_rows);
    // …and a request without its row can only be one the dead worker had in flight.
    if (got > row.attempt_rows) {
      expect(orphaned.has(row.id)).toBe(true);
      expect(got - row.attempt_rows).toBe(1);
      duplicates += 1;
    }
  }
  expect(first.output()).not.toContain('"level":50');
  expect(second.output()).not.toContain('"level":50');
  process.stderr.write(
    `kill -9: ${total} deliveries; killed after ${receivedAtKill} requests with ` +
      `${orphaned.size} in flight (${duplicates} of them had reached the receiver and were ` +
      `sent again); in-flight ones done ${orphansDoneMs} ms after the kill; all done ` +
      `${allDoneMs} ms after the start\n`,
  );
}, 180_000);
