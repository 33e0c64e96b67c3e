/**
 * INTAKE_MAX_TRANSACTIONS: an API process writes at most that many lead intakes to the database
 * at once; the others wait in the process for a slot, and GET /metrics counts both. Two leads
 * are posted while the leads table is locked (so the first intake's transaction cannot finish):
 * with one slot the second lead's transaction begins only after the lock is released, with two
 * it begins at once. The order of events is read from the database: a lead's `created_at` is its
 * transaction's start.
 */
import pg from 'pg';

import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario } from '../helpers/scenario';

let testDb: TestDb;

beforeAll(async () => {
  testDb = await createTestDb();
});
afterAll(() => testDb.drop());

async function intakeCounts(runner: TestRunner): Promise<{ active: number; waiting: number }> {
  const text = await (await fetch(`${runner.baseUrl}/metrics`)).text();
  const read = (state: string) =>
    Number(
      new RegExp(`lead_delivery_intake_transactions\\{state="${state}"\\} (\\d+)`).exec(text)?.[1],
    );
  return { active: read('active'), waiting: read('waiting') };
}

/**
 * Posts two leads while the leads table is locked; returns each lead's transaction start and the
 * time the lock was released, all from the database's clock.
 */
async function twoLeadsBehindALock(slots: number) {
  const runner = await startTestRunner(testDb, { INTAKE_MAX_TRANSACTIONS: String(slots) });
  const locker = new pg.Client({ connectionString: testDb.connectionString });
  try {
    const seller = await createScenario(runner, `Seller ${slots}`);
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${testDb.schema}.leads IN SHARE MODE`);
    const posted = [seller.postLead({ leadId: `first-${slots}` })];
    // The first intake has begun its transaction and waits for the lock; then the second comes.
    await eventually(async () => ((await intakeCounts(runner)).active === 1 ? true : undefined));
    posted.push(seller.postLead({ leadId: `second-${slots}` }));
    const inFlight = await eventually(async () => {
      const counts = await intakeCounts(runner);
      return counts.active + counts.waiting === 2 ? counts : undefined;
    });
    // Every transaction that began is waiting for the lock before it is released.
    await eventually(async () => {
      const { rows } = await locker.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO leads%'`,
      );
      return rows[0].n === inFlight.active ? true : undefined;
    });
    const { rows } = await locker.query<{ at: Date }>('SELECT clock_timestamp() AS at');
    await locker.query('COMMIT');
    await Promise.all(posted);
    const started = await testDb.db.query<{ id: string; started: Date }>(
      `SELECT id, created_at AS started FROM leads WHERE id = ANY($1::text[])`,
      [[`first-${slots}`, `second-${slots}`]],
    );
    const startOf = (id: string) => started.rows.find((row) => row.id === id)!.started.getTime();
    return {
      inFlight,
      released: rows[0].at.getTime(),
      first: startOf(`first-${slots}`),
      second: startOf(`second-${slots}`),
      after: await intakeCounts(runner),
    };
  } finally {
    await locker.end();
    await runner.stop();
  }
}

test('one slot: the second intake waits in the process, its transaction begins after the first', async () => {
  // Embedded PGlite is one connection: nothing can hold a lock beside the API.
  if (testDb.kind !== 'postgres') return;
  const run = await twoLeadsBehindALock(1);
  expect(run.inFlight).toEqual({ active: 1, waiting: 1 });
  expect(run.first).toBeLessThan(run.released);
  expect(run.second).toBeGreaterThanOrEqual(run.released);
  expect(run.after).toEqual({ active: 0, waiting: 0 });
});

test('two slots: both intakes write at once, both transactions begin before the release', async () => {
  if (testDb.kind !== 'postgres') return;
  const run = await twoLeadsBehindALock(2);
  expect(run.inFlight).toEqual({ active: 2, waiting: 0 });
  expect(run.first).toBeLessThan(run.released);
  expect(run.second).toBeLessThan(run.released);
});
