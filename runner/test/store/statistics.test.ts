/**
 * Planner statistics (maintenance/statistics.ts): a table that changed by more than a tenth since
 * its last ANALYZE (at least 1,000 rows) is analyzed by the worker's round, in the runner's schema
 * and in pg-boss's; small or unchanged tables are left alone; the embedded PGlite needs none.
 */
import pino from 'pino';

import { refreshStatistics, startStatistics } from '../../src/maintenance/statistics.js';
import { staleTables } from '../../src/store/statistics.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { eventually } from '../helpers/runner.js';

let t: TestDb;

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.drop());

const onPostgres = () => t.kind === 'postgres';

async function analyzedAt(table: string): Promise<Date | null> {
  const { rows } = await t.db.query<{ at: Date | null }>(
    `SELECT GREATEST(last_analyze, last_autoanalyze) AS at FROM pg_stat_user_tables
      WHERE schemaname = current_schema() AND relname = $1`,
    [table],
  );
  return rows[0]?.at ?? null;
}

/** Inserts `rows` rows into a scratch table and waits until the statistics view counts them. */
async function fillScratch(table: string, rows: number): Promise<void> {
  await t.db.query(`CREATE TABLE IF NOT EXISTS ${table} (id int, note text)`);
  await t.db.query(
    `INSERT INTO ${table} SELECT g, 'row ' || g FROM generate_series(1, $1::int) g`,
    [rows],
  );
  // Backends report their counts to the statistics view in the background.
  await eventually(async () => {
    const { rows: seen } = await t.db.query<{ n: string }>(
      `SELECT n_mod_since_analyze AS n FROM pg_stat_user_tables
        WHERE schemaname = current_schema() AND relname = $1`,
      [table],
    );
    return Number(seen[0]?.n ?? 0) >= rows ? true : undefined;
  }, 20_000);
}

test('a table with many unanalyzed changes is analyzed, then no longer stale', async () => {
  if (!onPostgres()) return;
  await fillScratch('scratch_big', 5000);
  const qualified = `${t.schema}.scratch_big`;
  expect(await staleTables(t.db, [], { minChangedRows: 1000, minChangedShare: 0.1 })).toContain(
    qualified,
  );
  expect(await analyzedAt('scratch_big')).toBeNull();

  const analyzed = await refreshStatistics(t.db, []);
  expect(analyzed).toContain(qualified);
  expect(await analyzedAt('scratch_big')).toBeInstanceOf(Date);
  const { rows } = await t.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = current_schema()
      AND tablename = 'scratch_big'`,
  );
  expect(rows[0].n).toBe(2);
  expect(await refreshStatistics(t.db, [])).not.toContain(qualified);
}, 30_000);

test('small changes (under 1,000 rows) leave a table alone', async () => {
  if (!onPostgres()) return;
  await fillScratch('scratch_small', 300);
  expect(await refreshStatistics(t.db, [])).not.toContain(`${t.schema}.scratch_small`);
  expect(await analyzedAt('scratch_small')).toBeNull();
}, 30_000);

test("pg-boss's schema is looked at when named, and only then", async () => {
  if (!onPostgres()) return;
  await t.db.query(`CREATE SCHEMA IF NOT EXISTS ${t.bossSchema}`);
  await t.db.query(`CREATE TABLE ${t.bossSchema}.job_like (id int)`);
  await t.db.query(`INSERT INTO ${t.bossSchema}.job_like SELECT generate_series(1, 3000)`);
  const qualified = `${t.bossSchema}.job_like`;
  await eventually(
    async () =>
      (
        await staleTables(t.db, [t.bossSchema], { minChangedRows: 1000, minChangedShare: 0.1 })
      ).includes(qualified)
        ? true
        : undefined,
    20_000,
  );
  expect(await staleTables(t.db, [], { minChangedRows: 1000, minChangedShare: 0.1 })).not.toContain(
    qualified,
  );
  expect(await refreshStatistics(t.db, [t.bossSchema])).toContain(qualified);
}, 30_000);

test('the loop runs a first round at start and stops cleanly; PGlite has nothing to do', async () => {
  const logger = pino({ level: 'silent' });
  const loop = startStatistics({ db: t.db, logger, schemas: [t.bossSchema], intervalMs: 50 });
  await expect(loop.firstRound).resolves.toBeUndefined();
  await loop.stop();
  if (onPostgres()) {
    await fillScratch('scratch_loop', 2000);
    const again = startStatistics({ db: t.db, logger, schemas: [], intervalMs: 50 });
    await again.firstRound;
    await again.stop();
    expect(await analyzedAt('scratch_loop')).toBeInstanceOf(Date);
  }
}, 30_000);
