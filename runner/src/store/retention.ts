/**
 * Retention: the statements that delete finished deliveries and their attempts once they are
 * older than a cutoff (maintenance/retention.ts runs them a batch at a time). Each statement is
 * one batch and one short transaction of its own: it picks at most `limit` rows, locks them with
 * SKIP LOCKED (a row someone else holds, say a resend turning it pending, is left for the next
 * run) and deletes them. Leads are kept: they are the provider's records.
 *
 * Never deleted: pending and sending deliveries, whatever their age, and what an open delivery
 * may still need. Finished deliveries take no part in ordering (only pending and sending ones
 * hold a lead's later messages back), but supersession does read them: a lead_update that is
 * pending (or failed, which a resend or a replay turns pending) and older than a succeeded
 * lead_update of its pair becomes superseded by it instead of sending stale data. So a succeeded
 * lead_update is kept while an older lead_update of its pair is pending, sending or failed.
 */
import type { Db, Sql } from '../db/types.js';

/** The statuses a delivery ends in. Matches the predicate of `deliveries_finished_idx` (migration 006) word for word. */
const FINISHED = `d.status IN ('succeeded', 'failed', 'cancelled', 'superseded')`;

/** A succeeded lead_update that an older open or failed lead_update of its pair still needs. */
const NEEDED = `d.status = 'succeeded' AND d.message_type = 'lead_update' AND NOT d.test
  AND EXISTS (SELECT 1 FROM deliveries o
    WHERE o.endpoint_id = d.endpoint_id AND o.lead_id = d.lead_id
      AND o.message_type = 'lead_update' AND NOT o.test
      AND o.status IN ('pending', 'sending', 'failed')
      AND (o.created_at, o.id) < (d.created_at, d.id))`;

export interface PurgeBatchCounts {
  deliveries: number;
  attempts: number;
}

export const retentionSql = {
  /**
   * One batch: up to `limit` deliveries finished before `olderThan` (oldest first, from
   * `deliveries_finished_idx`), their attempts (`attempts_delivery_idx`) and the deliveries.
   */
  purgeFinished: (olderThan: Date, limit: number): Sql => ({
    text: `WITH doomed AS (
        SELECT d.id FROM deliveries d
        WHERE ${FINISHED} AND d.updated_at < $1 AND NOT (${NEEDED})
        ORDER BY d.updated_at
        LIMIT $2
        FOR UPDATE OF d SKIP LOCKED
      ),
      attempts_gone AS (
        DELETE FROM attempts a USING doomed WHERE a.delivery_id = doomed.id RETURNING a.id
      ),
      deliveries_gone AS (
        DELETE FROM deliveries d USING doomed WHERE d.id = doomed.id RETURNING d.id
      )
      SELECT (SELECT count(*) FROM deliveries_gone)::int AS deliveries,
        (SELECT count(*) FROM attempts_gone)::int AS attempts`,
    values: [olderThan, limit],
  }),
  /**
   * One batch of attempts started before `olderThan` (and, given `since`, not before it) whose
   * delivery row is gone (older data). Read per endpoint through `attempts_history_idx
   * (endpoint_id, started_at DESC, id DESC)`, a range scan of each endpoint's old attempts, so it
   * needs no index of its own on the table the workers write most (every attempt belongs to an
   * existing endpoint: the foreign key cascades). `since` keeps a repeated sweep to the attempts
   * that aged past the cutoff since the last one: the range below it holds, until VACUUM, the
   * dead rows of every earlier purge, which a scan would otherwise visit again each time.
   */
  purgeOrphanAttempts: (olderThan: Date, limit: number, since?: Date): Sql => ({
    text: `WITH doomed AS (
        SELECT x.id FROM endpoints e
        CROSS JOIN LATERAL (
          SELECT a.id FROM attempts a
          WHERE a.endpoint_id = e.id AND a.started_at < $1${since ? ' AND a.started_at >= $3' : ''}
            AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)
          LIMIT $2
        ) x
        LIMIT $2
      ),
      attempts_gone AS (
        DELETE FROM attempts a USING doomed WHERE a.id = doomed.id RETURNING a.id
      )
      SELECT (SELECT count(*) FROM attempts_gone)::int AS attempts`,
    values: since ? [olderThan, limit, since] : [olderThan, limit],
  }),
};

/** Deletes one batch of finished deliveries (and their attempts); returns what it deleted. */
export async function purgeFinishedBatch(
  db: Db,
  olderThan: Date,
  limit: number,
): Promise<PurgeBatchCounts> {
  const { text, values } = retentionSql.purgeFinished(olderThan, limit);
  const { rows } = await db.query<PurgeBatchCounts>(text, values);
  return { deliveries: rows[0].deliveries, attempts: rows[0].attempts };
}

/** Deletes one batch of old attempts without a delivery; returns how many. */
export async function purgeOrphanAttemptsBatch(
  db: Db,
  olderThan: Date,
  limit: number,
  since?: Date,
): Promise<number> {
  const { text, values } = retentionSql.purgeOrphanAttempts(olderThan, limit, since);
  const { rows } = await db.query<{ attempts: number }>(text, values);
  return rows[0].attempts;
}
