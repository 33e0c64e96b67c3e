/**
 * Fault test (b): the worker's database connections are terminated (`pg_terminate_backend`)
 * again and again while it delivers. It must recover with nothing lost: every delivery ends
 * succeeded exactly once, and every request the receiver got has its attempt row (a recording
 * cut off mid-transaction is retried; a claim cut off is re-claimed by the same job).
 */
import pg from 'pg';

import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { testConfig } from '../helpers/app';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually } from '../helpers/runner';
import { createScenario, sleep } from '../helpers/scenario';
import { startApi, startIsolatedWorker, type Api, type IsolatedWorker } from './harness';

const LEADS = 500;
const ROUNDS = 6;

let testDb: TestDb;
let api: Api;
let worker: IsolatedWorker;
let receiver: Receiver;
let admin: pg.Client;
const appName = `ld_fault_term_${process.pid}_${Date.now().toString(36)}`;

beforeAll(async () => {
  testDb = await createTestDb();
  if (testDb.kind !== 'postgres') return;
  const config = testConfig({ RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1s,2s' });
  api = await startApi(testDb, config);
  worker = await startIsolatedWorker(testDb, appName, config);
  receiver = await startReceiver('/hook');
  admin = new pg.Client({
    connectionString: testDb.connectionString,
    application_name: 'ld_fault_admin',
  });
  await admin.connect();
});

afterAll(async () => {
  if (testDb.kind === 'postgres') {
    await admin.end();
    await receiver.close();
    await worker.stop();
    await api.stop();
  }
  await testDb.drop();
});

async function workerBackends(): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1 AND pid <> pg_backend_pid()`,
    [`${appName}%`],
  );
  return rows.map((row) => row.pid);
}

/**
 * Terminates every connection of the worker (its pool and pg-boss's) once it has reconnected
 * after the previous round; returns how many.
 */
async function terminateWorkerConnections(): Promise<number> {
  const pids = await eventually(async () => {
    const found = await workerBackends();
    return found.length > 0 ? found : undefined;
  }, 10_000);
  const rows = pids.map((pid) => ({ pid }));
  let terminated = 0;
  for (const { pid } of rows) {
    const result = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [
      pid,
    ]);
    if (result.rows[0].ok) terminated += 1;
  }
  return terminated;
}

test('pg_terminate_backend mid-load: every delivery succeeds once, every request has its attempt row', async () => {
  // Embedded PGlite (no server answered) has no backends to terminate.
  if (testDb.kind !== 'postgres') return;
  receiver.reply((_request, response) => {
    setTimeout(() => response.writeHead(200).end('ok'), 5 + Math.floor(Math.random() * 15));
  });
  const scenario = await createScenario(api);
  for (const name of ['a', 'b']) await scenario.createEndpoint({ name, url: receiver.url });

  const started = Date.now();
  let posted = false;
  const posting = (async () => {
    for (let i = 0; i < LEADS; i++) await scenario.postLead({ firstName: `T${i}` });
    posted = true;
  })();
  await receiver.waitFor(50, 30_000);
  // Cut every 300 ms for as long as leads are coming in (and at least ROUNDS times).
  const killed: number[] = [];
  while (!posted || killed.length < ROUNDS) {
    killed.push(await terminateWorkerConnections());
    await sleep(300);
  }
  await posting;
  const lastKillAt = Date.now();
  expect(killed.every((n) => n > 0)).toBe(true);
  expect(killed.length).toBeGreaterThanOrEqual(ROUNDS);

  // After the last cut, a fresh lead still goes through: the worker has recovered.
  const after = await scenario.postLead({ firstName: 'after-the-storm' });
  const total = 2 * LEADS + after.deliveries.length;
  const statuses = await eventually(async () => {
    const { rows } = await testDb.db.query<{ status: string; count: number }>(
      `SELECT status, count(*)::int AS count FROM deliveries GROUP BY status`,
    );
    return rows.length === 1 && rows[0].status === 'succeeded' && rows[0].count === total
      ? rows
      : undefined;
  }, 60_000);
  expect(statuses).toEqual([{ status: 'succeeded', count: total }]);
  const recoveredMs = Date.now() - lastKillAt;

  // Give a stray duplicate a moment to arrive before counting.
  await sleep(500);
  const { rows } = await testDb.db.query<{ id: string; rows: number; successes: number }>(
    `SELECT d.id, count(a.id)::int AS rows,
         count(a.id) FILTER (WHERE a.status = 'success')::int AS successes
       FROM deliveries d LEFT JOIN attempts a ON a.delivery_id = d.id GROUP BY d.id`,
  );
  const received = new Map<string, number>();
  for (const request of receiver.requests) {
    const id = String(request.headers['webhook-id']);
    received.set(id, (received.get(id) ?? 0) + 1);
  }
  expect(rows).toHaveLength(total);
  for (const row of rows) {
    expect(row.successes).toBe(1);
    expect(received.get(row.id) ?? 0).toBe(row.rows);
  }
  expect(receiver.requests).toHaveLength(rows.reduce((sum, row) => sum + row.rows, 0));
  process.stderr.write(
    `terminate: ${total} deliveries, ${killed.length} rounds killed ${killed.join('+')} connections; ` +
      `${receiver.requests.length} requests = attempt rows; all succeeded ${recoveredMs} ms ` +
      `after the last cut; ${Date.now() - started} ms in all; pg-boss errors: ${worker.errors.length}\n`,
  );
}, 120_000);
