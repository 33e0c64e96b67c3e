/**
 * Requeue: new jobs for deliveries that stay pending, so that a pending delivery that can go out
 * has a job that will ask for it:
 *
 * - held: the full admission held it for its endpoint's limits, or because it is not due yet;
 * - deferred: the worker gave a stuck lane's job back for later, and woke it early when the lane
 *   freed up;
 * - waiting: a maxConcurrency endpoint's slots freed up (its oldest due deliveries);
 * - released: the endpoint was enabled, or its circuit closed or was reset (every waiting lead's
 *   head);
 * - the circuit probe: a job at the endpoint's next probe time, resolved by the full admission to
 *   the delivery to try.
 *
 * A second job for one delivery is harmless: the claim sends it once, and not before it is due.
 * The one status change here: a dead worker's delivery that its job's retry does not send goes
 * back to pending (releaseTakeovers).
 */
import type { Db, Sql } from '../../db/types.js';
import { DUE, FIRST_OF_LEAD, LEFT_TO_JOB } from './conditions.js';
import { jobFor, queueJobs, type EnqueueRequest, type JobQueue, type PendingRow } from './jobs.js';

export const requeueSql = {
  /** An endpoint's oldest pending deliveries that are due and first of their lead. */
  waiting: (endpointId: string, limit: number): Sql => ({
    text: `SELECT d.id FROM deliveries d
      WHERE d.endpoint_id = $1 AND d.status = 'pending' AND NOT d.test
        AND ${DUE} AND ${FIRST_OF_LEAD}
      ORDER BY d.created_at, d.id LIMIT $2`,
    values: [endpointId, limit],
  }),
  /** The first open delivery of each lead of an endpoint (what a closing circuit releases). */
  endpointHeads: (endpointId: string): Sql => ({
    text: `SELECT DISTINCT ON (d.lead_id) d.id, d.endpoint_id, d.status, d.next_attempt_at
      FROM deliveries d
      WHERE d.endpoint_id = $1 AND d.status IN ('pending', 'sending') AND NOT d.test
      ORDER BY d.lead_id, d.created_at, d.id`,
    values: [endpointId],
  }),
  /** Deliveries left to the jobs asking for them back to pending, their claim cleared. */
  releaseTakeovers: (takeovers: readonly Takeover[]): Sql => ({
    text: `UPDATE deliveries d SET status = 'pending', claim_job_id = NULL, claim_job_run = NULL,
        updated_at = now()
      FROM unnest($1::text[], $2::text[], $3::int[]) AS c(id, job_id, job_run)
      WHERE d.id = c.id AND ${LEFT_TO_JOB}`,
    values: [
      takeovers.map((t) => t.deliveryId),
      takeovers.map((t) => t.jobId),
      takeovers.map((t) => t.jobRun),
    ],
  }),
  /** Every pending delivery of an endpoint (what enabling it releases). */
  pending: (endpointId: string): Sql => ({
    text: `SELECT id, endpoint_id, next_attempt_at FROM deliveries
      WHERE endpoint_id = $1 AND status = 'pending' ORDER BY created_at, id`,
    values: [endpointId],
  }),
};

export interface Held {
  deliveryId: string;
  endpointId: string;
  /** When to ask again: a slot or token should be there, or the delivery is due. */
  startAfter: Date;
}

/** Jobs for what the full admission held with a time to come back at. */
export async function requeueHeld(tx: Db, queue: JobQueue, held: readonly Held[]): Promise<void> {
  await queueJobs(tx, queue, held);
}

/** A job and the delivery it asks for: pg-boss's job id and job run (retryCount). */
export interface Takeover {
  deliveryId: string;
  jobId: string;
  jobRun: number;
}

/**
 * Gives back what a job does not send: a delivery left sending under an earlier run of that
 * job (its worker died) goes back to pending, its claim cleared, its attempt still counted (as a
 * takeover would count it). Only that job could take it over (LEFT_TO_JOB); once the job is done,
 * or replaced by a new one, a delivery left sending would stay so, with no job, for good. Pending
 * ones are untouched. The caller queues its next job, or leaves it to whoever ends its wait.
 */
