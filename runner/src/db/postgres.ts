/** The Db over a node-postgres Pool (real PostgreSQL, many processes). */
import pg from 'pg';
import { withArrayLiterals } from './arrayParameters.js';
import { PreparedStatementClient } from './preparedStatements.js';
import { assertSchemaName, runAfterCommit, type Db, type QueryResult } from './types.js';

export interface PostgresDbOptions {
  connectionString: string;
  /** Every connection gets `search_path=<schema>,public`. The schema is created if missing. */
  schema?: string;
  max?: number;
  applicationName?: string;
}

/**
 * How long an unused pooled connection stays open. node-postgres closes it after 10 s, so with
 * leads further apart than that each one opened connections again on its way through the API
 * and the worker: a new connection's handshake, plus a new backend's first statements (catalog
 * lookups, and parse and plan of every prepared statement once more).
 */
export const POOL_IDLE_TIMEOUT_MS = 300_000;

type Queryable = pg.Pool | pg.PoolClient;

async function run<T>(
  client: Queryable,
  text: string,
  values?: readonly unknown[],
): Promise<QueryResult<T>> {
  const result = await client.query(text, withArrayLiterals(values));
  return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
}

/** pg returns an array of results for a multi-statement text; pg-boss wants one `{rows}`. */
async function execute(
  client: Queryable,
  text: string,
  values?: unknown[],
): Promise<{ rows: unknown[] }> {
  const result = (await client.query(text, withArrayLiterals(values))) as unknown as
    pg.QueryResult | pg.QueryResult[];
  if (Array.isArray(result)) return { rows: result.flatMap((r) => r.rows ?? []) };
  return { rows: result.rows };
}

class PostgresTransaction implements Db {
  readonly kind = 'postgres' as const;
  readonly inTransaction = true;
  private savepoints = 0;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly commitCallbacks: Array<() => void>,
  ) {}

  query<T = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<QueryResult<T>> {
    return run<T>(this.client, text, values);
  }

  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
    return execute(this.client, text, values);
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const name = `sp_${++this.savepoints}`;
    await this.client.query(`SAVEPOINT ${name}`);
    try {
      const result = await fn(this);
      await this.client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      await this.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw err;
    }
  }

  afterCommit(fn: () => void): void {
    this.commitCallbacks.push(fn);
  }

  async close(): Promise<void> {}
}

export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  readonly inTransaction = false;
  readonly pool: pg.Pool;
  readonly connectionString: string;
  readonly schema: string | undefined;

  constructor(options: PostgresDbOptions) {
    if (options.schema) assertSchemaName(options.schema);
    this.connectionString = options.connectionString;
    this.schema = options.schema;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS,
      Client: PreparedStatementClient,
      application_name: options.applicationName ?? 'lead-delivery-runner',
      ...(options.schema ? { options: `-c search_path=${options.schema},public` } : {}),
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => {});
  }

  query<T = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<QueryResult<T>> {
    return run<T>(this.pool, text, values);
  }

  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
    return execute(this.pool, text, values);
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const callbacks: Array<() => void> = [];
    let broken = false;
    // A checked-out client has no error listener of the pool's: a connection terminated under a
    // transaction (server restart, pg_terminate_backend) would otherwise be an unhandled 'error'
    // event and end the process. The failing query rejects on its own; the client is discarded.
    const onClientError = () => {
      broken = true;
    };
    client.on('error', onClientError);
    try {
      await client.query('BEGIN');
      const result = await fn(new PostgresTransaction(client, callbacks));
      await client.query('COMMIT');
      runAfterCommit(callbacks);
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.removeListener('error', onClientError);
      client.release(broken);
    }
  }

  afterCommit(fn: () => void): void {
    runAfterCommit([fn]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Creates the schema (if given) before the pool's search_path can point at it. */
export async function createPostgresDb(options: PostgresDbOptions): Promise<PostgresDb> {
  if (options.schema) {
    assertSchemaName(options.schema);
    const client = new pg.Client({ connectionString: options.connectionString });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`).catch((err) => {
        // Two processes creating it at once: the loser sees a unique violation; the schema exists.
        if ((err as { code?: string }).code !== '23505') throw err;
      });
    } finally {
      await client.end();
    }
  }
  return new PostgresDb(options);
}
