/**
 * The Db over an embedded PGlite (one process, one PostgreSQL session). PGlite serialises its own
 * `transaction()` against every other `query()`, so statements from outside a running transaction
 * wait for it. Code running *inside* a transaction (tracked with AsyncLocalStorage) that reaches
 * the top-level Db, such as pg-boss's own adapter looking up its queue cache while a job is being
 * sent with `{ db: tx }`, is routed into that transaction instead of deadlocking on the lock.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { assertSchemaName, runAfterCommit, type Db, type QueryResult } from './types.js';

/** What pg-boss's `fromPglite` adapter needs (pg-boss's `PGliteLike`). */
export interface PgliteLike {
  query<T = unknown>(query: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(query: string): Promise<Array<{ rows: unknown[] }>>;
  listen?(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

type Session = Pick<Transaction, 'query' | 'exec'>;

interface PgliteResult<T> {
  rows: T[];
  affectedRows?: number;
}

function toResult<T>(result: PgliteResult<T>): QueryResult<T> {
  return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
}

async function execute(
  session: Session,
  text: string,
  values?: unknown[],
): Promise<{ rows: unknown[] }> {
  if (values?.length) return session.query(text, values);
  const results = await session.exec(text);
  return { rows: results.flatMap((r) => r.rows ?? []) };
}

class PgliteTransaction implements Db {
  readonly kind = 'pglite' as const;
  readonly inTransaction = true;
  private savepoints = 0;

  constructor(
    readonly session: Transaction,
    private readonly commitCallbacks: Array<() => void>,
  ) {}

  get closed(): boolean {
    return this.session.closed;
  }

  async query<T = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<QueryResult<T>> {
    return toResult(await this.session.query<T>(text, values as unknown[] | undefined));
  }

  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
    return execute(this.session, text, values);
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const name = `sp_${++this.savepoints}`;
    await this.session.query(`SAVEPOINT ${name}`);
    try {
      const result = await fn(this);
      await this.session.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      await this.session.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw err;
    }
  }

  afterCommit(fn: () => void): void {
    this.commitCallbacks.push(fn);
  }

  async close(): Promise<void> {}
}

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly inTransaction = false;
  private readonly current = new AsyncLocalStorage<PgliteTransaction>();

  constructor(
    readonly pglite: PGlite,
    readonly schema: string | undefined,
  ) {}

  /** The transaction the caller is running in, if any (and still open). */
  private active(): PgliteTransaction | undefined {
    const tx = this.current.getStore();
    return tx && !tx.closed ? tx : undefined;
  }

  async query<T = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<QueryResult<T>> {
    const tx = this.active();
    if (tx) return tx.query<T>(text, values);
    return toResult(await this.pglite.query<T>(text, values as unknown[] | undefined));
  }

  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
    return execute(this.active()?.session ?? this.pglite, text, values);
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const outer = this.active();
    if (outer) return outer.transaction(fn);
    const callbacks: Array<() => void> = [];
    const result = await this.pglite.transaction(async (session) => {
      const tx = new PgliteTransaction(session, callbacks);
      return this.current.run(tx, () => fn(tx));
    });
    runAfterCommit(callbacks);
    return result;
  }

  afterCommit(fn: () => void): void {
    const tx = this.active();
    if (tx) tx.afterCommit(fn);
    else runAfterCommit([fn]);
  }

  /** The object to hand to pg-boss's `fromPglite`: same routing as this Db, plus LISTEN. */
  pgliteLike(): PgliteLike {
    return {
      query: <T>(text: string, params?: unknown[]) => this.query<T>(text, params),
      exec: (text) => (this.active()?.session ?? this.pglite).exec(text),
      listen: async (channel, callback) => {
        const unsubscribe = await this.pglite.listen(channel, callback);
        return () => unsubscribe();
      },
    };
  }

  async close(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}

export interface PgliteDbOptions {
  /** A directory for the data files; in memory when absent. */
  dataDir?: string;
  /** Created if missing and put first on the session's search_path. */
  schema?: string;
}

export async function createPgliteDb(options: PgliteDbOptions = {}): Promise<PgliteDb> {
  const pglite = await PGlite.create(options.dataDir);
  if (options.schema) {
    assertSchemaName(options.schema);
    await pglite.exec(
      `CREATE SCHEMA IF NOT EXISTS ${options.schema}; SET search_path TO ${options.schema}, public;`,
    );
  }
  return new PgliteDb(pglite, options.schema);
}