export async function releaseTakeovers(tx: Db, takeovers: readonly Takeover[]): Promise<void> {
  if (takeovers.length === 0) return;
  const { text, values } = requeueSql.releaseTakeovers(takeovers);
  await tx.query(text, values);
}

/** A job the worker gives back: pg-boss's id and job run (retryCount). */
export interface DeferredJob {
  id: string;
  retryCount: number;
}

/**
 * A stuck lane's jobs given back for later: `requests[i]` is the new job of `jobs[i]` (with its
 * `startAfter`; probe jobs stay probes), and the caller completes the old jobs in the same
 * transaction. A retried job of a dead worker gives its delivery back first (releaseTakeovers):
 * the new job has another id and could not take it over.
 */
export async function requeueDeferred(
  tx: Db,
  queue: JobQueue,
  jobs: readonly DeferredJob[],
  requests: readonly EnqueueRequest[],
): Promise<void> {
  // A first job run (the common deferral) has nothing left sending to give back.
  await releaseTakeovers(
    tx,
    requests.flatMap((request, index) =>
      request.deliveryId && jobs[index].retryCount > 0
        ? [
            {
              deliveryId: request.deliveryId,
              jobId: jobs[index].id,
              jobRun: jobs[index].retryCount,
            },
          ]
        : [],
    ),
  );
  await queueJobs(tx, queue, requests);
}

/** Deferred deliveries of a lane that freed up: a job now each (their own transaction). */
export async function requeueWoken(
  db: Db,
  queue: JobQueue,
  endpointId: string,
  deliveryIds: readonly string[],
): Promise<void> {
  if (deliveryIds.length === 0) return;
  await db.transaction((tx) =>
    queueJobs(
      tx,
      queue,
      deliveryIds.map((deliveryId) => ({ deliveryId, endpointId })),
    ),
  );
}

/**
 * `freed` deliveries of a maxConcurrency endpoint ended: queue as many of its oldest waiting
 * deliveries now instead of at their recheck time.
 */
export async function requeueWaiting(
  db: Db,
  queue: JobQueue,
  endpointId: string,
  freed: number,
): Promise<number> {
  if (freed <= 0) return 0;
  const { text, values } = requeueSql.waiting(endpointId, freed);
  const { rows } = await db.query<{ id: string }>(text, values);
  await requeueWoken(
    db,
    queue,
    endpointId,
    rows.map((row) => row.id),
  );
  return rows.length;
}

/**
 * Queues the head of every waiting lead of an endpoint: its circuit closed, or was reset by a new
 * URL. Heads waiting for a retry are queued at its time.
 */
export async function releaseEndpoint(
  tx: Db,
  queue: JobQueue,
  endpointId: string,
  now: Date = new Date(),
): Promise<number> {
  const { text, values } = requeueSql.endpointHeads(endpointId);
  const { rows } = await tx.query<PendingRow & { status: string }>(text, values);
  const jobs = rows.filter((row) => row.status === 'pending').map((row) => jobFor(row, now));
  await queueJobs(tx, queue, jobs);
  return jobs.length;
}

/**
 * The endpoint was enabled: every pending delivery of it gets a job (the claim holds those whose
 * lead has an earlier one open), a retry at its time.
 */
export async function releaseEnabled(
  tx: Db,
  queue: JobQueue,
  endpointId: string,
  now: Date = new Date(),
): Promise<number> {
  const { text, values } = requeueSql.pending(endpointId);
  const { rows } = await tx.query<PendingRow>(text, values);
  await queueJobs(
    tx,
    queue,
    rows.map((row) => jobFor(row, now)),
  );
  return rows.length;
}

/** The circuit opened: a probe job at its next probe time. */
export async function queueProbe(
  tx: Db,
  queue: JobQueue,
  endpointId: string,
  at: Date,
): Promise<void> {
  await queueJobs(tx, queue, [{ deliveryId: '', endpointId, probe: true, startAfter: at }]);
}
