/**
 * Attempts: one row per HTTP try, the notification history (R6). Read newest first with a keyset
 * cursor over (started_at, id), served by the (endpoint_id[, status], started_at DESC, id DESC)
 * indexes, so page n costs what page 1 costs at any table size.
 */
import { isInstant } from '../../../core/instant.js';
import type { MessageType } from '../../../core/types.js';
import type { Db, Sql } from '../db/types.js';

export type AttemptStatus = 'success' | 'failure';

export interface Attempt {
  id: string;
  deliveryId: string;
  sellerId: string;
  endpointId: string;
  leadId: string;
  messageType: MessageType;
  test: boolean;
  /** Which send of its delivery this was (1 first); the API and the page call it `attempt`. */
  attemptNumber: number;
  startedAt: Date;
  durationMs: number;
  status: AttemptStatus;
  httpStatus: number | null;
  error: string | null;
  responseExcerpt: string | null;
  requestHeaders: Record<string, string>;
  /**
   * Said when what is shown is not what was sent or received as it was: text PostgreSQL cannot
   * store replaced by U+FFFD, or parts of the outcome left out. Null otherwise.
   */
  notice: string | null;
}

export interface HistoryQuery {
  /** The seller asking: an endpoint of another seller has no history for them (R9). */
  sellerId: string;
  endpointId: string;
  status?: AttemptStatus;
  /** An opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
  limit: number;
}

export interface HistoryPage {
  items: Attempt[];
  nextCursor: string | null;
}

export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 200;

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not a cursor this API returned');
    this.name = 'InvalidCursorError';
  }
}

interface AttemptRow {
  id: string;
  delivery_id: string;
  seller_id: string;
  endpoint_id: string;
  lead_id: string;
  message_type: MessageType;
  test: boolean;
  attempt_number: number;
  started_at: Date;
  duration_ms: number;
  status: AttemptStatus;
  http_status: number | null;
  error: string | null;
  response_excerpt: string | null;
  request_headers: Record<string, string>;
  notice: string | null;
  /** started_at as exact text (microseconds): the cursor must not lose precision to a JS Date. */
  started_key: string;
}

const COLUMNS = `id, delivery_id, seller_id, endpoint_id, lead_id, message_type, test, attempt_number,
  started_at, duration_ms, status, http_status, error, response_excerpt, request_headers, notice,
  to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started_key`;

