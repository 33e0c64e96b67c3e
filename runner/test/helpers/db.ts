/**
 * Per-test-file databases. Each call gets a fresh schema on the real server (`DATABASE_URL`, or
 * postgres://postgres@127.0.0.1:5432/test), migrated, and `drop()` removes it with the pg-boss
 * schema `<schema>_boss`. When no server answers within ~2 s the tests run on an in-process
 * PGlite instead, so they pass on a machine without PostgreSQL. `LEAD_DELIVERY_TEST_DB=pglite`
 * forces PGlite.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPgliteDb } from '../../src/db/pglite.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import { migrate } from '../../src/db/migrate.js';
import type { Db } from '../../src/db/types.js';
import { createQueue, type DeliveryQueue } from '../../src/queue.js';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** The runner's tables live here. */
  schema: string;
  /** pg-boss's schema for this test file. */
  bossSchema: string;
  /** PostgreSQL only. */
  connectionString?: string;
  /** Closes the Db and drops both schemas. */
  drop(): Promise<void>;
}

let serverProbe: Promise<string | null> | undefined;

/** The server URL when a PostgreSQL server answers within 2 s, else null. */
export function testServerUrl(): Promise<string | null> {
  serverProbe ??= (async () => {
    if (process.env.LEAD_DELIVERY_TEST_DB === 'pglite') return null;
    const url = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return url;
    } catch {
      return null;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return serverProbe;
}

export function uniqueSchemaName(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

async function dropSchemas(url: string, schemas: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export async function createTestDb(options: { migrate?: boolean } = {}): Promise<TestDb> {
  const schema = uniqueSchemaName();
  const bossSchema = `${schema}_boss`;
  const url = await testServerUrl();
  let testDb: TestDb;
  if (url) {
    const db = await createPostgresDb({ connectionString: url, schema, max: 5 });
    testDb = {
      db,
      kind: 'postgres',
      schema,
      bossSchema,
      connectionString: url,
      async drop() {
        await db.close();
        await dropSchemas(url, [schema, bossSchema]);
      },
    };
  } else {
    const db = await createPgliteDb({ schema });
    testDb = { db, kind: 'pglite', schema, bossSchema, drop: () => db.close() };
  }
  if (options.migrate ?? true) await migrate(testDb.db);
  return testDb;
}

/**
 * A started pg-boss queue in the test file's boss schema (no maintenance loop). `listen: false`
 * makes it a producer only, as in an API process.
 */
export async function createTestQueue(
  testDb: TestDb,
  options: { listen?: boolean; max?: number } = {},
): Promise<DeliveryQueue> {
  const queue = await createQueue({
    db: testDb.db,
    schema: testDb.bossSchema,
    supervise: false,
    max: options.max ?? 3,
    listen: options.listen,
  });
  await queue.start();
  return queue;
}

/** Jobs of the delivery queue in the boss schema, by state. */
export async function countJobs(testDb: TestDb, state?: string): Promise<number> {
  const { rows } = await testDb.db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM ${testDb.bossSchema}.job WHERE name = 'deliveries'${
      state ? ' AND state = $1' : ''
    }`,
    state ? [state] : [],
  );
  return rows[0].count;
}

export async function jobData(
  testDb: TestDb,
): Promise<Array<{ deliveryId: string; endpointId: string }>> {
  const { rows } = await testDb.db.query<{ data: { deliveryId: string; endpointId: string } }>(
    `SELECT data FROM ${testDb.bossSchema}.job WHERE name = 'deliveries' ORDER BY created_on`,
  );
  return rows.map((row) => row.data);
}

/** Row counts of every table of the runner's schema, and of pg-boss's job table (`boss.job`). */
export async function countRows(testDb: TestDb): Promise<Record<string, number>> {
  const { rows: tables } = await testDb.db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1`,
    [testDb.schema],
  );
  const result: Record<string, number> = {};
  for (const { name } of tables) {
    const { rows } = await testDb.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${testDb.schema}"."${name}"`,
    );
    result[name] = rows[0].n;
  }
  result['boss.job'] = await countJobs(testDb);
  return result;
}
