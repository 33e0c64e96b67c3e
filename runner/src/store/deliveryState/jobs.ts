/**
 * Job creation: the only code that calls `queue.enqueueDeliveries`. Every job is inserted with the
 * caller's transaction, so a delivery and its job (or its new state and its next job) commit or
 * roll back together.
 */
import type { Db } from '../../db/types.js';
import type { DeliveryQueue, EnqueueRequest } from '../../queue.js';

/** What the delivery state needs of the queue. */
export type JobQueue = Pick<DeliveryQueue, 'enqueueDeliveries'>;

export type { EnqueueRequest };

export async function queueJobs(
  tx: Db,
  queue: JobQueue,
  requests: readonly EnqueueRequest[],
): Promise<void> {
  await queue.enqueueDeliveries(tx, requests);
}

/** A pending delivery as the statements that queue it again read it. */
export interface PendingRow {
  id: string;
  endpoint_id: string;
  next_attempt_at: Date | null;
}

/**
 * A job for a pending delivery: now, or at its next attempt time when that is later (a retry
 * waiting for its time). A job that still comes early is held until then by the claim (`DUE`).
 */
export function jobFor(row: PendingRow, now: Date): EnqueueRequest {
  return {
    deliveryId: row.id,
    endpointId: row.endpoint_id,
    ...(row.next_attempt_at && row.next_attempt_at.getTime() > now.getTime()
      ? { startAfter: row.next_attempt_at }
      : {}),
  };
}
