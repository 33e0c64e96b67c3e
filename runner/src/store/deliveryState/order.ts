/**
 * Supersede and hand-off: R4 order per endpoint and lead ("pair"). A delivery is sent only when no
 * earlier delivery of its pair is pending or sending (FIRST_OF_LEAD); a pending lead_update that is
 * not CURRENT (a newer live lead_update of its pair exists) is superseded, never sent. Send tests
 * take no part.
 *
 * A delivery held behind an earlier one keeps no job. Whoever ends the earlier one (the settle, or
 * a claim that supersedes) hands the pair on in the same transaction: `handOff` queues its new
 * head. The full admission locks the open deliveries of its pairs first (`lockPairs`), and the
 * settle's status update locks the row it ends, so a claim and a settle of one pair never both
 * miss each other: one waits for the other's commit, then sees its result.
 */
import type { Db, Sql } from '../../db/types.js';
import { CURRENT } from './conditions.js';
import { jobFor, queueJobs, type JobQueue, type PendingRow } from './jobs.js';

export interface Pair {
  endpointId: string;
  leadId: string;
}

export interface Superseded extends Pair {
  id: string;
  supersededBy: string;
}

const PAIRS = `SELECT DISTINCT p.endpoint_id, p.lead_id
  FROM unnest($1::text[], $2::text[]) AS p(endpoint_id, lead_id)`;

function pairValues(pairs: readonly Pair[]): unknown[] {
  return [pairs.map((p) => p.endpointId), pairs.map((p) => p.leadId)];
}

export const orderSql = {
  /** Row locks on every open delivery of the pairs of `ids`, in id order (no deadlock between claims). */
  lockPairs: (ids: readonly string[]): Sql => ({
    text: `SELECT d.id, d.endpoint_id, d.lead_id, d.message_type FROM deliveries d
      WHERE (d.endpoint_id, d.lead_id) IN (
          SELECT endpoint_id, lead_id FROM deliveries WHERE id = ANY ($1::text[]) AND NOT test)
        AND d.status IN ('pending', 'sending') AND NOT d.test
      ORDER BY d.id FOR UPDATE`,
    values: [ids],
  }),
  /**
   * The pending deliveries of the pairs that are not CURRENT become superseded by their pair's
   * newest live (pending, sending or succeeded) lead_update.
   */
  supersede: (pairs: readonly Pair[]): Sql => ({
    text: `WITH pairs AS (${PAIRS}),
      latest AS (
        SELECT DISTINCT ON (d.endpoint_id, d.lead_id) d.endpoint_id, d.lead_id, d.id
        FROM deliveries d JOIN pairs p ON p.endpoint_id = d.endpoint_id AND p.lead_id = d.lead_id
        WHERE d.message_type = 'lead_update' AND NOT d.test
          AND d.status IN ('pending', 'sending', 'succeeded')
        ORDER BY d.endpoint_id, d.lead_id, d.created_at DESC, d.id DESC
      )
      UPDATE deliveries d SET status = 'superseded', superseded_by = l.id, next_attempt_at = NULL,
        claim_job_id = NULL, claim_job_run = NULL, updated_at = now()
      FROM latest l
      WHERE d.endpoint_id = l.endpoint_id AND d.lead_id = l.lead_id AND d.status = 'pending'
        AND NOT ${CURRENT}
      RETURNING d.id, d.endpoint_id, d.lead_id, d.superseded_by`,
    values: pairValues(pairs),
  }),
  /** The pairs that have an open delivery (pending or sending). */
  openPairs: (pairs: readonly Pair[]): Sql => ({
    text: `WITH pairs AS (${PAIRS})
      SELECT p.endpoint_id, p.lead_id FROM pairs p
      WHERE EXISTS (SELECT 1 FROM deliveries d
        WHERE d.endpoint_id = p.endpoint_id AND d.lead_id = p.lead_id
          AND d.status IN ('pending', 'sending') AND NOT d.test)`,
    values: pairValues(pairs),
  }),
  /** The first open delivery of each pair (the only one that may be sent). */
  heads: (pairs: readonly Pair[]): Sql => ({
    text: `WITH pairs AS (${PAIRS})
      SELECT DISTINCT ON (d.endpoint_id, d.lead_id) d.id, d.endpoint_id, d.status, d.next_attempt_at
      FROM deliveries d JOIN pairs p ON p.endpoint_id = d.endpoint_id AND p.lead_id = d.lead_id
      WHERE d.status IN ('pending', 'sending') AND NOT d.test
      ORDER BY d.endpoint_id, d.lead_id, d.created_at, d.id`,
    values: pairValues(pairs),
  }),
};

