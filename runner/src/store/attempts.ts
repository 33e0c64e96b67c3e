/**
 * Attempts: one row per HTTP try, the notification history (R6). Read newest first with a keyset
 * cursor over (started_at, id), served by the (endpoint_id[, status], started_at DESC, id DESC)
 * indexes, or for all of a seller's webhooks the (seller_id, started_at DESC, id DESC) ones, so
 * page n costs what page 1 costs at any table size. The filters either narrow the index range (a
 * time range), pick a partial index (failures across webhooks, test attempts), start from the
 * lead's deliveries (a lead id), or are checked on rows the index hands out in order.
 */
import { isInstant } from '../../../core/instant.js';
import type { MessageType } from '../../../core/types.js';
import type { Db, Sql } from '../db/types.js';
import type { DeliveryStatus } from './deliveries.js';

/**
 * The history keeps the body of each attempt up to this many characters; a longer body is cut
 * there and its whole length kept (`payloadLength`), so one huge lead cannot bloat the history.
 */
export const HISTORY_PAYLOAD_MAX_CHARS = 64 * 1024;

/** The body as the history keeps it: whole, or cut (never inside a surrogate pair). */
export function historyPayload(payload: string | null): {
  payload: string | null;
  payloadLength: number | null;
} {
  if (payload === null || payload.length <= HISTORY_PAYLOAD_MAX_CHARS) {
    return { payload, payloadLength: null };
  }
  let end = HISTORY_PAYLOAD_MAX_CHARS;
  const last = payload.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return { payload: payload.slice(0, end), payloadLength: payload.length };
}

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
  /** The exact body sent (cut at HISTORY_PAYLOAD_MAX_CHARS), null when none was. */
  payload: string | null;
  contentType: string | null;
  /** The body's whole length in characters when `payload` holds only its start; else null. */
  payloadLength: number | null;
  /** Why the attempt failed (core/classify.ts FailureCause, or `workflow`); null on success. */
  cause: string | null;
  /**
   * Said when what is shown is not what was sent or received as it was: text PostgreSQL cannot
   * store replaced by U+FFFD, or parts of the outcome left out. Null otherwise.
   */
  notice: string | null;
}

/** What the history can be narrowed to; every filter is optional and they combine (AND). */
export interface HistoryFilters {
  status?: AttemptStatus;
  messageType?: MessageType;
  /** Attempts of this lead's deliveries. */
  leadId?: string;
  /** true: Send test attempts only; false: real deliveries only. */
  test?: boolean;
  /** Started at or after. */
  from?: Date;
  /** Started before. */
  to?: Date;
}

