/**
 * Sending again, on a seller's request, each with its jobs in the caller's transaction:
 *
 * - resend: one failed or succeeded delivery back to pending, due now, its retry schedule
 *   restarted (its attempt numbers run on), with the same id and so the same `webhook-id`: the
 *   receiver can tell it is the message it may already have;
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
import { CURRENT } from './conditions.js';
import { queueJobs, type JobQueue } from './jobs.js';

export interface TimeRange {
  from: Date;
  to: Date;
}

/**
 * → pending, due now, retry schedule restarted: the attempts made so far are remembered as
 * before the resend, so the next attempt is numbered on from them (recorder.ts counts the
 * schedule from `attempts_before_resend`).
 */
const RESTART = `status = 'pending', attempts_before_resend = attempt_count, next_attempt_at = now(),
  claim_job_id = NULL, claim_job_run = NULL, last_error = NULL, last_http_status = NULL,
  updated_at = now()`;

/**
 * What a resend may take: a failed delivery, or a succeeded one (its receiver lost it) unless it
 * is a lead_update that a newer update of the same lead has since replaced: sending that one
 * again would put stale data over newer (R4), and it would only be superseded at its claim.
 */
const RESENDABLE = `(d.status = 'failed' OR (d.status = 'succeeded' AND ${CURRENT}))`;

/** The endpoint's failed real deliveries created in [$3, $4): what a replay sends again. */
const REPLAYABLE = `d.seller_id = $1 AND d.endpoint_id = $2 AND d.status = 'failed' AND NOT d.test
  AND d.created_at >= $3 AND d.created_at < $4`;

export const replaySql = {
  /** One failed or succeeded delivery of the seller. */
  resend: (sellerId: string, id: string): Sql => ({
    text: `UPDATE deliveries d SET ${RESTART}
      WHERE d.seller_id = $1 AND d.id = $2 AND ${RESENDABLE} RETURNING ${DELIVERY_COLUMNS}`,
    values: [sellerId, id],
  }),
  /** The endpoint's failed deliveries created in [from, to). */
  replayFailed: (sellerId: string, endpointId: string, range: TimeRange): Sql => ({
    text: `UPDATE deliveries d SET ${RESTART} WHERE ${REPLAYABLE} RETURNING id, endpoint_id`,
    values: [sellerId, endpointId, range.from, range.to],
  }),
  /** How many a replay of the same range would send again (the page asks before it replays). */
  countReplayable: (sellerId: string, endpointId: string, range: TimeRange): Sql => ({
    text: `SELECT count(*)::int AS count FROM deliveries d WHERE ${REPLAYABLE}`,
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
  | {
      ok: false;
      /** `replaced`: a succeeded lead_update that a newer update of the lead has replaced. */
      reason: 'not_found' | 'not_ended' | 'replaced';
      status?: DeliveryStatus;
    };

/** A failed or succeeded delivery of this seller back to pending, retry schedule restarted. */
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
  const reason = existing.status === 'succeeded' ? 'replaced' : 'not_ended';
  return { ok: false, reason, status: existing.status };
}

/** How many failed deliveries `replayFailed` would send again for the same range; changes nothing. */
export async function countReplayable(
  db: Db,
  sellerId: string,
  endpointId: string,
  range: TimeRange,
): Promise<number> {
  const { text, values } = replaySql.countReplayable(sellerId, endpointId, range);
  const { rows } = await db.query<{ count: number }>(text, values);
  return rows[0]?.count ?? 0;
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
