/**
 * The end of one attempt on its delivery, fenced by the claim: only the job attempt that claimed
 * the delivery (claim_job_id + claim_attempt) may move it on. A worker whose claim was taken over
 * (its heartbeat lapsed and pg-boss gave the job to another worker) still records its attempt
 * row, but leaves the delivery to the new claimant.
 */
import type { Db, Sql } from '../db/types.js';
import type { AttemptOutcome, Delivery, DeliveryStatus } from './deliveries.js';

export type Settlement =
  { status: 'succeeded' } | { status: 'failed' } | { status: 'pending'; nextAttemptAt: Date };

export const settleSql = {
  settle: (delivery: Delivery, settlement: Settlement, outcome: AttemptOutcome): Sql => ({
    text: `UPDATE deliveries SET status = $2, next_attempt_at = $3,
        claim_job_id = CASE WHEN $2 = 'pending' THEN NULL ELSE claim_job_id END,
        claim_attempt = CASE WHEN $2 = 'pending' THEN NULL ELSE claim_attempt END,
        last_http_status = $6, last_error = $7, payload = COALESCE(payload, $8),
        content_type = COALESCE(content_type, $9), updated_at = now()
      WHERE id = $1 AND status = 'sending' AND claim_job_id IS NOT DISTINCT FROM $4
        AND claim_attempt IS NOT DISTINCT FROM $5::int
      RETURNING id`,
    values: [
      delivery.id,
      settlement.status,
      settlement.status === 'pending' ? settlement.nextAttemptAt : null,
      delivery.claimJobId,
      delivery.claimAttempt,
      outcome.httpStatus ?? null,
      outcome.error ?? null,
      outcome.payload ?? null,
      outcome.contentType ?? null,
    ],
  }),
  status: (id: string): Sql => ({
    text: 'SELECT status FROM deliveries WHERE id = $1',
    values: [id],
  }),
  attemptExists: (attemptId: string): Sql => ({
    text: 'SELECT 1 FROM attempts WHERE id = $1',
    values: [attemptId],
  }),
};

/** False when the claim is no longer this attempt's (nothing changed). */
export async function settleDelivery(
  tx: Db,
  delivery: Delivery,
  settlement: Settlement,
  outcome: AttemptOutcome,
): Promise<boolean> {
  const { text, values } = settleSql.settle(delivery, settlement, outcome);
  const { rows } = await tx.query(text, values);
  return rows.length > 0;
}

export async function deliveryStatus(db: Db, id: string): Promise<DeliveryStatus | null> {
  const { text, values } = settleSql.status(id);
  const { rows } = await db.query<{ status: DeliveryStatus }>(text, values);
  return rows[0]?.status ?? null;
}

export async function attemptExists(db: Db, attemptId: string): Promise<boolean> {
  const { text, values } = settleSql.attemptExists(attemptId);
  const { rows } = await db.query(text, values);
  return rows.length > 0;
}
