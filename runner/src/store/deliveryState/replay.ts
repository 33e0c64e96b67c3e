/**
 * Sending again, on a seller's request, each with its jobs in the caller's transaction:
 *
 * - resend: one failed delivery back to pending, due now, its attempt schedule restarted;
 * - replay: the same for an endpoint's failed deliveries created in a time range;
 * - backfill: new_lead deliveries of past leads for an endpoint that did not exist when they came.
 *
 * Backfill never creates a second new_lead for a lead and endpoint: it skips leads that have one,
 * and it first holds the endpoint's row, so two backfills of one endpoint run one after the other,
 * the second seeing what the first wrote (each statement reads as of its own start). Intake
 * creates the only other new_lead deliveries, in the transaction that inserts their lead. There
 * is no unique index behind it on purpose: see migration 008.
 */
import type { Db, Sql } from '../../db/types.js';
import { newId } from '../../ids.js';
import {
  DELIVERY_COLUMNS,
  getDeliveryForSeller,
  toDelivery,
  type Delivery,
  type DeliveryRow,
  type DeliveryStatus,
} from '../deliveries.js';
import { queueJobs, type JobQueue } from './jobs.js';

export interface TimeRange {
  from: Date;
  to: Date;
}

/** failed → pending, due now, attempt schedule restarted. */
const RESTART = `status = 'pending', attempt_count = 0, next_attempt_at = now(),
  claim_job_id = NULL, claim_job_run = NULL, last_error = NULL, last_http_status = NULL,
  updated_at = now()`;

export const replaySql = {
  /** One failed delivery of the seller. */
  resend: (sellerId: string, id: string): Sql => ({
    text: `UPDATE deliveries SET ${RESTART}
      WHERE seller_id = $1 AND id = $2 AND status = 'failed' RETURNING ${DELIVERY_COLUMNS}`,
    values: [sellerId, id],
  }),
  /** The endpoint's failed deliveries created in [from, to). */
  replayFailed: (sellerId: string, endpointId: string, range: TimeRange): Sql => ({
    text: `UPDATE deliveries SET ${RESTART}
      WHERE seller_id = $1 AND endpoint_id = $2 AND status = 'failed' AND NOT test
        AND created_at >= $3 AND created_at < $4
      RETURNING id, endpoint_id`,
    values: [sellerId, endpointId, range.from, range.to],
  }),
  /**
   * Holds the endpoint for the rest of a backfill's transaction. FOR NO KEY UPDATE waits for
   * another backfill (or an edit) of the endpoint, not for the key-share locks that inserting its
   * deliveries and attempts takes.
   */
  lockForBackfill: (sellerId: string, endpointId: string): Sql => ({
    text: `SELECT 1 FROM endpoints WHERE id = $1 AND seller_id = $2 FOR NO KEY UPDATE`,
    values: [endpointId, sellerId],
  }),
  /**
   * The seller's leads taken in during [from, to) that the endpoint's lead orders cover (and
   * `leadOrderId`, when given) and that have no new_lead delivery to it yet, oldest first.
   */
  backfillLeads: (
    sellerId: string,
    endpointId: string,
    leadOrderId: string | null,
    range: TimeRange,
  ): Sql => ({
    text: `SELECT l.id FROM leads l JOIN endpoints e ON e.id = $2 AND e.seller_id = $1
      WHERE l.seller_id = $1 AND l.created_at >= $4 AND l.created_at < $5
        AND (cardinality(e.lead_order_ids) = 0 OR l.lead_order_id = ANY (e.lead_order_ids))
        AND ($3::text IS NULL OR l.lead_order_id = $3)
        AND NOT EXISTS (SELECT 1 FROM deliveries d
          WHERE d.endpoint_id = e.id AND d.lead_id = l.id AND d.message_type = 'new_lead'
            AND NOT d.test)
      ORDER BY l.created_at, l.id`,
    values: [sellerId, endpointId, leadOrderId, range.from, range.to],
  }),
  /** new_lead deliveries of those leads, pending and due now, their current data as the snapshot. */
  insertBackfill: (
    sellerId: string,
    endpointId: string,
    ids: string[],
    leadIds: string[],
  ): Sql => ({
    text: `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, test, status,
        next_attempt_at, lead_snapshot)
      SELECT x.id, l.seller_id, $2, l.id, 'new_lead', false, 'pending', now(), l.data
      FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS x(id, lead_id, ord)
      JOIN leads l ON l.id = x.lead_id AND l.seller_id = $1
      ORDER BY x.ord
      RETURNING id, endpoint_id`,
    values: [sellerId, endpointId, ids, leadIds],
  }),
};

type Queued = Array<{ id: string; endpoint_id: string }>;

async function queueAll(tx: Db, queue: JobQueue, rows: Queued): Promise<number> {
  await queueJobs(
    tx,
    queue,
    rows.map((row) => ({ deliveryId: row.id, endpointId: row.endpoint_id })),
  );
  return rows.length;
}

export type ResendResult =
  | { ok: true; delivery: Delivery }
  | { ok: false; reason: 'not_found' | 'not_failed'; status?: DeliveryStatus };

/** A failed delivery of this seller back to pending with its attempt schedule restarted. */
export async function resendDelivery(
  tx: Db,
  queue: JobQueue,
  sellerId: string,
  id: string,
): Promise<ResendResult> {
  const { text, values } = replaySql.resend(sellerId, id);
  const { rows } = await tx.query<DeliveryRow>(text, values);
  if (rows[0]) {
    const delivery = toDelivery(rows[0]);
    await queueAll(tx, queue, [rows[0]]);
    return { ok: true, delivery };
  }
  const existing = await getDeliveryForSeller(tx, sellerId, id);
  if (!existing) return { ok: false, reason: 'not_found' };
  return { ok: false, reason: 'not_failed', status: existing.status };
}

/** Replays an endpoint's failed deliveries of a time range; returns how many. */
export async function replayFailed(
  tx: Db,
  queue: JobQueue,
  sellerId: string,
  endpointId: string,
  range: TimeRange,
): Promise<number> {
  const { text, values } = replaySql.replayFailed(sellerId, endpointId, range);
  const { rows } = await tx.query<{ id: string; endpoint_id: string }>(text, values);
  return queueAll(tx, queue, rows);
}

/** Backfills an endpoint with the leads of a time range it has no new_lead for; returns how many. */
export async function backfill(
  tx: Db,
  queue: JobQueue,
  input: { sellerId: string; endpointId: string; leadOrderId: string | null; range: TimeRange },
): Promise<number> {
  const lock = replaySql.lockForBackfill(input.sellerId, input.endpointId);
  await tx.query(lock.text, lock.values);
  const select = replaySql.backfillLeads(
    input.sellerId,
    input.endpointId,
    input.leadOrderId,
    input.range,
  );
  const { rows } = await tx.query<{ id: string }>(select.text, select.values);
  if (rows.length === 0) return 0;
  const leadIds = rows.map((row) => row.id);
  const insert = replaySql.insertBackfill(
    input.sellerId,
    input.endpointId,
    leadIds.map(() => newId('delivery')),
    leadIds,
  );
  const inserted = await tx.query<{ id: string; endpoint_id: string }>(insert.text, insert.values);
  return queueAll(tx, queue, inserted.rows);
}
