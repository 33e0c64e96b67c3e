/**
 * Deliveries (messages): one lead event for one endpoint, with its status, attempt count and the
 * lead snapshot every retry resends. The rows are read here; they are written only by
 * store/deliveryState, which owns every status transition and every job (create, claim, settle,
 * supersede, hand-off, requeue, resend).
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
  /** Every attempt ever made, resends included: attempt numbers run on across resends. */
  attemptCount: number;
  /** Attempts made before the latest resend: the retry schedule counts from there. */
  attemptsBeforeResend: number;
  nextAttemptAt: Date | null;
  /** The queue job that claimed it (status sending). */
  claimJobId: string | null;
  /** That job's run (pg-boss's retryCount) when it claimed; null for a Send test. */
  claimJobRun: number | null;
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
  attempts_before_resend?: number;
  next_attempt_at: Date | null;
  claim_job_id: string | null;
  claim_job_run: number | null;
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
  attempt_count, attempts_before_resend, next_attempt_at, claim_job_id, claim_job_run, superseded_by, lead_snapshot, payload,
  content_type, last_error, last_http_status, created_at, updated_at`;

export const deliverySql = {
  getForSeller: (sellerId: string, id: string): Sql => ({
    text: `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE seller_id = $1 AND id = $2`,
    values: [sellerId, id],
  }),
  statuses: (ids: readonly string[]): Sql => ({
    text: 'SELECT id, status FROM deliveries WHERE id = ANY ($1::text[])',
    values: [ids],
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
    attemptsBeforeResend: row.attempts_before_resend ?? 0,
    nextAttemptAt: row.next_attempt_at,
    claimJobId: row.claim_job_id,
    claimJobRun: row.claim_job_run ?? null,
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

export async function getDeliveryForSeller(
  db: Db,
  sellerId: string,
  id: string,
): Promise<Delivery | null> {
  const { text, values } = deliverySql.getForSeller(sellerId, id);
  const { rows } = await db.query<DeliveryRow>(text, values);
  return rows[0] ? toDelivery(rows[0]) : null;
}

export async function deliveryStatuses(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, DeliveryStatus>> {
  const { text, values } = deliverySql.statuses(ids);
  const { rows } = await db.query<{ id: string; status: DeliveryStatus }>(text, values);
  return new Map(rows.map((row) => [row.id, row.status]));
}
