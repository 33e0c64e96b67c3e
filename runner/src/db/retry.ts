/**
 * Retrying a unit of database work when the connection under it went away (a restarted server,
 * `pg_terminate_backend`, a network cut) or PostgreSQL chose it as a deadlock/serialization
 * victim. The pool hands out a fresh connection on the next try. Work retried this way must be
 * safe to run again (the recorder checks whether its attempt row already committed).
 */

/** SQLSTATEs worth a retry: connection exceptions, admin shutdown, deadlock, serialization. */
const RETRYABLE_CODES = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '40001',
  '40P01',
]);

const RETRYABLE_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

const RETRYABLE_MESSAGES = [
  /connection terminated/i,
  /terminating connection/i,
  /not queryable/i,
  /connection.*(closed|ended|lost)/i,
  /timeout exceeded when trying to connect/i,
];

export function isTransientDbError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (RETRYABLE_CODES.has(code) || RETRYABLE_NODE_CODES.has(code))) {
    return true;
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && RETRYABLE_MESSAGES.some((pattern) => pattern.test(message));
}

export interface DbRetryOptions {
  /** Tries in all (default 8: about 13 s of backoff before giving up). */
  tries?: number;
  /** First pause; doubles each try, capped at 4 s (default 50 ms). */
  baseDelayMs?: number;
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Runs `work(try)` (try counts from 0) until it succeeds or fails with a non-transient error. */
export async function withDbRetry<T>(
  work: (attempt: number) => Promise<T>,
  options: DbRetryOptions = {},
): Promise<T> {
  const tries = options.tries ?? 8;
  const base = options.baseDelayMs ?? 50;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt + 1 >= tries || !isTransientDbError(error)) throw error;
      options.onRetry?.(error, attempt + 1);
      const delay = Math.min(4000, base * 2 ** attempt) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