export interface HistoryQuery extends HistoryFilters {
  /** The seller asking: an endpoint of another seller has no history for them (R9). */
  sellerId: string;
  /** One webhook's history; absent: every webhook of the seller. */
  endpointId?: string;
  /** An opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
  limit: number;
}

/** An attempt as the history lists it, with where its delivery stands now. */
export interface HistoryItem extends Attempt {
  /** The delivery's status now (null: it is gone). */
  deliveryStatus: DeliveryStatus | null;
  /**
   * This is the delivery's latest attempt and the delivery has ended (failed or succeeded): the
   * one row of the delivery that offers Resend. An earlier failure of a delivery that has since
   * succeeded, or one still being retried, offers nothing.
   */
  resendable: boolean;
}

export interface HistoryPage {
  items: HistoryItem[];
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
  payload: string | null;
  content_type: string | null;
  payload_length: number | null;
  cause: string | null;
  notice: string | null;
  /** started_at as exact text (microseconds): the cursor must not lose precision to a JS Date. */
  started_key: string;
}

const COLUMNS = `a.id, a.delivery_id, a.seller_id, a.endpoint_id, a.lead_id, a.message_type,
  a.test, a.attempt_number, a.started_at, a.duration_ms, a.status, a.http_status, a.error,
  a.response_excerpt, a.request_headers, a.payload, a.content_type, a.payload_length, a.cause,
  a.notice,
  to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started_key`;

interface HistoryRow extends AttemptRow {
  delivery_status: DeliveryStatus | null;
  delivery_attempt_count: number | null;
}

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
        request_headers, payload, content_type, payload_length, cause, notice)
      SELECT x.id, x.delivery_id, x.seller_id, x.endpoint_id, x.lead_id, x.message_type, x.test,
        x.attempt_number, x.started_at, x.duration_ms, x.status, x.http_status, x.error,
        x.response_excerpt, COALESCE(x.request_headers, '{}'::jsonb), x.payload, x.content_type,
        x.payload_length, x.cause, x.notice
      FROM jsonb_to_recordset(${param}::jsonb) AS x(id text, delivery_id text, seller_id text,
        endpoint_id text, lead_id text, message_type text, test boolean, attempt_number int,
        started_at timestamptz, duration_ms int, status text, http_status int, error text,
        response_excerpt text, request_headers jsonb, payload text, content_type text,
        payload_length int, cause text, notice text)`;
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
      payload: attempt.payload ?? null,
      content_type: attempt.contentType ?? null,
      payload_length: attempt.payloadLength ?? null,
      cause: attempt.cause ?? null,
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
   * One text per filter combination, so each uses its index with no OR-NULL tricks; the test and
   * status conditions are written as literals so the planner can match the partial indexes
   * (migration 010). Scoped to the seller (R9): across webhooks by the attempts' seller_id; for
   * one endpoint by the endpoint's owner, checked once (not on attempts.seller_id, which would
   * let the planner walk the seller's whole history filtering for the endpoint). A lead id starts from the
   * lead's deliveries (a handful, by deliveries_endpoint_lead_idx) and reads their attempts by
   * attempts_delivery_idx, instead of filtering the whole history for it. Each row carries its
   * delivery's status and attempt count now (a primary-key lookup per row of the page).
   */
  history: (
    query: HistoryFilters & {
      sellerId: string;
      endpointId?: string;
      after?: Cursor;
      limit: number;
    },
  ): Sql => {
    const values: unknown[] = [query.sellerId];
    const where: string[] = [];
    const param = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    let from = 'attempts a';
    if (query.endpointId !== undefined) {
      where.push(
        `a.endpoint_id = ${param(query.endpointId)}`,
        'EXISTS (SELECT 1 FROM endpoints o WHERE o.id = $2 AND o.seller_id = $1)',
      );
    } else {
      where.push('a.seller_id = $1');
    }
    if (query.leadId !== undefined) {
      const endpoints =
        query.endpointId !== undefined
          ? `d.endpoint_id = $2`
          : `d.endpoint_id IN (SELECT e.id FROM endpoints e WHERE e.seller_id = $1)`;
      from = `(SELECT d.id FROM deliveries d
          WHERE ${endpoints} AND d.lead_id = ${param(query.leadId)} AND d.seller_id = $1) ld
        CROSS JOIN LATERAL (SELECT * FROM attempts x WHERE x.delivery_id = ld.id) a`;
    }
    if (query.status === 'failure') where.push(`a.status = 'failure'`);
    if (query.status === 'success') where.push(`a.status = 'success'`);
    if (query.test === true) where.push('a.test');
    if (query.test === false) where.push('NOT a.test');
    if (query.messageType !== undefined) {
      where.push(`a.message_type = ${param(query.messageType)}`);
    }
    if (query.from !== undefined) where.push(`a.started_at >= ${param(query.from)}`);
    if (query.to !== undefined) where.push(`a.started_at < ${param(query.to)}`);
    if (query.after) {
      const time = param(query.after.startedAt);
      const id = param(query.after.id);
      where.push(`(a.started_at, a.id) < (${time}::timestamptz, ${id}::text)`);
    }
    const limit = param(query.limit);
    return {
      text: `SELECT ${COLUMNS}, dl.status AS delivery_status,
          dl.attempt_count AS delivery_attempt_count
        FROM (SELECT a.* FROM ${from} WHERE ${where.join(' AND ')}
          ORDER BY a.started_at DESC, a.id DESC LIMIT ${limit}) a
        LEFT JOIN deliveries dl ON dl.id = a.delivery_id
        ORDER BY a.started_at DESC, a.id DESC`,
      values,
    };
  },
  forDelivery: (deliveryId: string): Sql => ({
    text: `SELECT ${COLUMNS} FROM attempts a WHERE a.delivery_id = $1 ORDER BY a.started_at, a.id`,
    values: [deliveryId],
  }),
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
    payload: row.payload,
    contentType: row.content_type,
    payloadLength: row.payload_length,
    cause: row.cause,
    notice: row.notice,
  };
}

function toHistoryItem(row: HistoryRow): HistoryItem {
  const ended = row.delivery_status === 'failed' || row.delivery_status === 'succeeded';
  return {
    ...toAttempt(row),
    deliveryStatus: row.delivery_status,
    resendable: ended && row.attempt_number === row.delivery_attempt_count,
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
    messageType: query.messageType,
    leadId: query.leadId,
    test: query.test,
    from: query.from,
    to: query.to,
    after,
    limit: limit + 1,
  });
  const { rows } = await db.query<HistoryRow>(text, values);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toHistoryItem),
    nextCursor:
      rows.length > limit && last
        ? encodeCursor({ startedAt: last.started_key, id: last.id })
        : null,
  };
}
