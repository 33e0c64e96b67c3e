/**
 * The one database interface the runner uses: a pg Pool or an embedded PGlite behind it. A `Db`
 * is also a valid pg-boss `db` option (`executeSql`), so jobs can be sent inside the caller's
 * transaction and commit (or roll back) together with the rows.
 */

export interface QueryResult<T> {
  rows: T[];
  /** Rows returned, or rows changed by INSERT/UPDATE/DELETE without RETURNING. */
  rowCount: number;
}

/** A parameterised statement, as the store's query builders return it. */
export interface Sql {
  text: string;
  values: unknown[];
}

export interface Db {
  readonly kind: 'postgres' | 'pglite';
  /** True for the Db handed to a transaction callback. */
  readonly inTransaction: boolean;
  query<T = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<QueryResult<T>>;
  /**
   * Runs `fn` in a transaction: COMMIT when it resolves, ROLLBACK when it throws. Called on a
   * transaction's Db it opens a SAVEPOINT instead.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * pg-boss's adapter contract. Without values the text may hold several statements (migrations,
   * pg-boss's own DDL); with values it is one statement.
   */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /**
   * Runs `fn` once the surrounding transaction has committed (never when it rolls back). Outside a
   * transaction every statement commits at once, so `fn` runs immediately.
   */
  afterCommit(fn: () => void): void;
  /** Ends the pool / closes PGlite. A no-op on a transaction's Db. */
  close(): Promise<void>;
}

export function runAfterCommit(callbacks: Array<() => void>): void {
  for (const callback of callbacks) {
    try {
      callback();
    } catch {
      // An after-commit hook must not turn a committed transaction into an error.
    }
  }
}

/** Schema names the runner creates itself: lowercase letters, digits and `_`. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid schema name "${schema}": use lowercase letters, digits and _`);
  }
}