/** Locks the open deliveries of the pairs of `ids`; returns those pairs. */
export interface LockedPairs {
  pairs: Pair[];
  /** The pairs with an open lead_update: the only ones supersession can change. */
  withUpdates: Pair[];
}

export async function lockPairs(db: Db, ids: readonly string[]): Promise<LockedPairs> {
  if (ids.length === 0) return { pairs: [], withUpdates: [] };
  const { text, values } = orderSql.lockPairs(ids);
  const { rows } = await db.query<{ endpoint_id: string; lead_id: string; message_type: string }>(
    text,
    values,
  );
  const pairs = new Map<string, Pair>();
  const withUpdates = new Map<string, Pair>();
  for (const row of rows) {
    const key = `${row.endpoint_id}\u0000${row.lead_id}`;
    const pair = pairs.get(key) ?? { endpointId: row.endpoint_id, leadId: row.lead_id };
    pairs.set(key, pair);
    if (row.message_type === 'lead_update') withUpdates.set(key, pair);
  }
  return { pairs: [...pairs.values()], withUpdates: [...withUpdates.values()] };
}

/** Supersede: pending → superseded for what is stale in `pairs` (no job: it is never sent). */
export async function supersede(db: Db, pairs: readonly Pair[]): Promise<Superseded[]> {
  if (pairs.length === 0) return [];
  const { text, values } = orderSql.supersede(pairs);
  const { rows } = await db.query<{
    id: string;
    endpoint_id: string;
    lead_id: string;
    superseded_by: string;
  }>(text, values);
  return rows.map((row) => ({
    id: row.id,
    endpointId: row.endpoint_id,
    leadId: row.lead_id,
    supersededBy: row.superseded_by,
  }));
}

/**
 * Queues each pair's head if it is pending (and not in `skip`: deliveries the caller queues or
 * claims itself). A head that already has a job gets a second one; the claim sends it once.
 */
export async function queueHeads(
  tx: Db,
  queue: JobQueue,
  pairs: readonly Pair[],
  options: { skip?: ReadonlySet<string>; now?: Date } = {},
): Promise<number> {
  if (pairs.length === 0) return 0;
  const { text, values } = orderSql.heads(pairs);
  const { rows } = await tx.query<PendingRow & { status: string }>(text, values);
  const skip = options.skip ?? new Set();
  const now = options.now ?? new Date();
  const jobs = rows
    .filter((row) => row.status === 'pending' && !skip.has(row.id))
    .map((row) => jobFor(row, now));
  await queueJobs(tx, queue, jobs);
  return jobs.length;
}

/**
 * Hand-off: ends a wait. Supersedes what became stale in `pairs` and queues each pair's head if
 * it is pending. Run inside the transaction that ended the earlier delivery.
 */
export async function handOff(
  tx: Db,
  queue: JobQueue,
  pairs: readonly Pair[],
): Promise<{ superseded: Superseded[]; queued: number }> {
  if (pairs.length === 0) return { superseded: [], queued: 0 };
  const superseded = await supersede(tx, pairs);
  const queued = await queueHeads(tx, queue, pairs);
  return { superseded, queued };
}

/**
 * handOff for the pairs of deliveries that just ended, skipping the pairs with nothing open (the
 * common case: one statement instead of two). Must run as a statement after the one that ended
 * them: a claim that locked an ended delivery first and held a newer one behind it has committed
 * by then, and this statement's snapshot sees what it held.
 */
export async function handOffEnded(
  tx: Db,
  queue: JobQueue,
  pairs: readonly Pair[],
): Promise<{ superseded: Superseded[]; queued: number }> {
  if (pairs.length === 0) return { superseded: [], queued: 0 };
  const { text, values } = orderSql.openPairs(pairs);
  const { rows } = await tx.query<{ endpoint_id: string; lead_id: string }>(text, values);
  return handOff(
    tx,
    queue,
    rows.map((row) => ({ endpointId: row.endpoint_id, leadId: row.lead_id })),
  );
}
