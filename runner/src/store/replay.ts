/**
 * Replay and backfill for one endpoint (seller-scoped): failed deliveries of a time range back to
 * pending; past leads as new_lead deliveries for an endpoint that did not exist when they came.
 * Each is one transaction with its queue jobs. Backfill never creates a second new_lead for a
 * lead and endpoint: it skips leads that have one, and it first holds the endpoint's row, so two
 * backfills of one endpoint run one after the other, the second seeing what the first wrote (each
 * statement reads as of its own start). Intake creates the only other new_lead deliveries, in the
 * transaction that inserts their lead. There is no unique index behind it on purpose: see
 * migration 008.
 */
import type { Db, Sql } from '../db/types.js';
import { newId } from '../ids.js';

export interface TimeRange {
  from: Date;
  to: Date;
}

export interface Queued {
  deliveryId: string;
  endpointId: string;
}

export const replaySql = {
  /**
   * Holds the endpoint for the rest of a backfill's transaction. FOR NO KEY UPDATE waits for
   * another backfill (or an edit) of the endpoint, not for the key-share locks that inserting its
   * deliveries and attempts takes.
   */
  lockForBackfill: (sellerId: string, endpointId: string): Sql => ({
    text: `SELECT 1 FROM endpoints WHERE id = $1 AND seller_id = $2 FOR NO KEY UPDATE`,
    values: [endpointId, sellerId],
  }),
  /** failed → pending, attempt schedule restarted, for deliveries created in [from, to). */
  replayFailed: (sellerId: string, endpointId: string, range: TimeRange): Sql => ({
    text: `UPDATE deliveries SET status = 'pending', attempt_count = 0, next_attempt_at = now(),
        claim_job_id = NULL, claim_attempt = NULL, last_error = NULL, last_http_status = NULL,
        updated_at = now()
      WHERE seller_id = $1 AND endpoint_id = $2 AND status = 'failed' AND NOT test
        AND created_at >= $3 AND created_at < $4
      RETURNING id, endpoint_id`,
    values: [sellerId, endpointId, range.from, range.to],
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
  /** new_lead deliveries of those leads, their current data as the snapshot. */
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

function toQueued(rows: Array<{ id: string; endpoint_id: string }>): Queued[] {
  return rows.map((row) => ({ deliveryId: row.id, endpointId: row.endpoint_id }));
}

export async function replayFailedDeliveries(
  tx: Db,
  sellerId: string,
  endpointId: string,
  range: TimeRange,
): Promise<Queued[]> {
  const { text, values } = replaySql.replayFailed(sellerId, endpointId, range);
  const { rows } = await tx.query<{ id: string; endpoint_id: string }>(text, values);
  return toQueued(rows);
}

export async function backfillNewLeads(
  tx: Db,
  input: { sellerId: string; endpointId: string; leadOrderId: string | null; range: TimeRange },
): Promise<Queued[]> {
  const lock = replaySql.lockForBackfill(input.sellerId, input.endpointId);
  await tx.query(lock.text, lock.values);
  const select = replaySql.backfillLeads(
    input.sellerId,
    input.endpointId,
    input.leadOrderId,
    input.range,
  );
  const { rows } = await tx.query<{ id: string }>(select.text, select.values);
  if (rows.length === 0) return [];
  const leadIds = rows.map((row) => row.id);
  const insert = replaySql.insertBackfill(
    input.sellerId,
    input.endpointId,
    leadIds.map(() => newId('delivery')),
    leadIds,
  );
  const inserted = await tx.query<{ id: string; endpoint_id: string }>(insert.text, insert.values);
  return toQueued(inserted.rows);
}