interface Cursor {
  startedAt: string;
  id: string;
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** An attempt id's characters: a NUL in a made-up cursor would fail the query instead. */
const CURSOR_ID = /^[A-Za-z0-9_]{1,100}$/;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.startedAt, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      CURSOR_TIME.test(value[0]) &&
      isInstant(value[0]) &&
      typeof value[1] === 'string' &&
      CURSOR_ID.test(value[1])
    ) {
      return { startedAt: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}

/** The INSERT of many attempts, their rows a JSON array in parameter `param` (attemptsJson). */
export function insertAttemptsText(param: string): string {
  return `INSERT INTO attempts (id, delivery_id, seller_id, endpoint_id, lead_id, message_type,
        test, attempt_number, started_at, duration_ms, status, http_status, error, response_excerpt,
        request_headers, notice)
      SELECT x.id, x.delivery_id, x.seller_id, x.endpoint_id, x.lead_id, x.message_type, x.test,
        x.attempt_number, x.started_at, x.duration_ms, x.status, x.http_status, x.error,
        x.response_excerpt, COALESCE(x.request_headers, '{}'::jsonb), x.notice
      FROM jsonb_to_recordset(${param}::jsonb) AS x(id text, delivery_id text, seller_id text,
        endpoint_id text, lead_id text, message_type text, test boolean, attempt_number int,
        started_at timestamptz, duration_ms int, status text, http_status int, error text,
        response_excerpt text, request_headers jsonb, notice text)`;
}

export function attemptsJson(attempts: readonly Attempt[]): string {
  return JSON.stringify(
    attempts.map((attempt) => ({
      id: attempt.id,
      delivery_id: attempt.deliveryId,
      seller_id: attempt.sellerId,
      endpoint_id: attempt.endpointId,
      lead_id: attempt.leadId,
      message_type: attempt.messageType,
      test: attempt.test,
      attempt_number: attempt.attemptNumber,
      started_at: attempt.startedAt.toISOString(),
      duration_ms: Math.max(0, Math.round(attempt.durationMs)),
      status: attempt.status,
      http_status: attempt.httpStatus,
      error: attempt.error,
      response_excerpt: attempt.responseExcerpt,
      request_headers: attempt.requestHeaders ?? {},
      notice: attempt.notice ?? null,
    })),
  );
}

export const attemptSql = {
  /** Many attempts in one statement (a worker records a whole endpoint group at once). */
  insertMany: (attempts: readonly Attempt[]): Sql => ({
    text: insertAttemptsText('$1'),
    values: [attemptsJson(attempts)],
  }),
  /** Which of `ids` are already written (a retried transaction whose commit answer was lost). */
  existing: (ids: readonly string[]): Sql => ({
    text: 'SELECT id FROM attempts WHERE id = ANY ($1::text[])',
    values: [ids],
  }),
  /**
   * One text per filter combination, so each uses its index with no OR-NULL tricks. Scoped to
   * the seller as well as the endpoint (R9): every attempt row of an endpoint has its seller, so
   * the extra condition costs nothing on the index scan.
   */
  history: (query: {
    sellerId: string;
    endpointId: string;
    status?: AttemptStatus;
    after?: Cursor;
    limit: number;
  }): Sql => {
    const values: unknown[] = [query.endpointId, query.sellerId];
    const where = ['endpoint_id = $1', 'seller_id = $2'];
    if (query.status) {
      values.push(query.status);
      where.push(`status = $${values.length}`);
    }
    if (query.after) {
      values.push(query.after.startedAt, query.after.id);
      where.push(
        `(started_at, id) < ($${values.length - 1}::timestamptz, $${values.length}::text)`,
      );
    }
    values.push(query.limit);
    return {
      text: `SELECT ${COLUMNS} FROM attempts WHERE ${where.join(' AND ')}
        ORDER BY started_at DESC, id DESC LIMIT $${values.length}`,
      values,
    };
  },
};

function toAttempt(row: AttemptRow): Attempt {
  return {
    id: row.id,
    deliveryId: row.delivery_id,
    sellerId: row.seller_id,
    endpointId: row.endpoint_id,
    leadId: row.lead_id,
    messageType: row.message_type,
    test: row.test,
    attemptNumber: row.attempt_number,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    status: row.status,
    httpStatus: row.http_status,
    error: row.error,
    responseExcerpt: row.response_excerpt,
    requestHeaders: row.request_headers,
    notice: row.notice,
  };
}

export async function insertAttempts(db: Db, attempts: readonly Attempt[]): Promise<void> {
  if (attempts.length === 0) return;
  const { text, values } = attemptSql.insertMany(attempts);
  await db.query(text, values);
}

export async function existingAttemptIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  const { text, values } = attemptSql.existing(ids);
  const { rows } = await db.query<{ id: string }>(text, values);
  return new Set(rows.map((row) => row.id));
}

/** One page of an endpoint's history, newest first. Throws InvalidCursorError for a bad cursor. */
export async function historyPage(db: Db, query: HistoryQuery): Promise<HistoryPage> {
  const limit = Math.min(Math.max(1, Math.trunc(query.limit)), HISTORY_MAX_LIMIT);
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const { text, values } = attemptSql.history({
    sellerId: query.sellerId,
    endpointId: query.endpointId,
    status: query.status,
    after,
    limit: limit + 1,
  });
  const { rows } = await db.query<AttemptRow>(text, values);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toAttempt),
    nextCursor:
      rows.length > limit && last
        ? encodeCursor({ startedAt: last.started_key, id: last.id })
        : null,
  };
}
