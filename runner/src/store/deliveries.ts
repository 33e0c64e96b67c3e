/**
 * Deliveries (messages): one lead event for one endpoint, with its status, attempt count and the
 * lead snapshot every retry resends. The status moves pending → sending → succeeded | failed, or
 * back to pending with a next attempt time; a failed one can be resent (pending, count reset).
 */
import type { LeadRecord, MessageType } from '../../../core/types.js';
import type { Db, Sql } from '../db/types.js';

export type DeliveryStatus =
  | 'pending'
  | 'sending'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  /** A lead_update never sent because a newer lead_update of the lead carries its state (R4). */
  | 'superseded';

export interface Delivery {
  id: string;
  sellerId: string;
  endpointId: string;
  leadId: string;
  messageType: MessageType;
  test: boolean;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: Date | null;
  /** The queue job that claimed it (status sending). */
  claimJobId: string | null;
  /** That job's pg-boss attempt (retryCount) when it claimed; null for a Send test. */
  claimAttempt: number | null;
  /** Status superseded: the newer lead_update that replaced it. */
  supersededBy: string | null;
  leadSnapshot: LeadRecord;
  payload: string | null;
  contentType: string | null;
  lastError: string | null;
  lastHttpStatus: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewDelivery {
  id: string;
  sellerId: string;
  endpointId: string;
  leadId: string;
  messageType: MessageType;
  test?: boolean;
  leadSnapshot: LeadRecord;
  /** Default: now. */
  nextAttemptAt?: Date;
}

/** What an attempt leaves on the delivery. `payload`/`contentType` are kept from the first one. */
export interface AttemptOutcome {
  httpStatus?: number | null;
  error?: string | null;
  payload?: string | null;
  contentType?: string | null;
}

interface DeliveryRow {
  id: string;
  seller_id: string;
  endpoint_id: string;
  lead_id: string;
  message_type: MessageType;
  test: boolean;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: Date | null;
  claim_job_id: string | null;
  claim_attempt: number | null;
  superseded_by: string | null;
  lead_snapshot: LeadRecord;
  payload: string | null;
  content_type: string | null;
  last_error: string | null;
  last_http_status: number | null;
  created_at: Date;
  updated_at: Date;
}

export const DELIVERY_COLUMNS = `id, seller_id, endpoint_id, lead_id, message_type, test, status,
  attempt_count, next_attempt_at, claim_job_id, claim_attempt, superseded_by, lead_snapshot, payload,
  content_type, last_error, last_http_status, created_at, updated_at`;
const COLUMNS = DELIVERY_COLUMNS;

/** $2…$5 of every outcome update. */
function outcomeValues(outcome: AttemptOutcome): unknown[] {
  return [
    outcome.httpStatus ?? null,
    outcome.error ?? null,
    outcome.payload ?? null,
    outcome.contentType ?? null,
  ];
}

const OUTCOME_SET = `last_http_status = $2, last_error = $3,
  payload = COALESCE(payload, $4), content_type = COALESCE(content_type, $5), updated_at = now()`;

export const deliverySql = {
  insertMany: (deliveries: readonly NewDelivery[]): Sql => ({
    text: `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, test,
        status, next_attempt_at, lead_snapshot)
      SELECT x.id, x.seller_id, x.endpoint_id, x.lead_id, x.message_type, x.test, 'pending',
        COALESCE(x.next_attempt_at, now()), x.lead_snapshot
      FROM jsonb_to_recordset($1::jsonb) AS x(id text, seller_id text, endpoint_id text,
        lead_id text, message_type text, test boolean, next_attempt_at timestamptz,
        lead_snapshot jsonb)
      RETURNING ${COLUMNS}`,
    values: [
      JSON.stringify(
        deliveries.map((d) => ({
          id: d.id,
          seller_id: d.sellerId,
          endpoint_id: d.endpointId,
          lead_id: d.leadId,
          message_type: d.messageType,
          test: d.test ?? false,
          next_attempt_at: d.nextAttemptAt?.toISOString() ?? null,
          lead_snapshot: d.leadSnapshot,
        })),
      ),
    ],
  }),
  get: (id: string): Sql => ({
    text: `SELECT ${COLUMNS} FROM deliveries WHERE id = $1`,
    values: [id],
  }),
  getMany: (ids: readonly string[]): Sql => ({
    text: `SELECT ${COLUMNS} FROM deliveries WHERE id = ANY ($1::text[])`,
    values: [ids],
  }),
  getForSeller: (sellerId: string, id: string): Sql => ({
    text: `SELECT ${COLUMNS} FROM deliveries WHERE seller_id = $1 AND id = $2`,
    values: [sellerId, id],
  }),
  markSucceeded: (id: string, outcome: AttemptOutcome): Sql => ({
    text: `UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL, ${OUTCOME_SET}
      WHERE id = $1 RETURNING ${COLUMNS}`,
    values: [id, ...outcomeValues(outcome)],
  }),
  markFailed: (id: string, outcome: AttemptOutcome): Sql => ({
    text: `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, ${OUTCOME_SET}
      WHERE id = $1 RETURNING ${COLUMNS}`,
    values: [id, ...outcomeValues(outcome)],
  }),
  markRetry: (id: string, nextAttemptAt: Date, outcome: AttemptOutcome): Sql => ({
    text: `UPDATE deliveries SET status = 'pending', next_attempt_at = $6, claim_job_id = NULL,
        ${OUTCOME_SET}
      WHERE id = $1 RETURNING ${COLUMNS}`,
    values: [id, ...outcomeValues(outcome), nextAttemptAt],
  }),
  /** sending → pending without counting, e.g. a held delivery or a worker giving a claim back. */
  release: (id: string, nextAttemptAt: Date | null): Sql => ({
    text: `UPDATE deliveries SET status = 'pending', next_attempt_at = COALESCE($2, now()),
        attempt_count = GREATEST(attempt_count - 1, 0), claim_job_id = NULL, updated_at = now()
      WHERE id = $1 AND status = 'sending' RETURNING ${COLUMNS}`,
    values: [id, nextAttemptAt],
  }),
  /** failed → pending, attempt schedule restarted; scoped to the seller. */
  resend: (sellerId: string, id: string): Sql => ({
    text: `UPDATE deliveries SET status = 'pending', attempt_count = 0, next_attempt_at = now(),
        claim_job_id = NULL, last_error = NULL, last_http_status = NULL, updated_at = now()
      WHERE seller_id = $1 AND id = $2 AND status = 'failed' RETURNING ${COLUMNS}`,
    values: [sellerId, id],
  }),
  pendingForEndpoint: (endpointId: string): Sql => ({
    text: `SELECT id, endpoint_id, next_attempt_at FROM deliveries
      WHERE endpoint_id = $1 AND status = 'pending' ORDER BY created_at, id`,
    values: [endpointId],
  }),
  /** R4 order: an earlier message of the same lead to the same endpoint that is not finished. */
  earlierOpen: (id: string): Sql => ({
    text: `SELECT EXISTS (
        SELECT 1 FROM deliveries self JOIN deliveries d
          ON d.endpoint_id = self.endpoint_id AND d.lead_id = self.lead_id
        WHERE self.id = $1 AND d.status IN ('pending', 'sending')
          AND (d.created_at, d.id) < (self.created_at, self.id)
      ) AS blocked`,
    values: [id],
  }),
};

export type { DeliveryRow };

export function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    sellerId: row.seller_id,
    endpointId: row.endpoint_id,
    leadId: row.lead_id,
    messageType: row.message_type,
    test: row.test,
    status: row.status,
    attemptCount: row.attempt_count,
    nextAttemptAt: row.next_attempt_at,
    claimJobId: row.claim_job_id,
    claimAttempt: row.claim_attempt ?? null,
    supersededBy: row.superseded_by ?? null,
    leadSnapshot: row.lead_snapshot,
    payload: row.payload,
    contentType: row.content_type,
    lastError: row.last_error,
    lastHttpStatus: row.last_http_status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

async function one(db: Db, sql: Sql): Promise<Delivery | null> {
  const { rows } = await db.query<DeliveryRow>(sql.text, sql.values);
  return rows[0] ? toDelivery(rows[0]) : null;
}

export async function insertDeliveries(
  db: Db,
  deliveries: readonly NewDelivery[],
): Promise<Delivery[]> {
  if (deliveries.length === 0) return [];
  const { text, values } = deliverySql.insertMany(deliveries);
  const { rows } = await db.query<DeliveryRow>(text, values);
  const byId = new Map(rows.map((row) => [row.id, toDelivery(row)]));
  return deliveries.map((d) => byId.get(d.id)!);
}

export const getDelivery = (db: Db, id: string) => one(db, deliverySql.get(id));

export async function getDeliveries(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, Delivery>> {
  if (ids.length === 0) return new Map();
  const { text, values } = deliverySql.getMany(ids);
  const { rows } = await db.query<DeliveryRow>(text, values);
  return new Map(rows.map((row) => [row.id, toDelivery(row)]));
}

export const getDeliveryForSeller = (db: Db, sellerId: string, id: string) =>
  one(db, deliverySql.getForSeller(sellerId, id));

export const markDeliverySucceeded = (db: Db, id: string, outcome: AttemptOutcome) =>
  one(db, deliverySql.markSucceeded(id, outcome));

export const markDeliveryFailed = (db: Db, id: string, outcome: AttemptOutcome) =>
  one(db, deliverySql.markFailed(id, outcome));

export const markDeliveryRetry = (
  db: Db,
  id: string,
  nextAttemptAt: Date,
  outcome: AttemptOutcome,
) => one(db, deliverySql.markRetry(id, nextAttemptAt, outcome));

export const releaseDelivery = (db: Db, id: string, nextAttemptAt: Date | null = null) =>
  one(db, deliverySql.release(id, nextAttemptAt));

export type ResendResult =
  | { ok: true; delivery: Delivery }
  | { ok: false; reason: 'not_found' | 'not_failed'; status?: DeliveryStatus };

/** A failed delivery of this seller back to pending with its attempt schedule restarted. */
export async function resendDelivery(db: Db, sellerId: string, id: string): Promise<ResendResult> {
  const delivery = await one(db, deliverySql.resend(sellerId, id));
  if (delivery) return { ok: true, delivery };
  const existing = await getDeliveryForSeller(db, sellerId, id);
  if (!existing) return { ok: false, reason: 'not_found' };
  return { ok: false, reason: 'not_failed', status: existing.status };
}

export async function pendingDeliveriesOfEndpoint(
  db: Db,
  endpointId: string,
): Promise<Array<{ deliveryId: string; endpointId: string; nextAttemptAt: Date | null }>> {
  const { text, values } = deliverySql.pendingForEndpoint(endpointId);
  const { rows } = await db.query<{
    id: string;
    endpoint_id: string;
    next_attempt_at: Date | null;
  }>(text, values);
  return rows.map((row) => ({
    deliveryId: row.id,
    endpointId: row.endpoint_id,
    nextAttemptAt: row.next_attempt_at,
  }));
}

/** True while an earlier message of the same lead to the same endpoint is pending or sending (R4). */
export async function hasEarlierOpenDelivery(db: Db, deliveryId: string): Promise<boolean> {
  const { text, values } = deliverySql.earlierOpen(deliveryId);
  const { rows } = await db.query<{ blocked: boolean }>(text, values);
  return rows[0].blocked;
}

export interface DeliveryClaim {
  deliveryId: string;
  /** The queue job asking to send it. */
  jobId: string;
}

export const deliveryClaimSql = {
  /**
   * pending → sending for a batch, counting the attempt. A delivery already 'sending' is taken
   * only by the job that claimed it (pg-boss retries a dead worker's job under the same id), so a
   * duplicate job or another worker never sends it a second time. Deliveries of disabled
   * endpoints are not claimed: they wait, pending, until the endpoint is enabled again.
   */
  claimMany: (claims: readonly DeliveryClaim[]): Sql => ({
    text: `UPDATE deliveries d SET status = 'sending', attempt_count = d.attempt_count + 1,
        claim_job_id = c.job_id, updated_at = now()
      FROM unnest($1::text[], $2::text[]) AS c(id, job_id), endpoints e
      WHERE d.id = c.id AND e.id = d.endpoint_id AND (e.enabled OR d.test)
        AND (d.status = 'pending' OR (d.status = 'sending' AND d.claim_job_id = c.job_id))
      RETURNING d.*`,
    values: [claims.map((c) => c.deliveryId), claims.map((c) => c.jobId)],
  }),
};

/** Claims what it can of `claims`; returns the claimed deliveries in the order asked. */
export async function claimDeliveries(
  db: Db,
  claims: readonly DeliveryClaim[],
): Promise<Delivery[]> {
  if (claims.length === 0) return [];
  const { text, values } = deliveryClaimSql.claimMany(claims);
  const { rows } = await db.query<DeliveryRow>(text, values);
  const byId = new Map(rows.map((row) => [row.id, toDelivery(row)]));
  // byId.delete: a delivery named by two jobs of one batch is returned (and sent) once.
  return claims.flatMap((claim) => {
    const delivery = byId.get(claim.deliveryId);
    byId.delete(claim.deliveryId);
    return delivery ?? [];
  });
}
