/**
 * Settle: the end of one attempt on its delivery: succeeded, failed for good, or pending again
 * with its next attempt time (a retry, with its job), fenced by the claim: only the job run
 * that claimed the delivery (claim_job_id + claim_job_run) may move it on. A worker whose claim
 * was taken over (its heartbeat lapsed and pg-boss gave the job to another worker) still records
 * its attempt row, but leaves the delivery to the new claimant.
 *
 * The recorder (worker/recorder.ts) calls `writeSettlements` (the attempt rows and the statuses,
 * one statement) and then `continueSettled` once (the retries' jobs in one insert, the hand-off of
 * the deliveries that ended), all in its transaction.
 */
import type { Db, Sql } from '../../db/types.js';
import { attemptsJson, insertAttemptsText, type Attempt } from '../attempts.js';
import type { AttemptOutcome, Delivery } from '../deliveries.js';
import { queueJobs, type JobQueue } from './jobs.js';
import { handOffEnded } from './order.js';

export type Settlement =
  { status: 'succeeded' } | { status: 'failed' } | { status: 'pending'; nextAttemptAt: Date };

export interface SettleRequest {
  delivery: Delivery;
  settlement: Settlement;
  outcome: AttemptOutcome;
}

function settleText(param: string): string {
  return `UPDATE deliveries d SET status = x.status, next_attempt_at = x.next_attempt_at,
        claim_job_id = CASE WHEN x.status = 'pending' THEN NULL ELSE d.claim_job_id END,
        claim_job_run = CASE WHEN x.status = 'pending' THEN NULL ELSE d.claim_job_run END,
        last_http_status = x.http_status, last_error = x.error,
        payload = COALESCE(d.payload, x.payload), content_type = COALESCE(d.content_type, x.content_type),
        updated_at = now()
      FROM jsonb_to_recordset(${param}::jsonb) AS x(id text, status text, next_attempt_at timestamptz,
        claim_job_id text, claim_job_run int, http_status int, error text, payload text,
        content_type text)
      WHERE d.id = x.id AND d.status = 'sending'
        AND d.claim_job_id IS NOT DISTINCT FROM x.claim_job_id
        AND d.claim_job_run IS NOT DISTINCT FROM x.claim_job_run`;
}

function settleJson(requests: readonly SettleRequest[]): string {
  return JSON.stringify(
    requests.map(({ delivery, settlement, outcome }) => ({
      id: delivery.id,
      status: settlement.status,
      next_attempt_at:
        settlement.status === 'pending' ? settlement.nextAttemptAt.toISOString() : null,
      claim_job_id: delivery.claimJobId,
      claim_job_run: delivery.claimJobRun,
      http_status: outcome.httpStatus ?? null,
      error: outcome.error ?? null,
      payload: outcome.payload ?? null,
      content_type: outcome.contentType ?? null,
    })),
  );
}

export const settleSql = {
  /** A batch's attempt rows and its settlements in one statement (one round trip, not two). */
  recordMany: (attempts: readonly Attempt[], requests: readonly SettleRequest[]): Sql => ({
    text: `WITH written AS (${insertAttemptsText('$1')})
      ${settleText('$2')} RETURNING d.id`,
    values: [attemptsJson(attempts), settleJson(requests)],
  }),
};

/**
 * Writes every attempt row and settles the deliveries still claimed by the caller; returns those
 * (the others changed nothing).
 */
export async function writeSettlements(
  tx: Db,
  attempts: readonly Attempt[],
  requests: readonly SettleRequest[],
): Promise<Set<string>> {
  const { text, values } = settleSql.recordMany(attempts, requests);
  const { rows } = await tx.query<{ id: string }>(text, values);
  return new Set(rows.map((row) => row.id));
}

/**
 * What follows the settlements that took effect, in their transaction: each retry's job at its
 * next attempt time, and the hand-off of the pairs whose delivery ended (Send tests take no part).
 */
export async function continueSettled(
  tx: Db,
  queue: JobQueue,
  settled: readonly SettleRequest[],
): Promise<void> {
  await queueJobs(
    tx,
    queue,
    settled.flatMap(({ delivery, settlement }) =>
      settlement.status === 'pending'
        ? [
            {
              deliveryId: delivery.id,
              endpointId: delivery.endpointId,
              startAfter: settlement.nextAttemptAt,
            },
          ]
        : [],
    ),
  );
  await handOffEnded(
    tx,
    queue,
    settled
      .filter(({ delivery, settlement }) => settlement.status !== 'pending' && !delivery.test)
      .map(({ delivery }) => ({ endpointId: delivery.endpointId, leadId: delivery.leadId })),
  );
}
