/**
 * Planner statistics of the runner's busiest tables. The claim and recording statements are
 * planned against these: without them (a new database, or a burst that changed most of a table
 * since the last ANALYZE) PostgreSQL guesses a handful of pending deliveries per endpoint and
 * scans them all instead of looking the batch up by key, several times slower for a batch claim
 * among many pending deliveries. Autovacuum refreshes them too, but only
 * when its once-a-minute round comes, a server setting the runner does not own.
 */
import type { Db, Sql } from '../db/types.js';

export interface StalenessRule {
  /** A table qualifies once this many rows changed since its last ANALYZE... */
  minChangedRows: number;
  /** ...and at least this share of its live rows (autovacuum's default is 0.1). */
  minChangedShare: number;
}

export const statisticsSql = {
  /** Tables of the runner's schema and of `schemas` (pg-boss's) whose statistics are stale by `rule`. */
  stale: (schemas: readonly string[], rule: StalenessRule): Sql => ({
    text: `SELECT quote_ident(schemaname) || '.' || quote_ident(relname) AS name
      FROM pg_stat_user_tables
      WHERE (schemaname = current_schema() OR schemaname = ANY($1::text[]))
        AND n_mod_since_analyze >= $2::bigint
        AND n_mod_since_analyze >= $3::float8 * GREATEST(n_live_tup, 1)
      ORDER BY n_mod_since_analyze DESC`,
    values: [schemas, rule.minChangedRows, rule.minChangedShare],
  }),
};

export async function staleTables(
  db: Db,
  schemas: readonly string[],
  rule: StalenessRule,
): Promise<string[]> {
  const { text, values } = statisticsSql.stale(schemas, rule);
  const { rows } = await db.query<{ name: string }>(text, values);
  return rows.map((row) => row.name);
}

/**
 * ANALYZE of one table (a name `staleTables` returned, already quoted). Another ANALYZE of it in
 * progress (another worker process) is not waited for: false when the lock is not free at once.
 */
export async function analyzeTable(db: Db, qualifiedName: string): Promise<boolean> {
  try {
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL lock_timeout = 100`);
      await tx.query(`ANALYZE ${qualifiedName}`);
    });
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') return false;
    throw err;
  }
}
