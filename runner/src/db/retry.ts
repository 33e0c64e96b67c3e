/**
 * Retrying a unit of database work when the connection under it went away (a restarted server,
 * `pg_terminate_backend`, a network cut) or PostgreSQL chose it as a deadlock/serialization
 * victim. The pool hands out a fresh connection on the next try. Work retried this way must be
 * safe to run again (the recorder checks whether its attempt row already committed).
 */

/**
 * SQLSTATEs of a database that cannot be reached or is going away: connection exceptions (08…),
 * admin shutdown, crash shutdown, cannot connect now (57P01-57P03: a server shutting down or
 * starting up), too many connections (53300).
 */
const UNAVAILABLE_CODES = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** SQLSTATEs of a transaction PostgreSQL chose as a victim: serialization failure, deadlock. */
const CONFLICT_CODES = new Set(['40001', '40P01']);

/** Socket errors of a connection that could not be made or was cut (ECONNREFUSED: nobody listens). */
const UNAVAILABLE_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/** node-postgres's own errors for a connection that ended, failed or timed out while opening. */
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /terminating connection/i,
  /not queryable/i,
  /connection.*(closed|ended|lost)/i,
  /timeout exceeded when trying to connect/i,
];

function codeOf(error: object): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when the database could not be reached, or the connection under the work went away (a
 * restarting server, `pg_terminate_backend`, a network cut): the same work may succeed shortly.
 */
export function isDbUnavailableError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = codeOf(error);
  if (code !== undefined && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_NODE_CODES.has(code))) {
    return true;
  }
  const message = (error as { message?: unknown }).message;
  return (
    typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))
  );
}

/** Worth running again: the database was unavailable, or chose the transaction as a victim. */
export function isTransientDbError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = codeOf(error);
  return (code !== undefined && CONFLICT_CODES.has(code)) || isDbUnavailableError(error);
}

export interface DbRetryOptions {
  /** Tries in all (default 8: about 13 s of backoff before giving up). */
  tries?: number;
  /** First pause; doubles each try, up to a cap (defaults: withDbRetry). */
  baseDelayMs?: number;
  /** Called before each new try, with the number of the try that failed (1 first). */
  onRetry?: (error: unknown, failedTries: number) => void;
}

/** Runs `work(try)` (try counts from 0) until it succeeds or fails with a non-transient error. */
export async function withDbRetry<T>(
  work: (tryIndex: number) => Promise<T>,
  options: DbRetryOptions = {},
): Promise<T> {
  const tries = options.tries ?? 8;
  const base = options.baseDelayMs ?? 50;
  for (let tryIndex = 0; ; tryIndex += 1) {
    try {
      return await work(tryIndex);
    } catch (error) {
      if (tryIndex + 1 >= tries || !isTransientDbError(error)) throw error;
      options.onRetry?.(error, tryIndex + 1);
      const delay = Math.min(4000, base * 2 ** tryIndex) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
