import type { Logger } from 'pino';

import { withDbRetry } from '../db/retry.js';
import type { Db } from '../db/types.js';
import { newId } from '../ids.js';
import { attemptDuration, deliveriesTotal } from '../metrics.js';
import type { DeliveryQueue } from '../queue.js';
import { insertAttempt } from '../store/attempts.js';
import type { AttemptOutcome, Delivery } from '../store/deliveries.js';
import { handOff } from '../store/ordering.js';
import { attemptExists, deliveryStatus, settleDelivery } from '../store/settle.js';
import type { AttemptReport } from './dispatcher.js';
import { nextRetry } from './retrySchedule.js';

/** `stale`: the attempt row was written, but another attempt of the job had taken the delivery over. */
export type RecordedStatus = 'succeeded' | 'retrying' | 'failed' | 'stale';

export interface RecordOptions {
  retryScheduleMs: readonly number[];
  now?: Date;
  logger?: Logger;
}

/**
 * Writes one attempt (the history row) and moves its delivery on, in one transaction: succeeded,
 * pending again with a retry job (R5 schedule, Retry-After), or failed for good. The attempt row
 * is written before the next try exists, so history never misses a try that was made. A delivery
 * that ends (succeeded or failed) hands its lead's turn on (R4): the next message of the same lead
 * to the same endpoint is queued in the same transaction, stale updates superseded.
 *
 * A lost connection or a deadlock retries the whole transaction (with the same attempt id, so a
 * commit whose answer was lost is recognised rather than written twice).
 */
export async function recordAttempt(
  db: Db,
  queue: Pick<DeliveryQueue, 'enqueueDeliveries'>,
  delivery: Delivery,
  report: AttemptReport,
  options: RecordOptions,
): Promise<RecordedStatus> {
  const outcome: AttemptOutcome = {
    httpStatus: report.httpStatus,
    error: report.error,
    payload: report.payload,
    contentType: report.contentType,
  };
  const decision =
    !report.success && report.outcome === 'retryable' && !delivery.test
      ? nextRetry(options.retryScheduleMs, delivery.attemptCount, report.retryAfterMs, options.now)
      : { retry: false, nextAttemptAt: null };
  const attemptId = newId('attempt');

  const status = await withDbRetry(
    (tryNumber) =>
      db.transaction(async (tx): Promise<RecordedStatus> => {
        if (tryNumber > 0 && (await attemptExists(tx, attemptId))) {
          // The previous try committed; only its answer was lost.
          return statusFromDelivery(await deliveryStatus(tx, delivery.id));
        }
        await insertAttempt(tx, {
          id: attemptId,
          deliveryId: delivery.id,
          sellerId: delivery.sellerId,
          endpointId: delivery.endpointId,
          leadId: delivery.leadId,
          messageType: delivery.messageType,
          test: delivery.test,
          attempt: delivery.attemptCount,
          startedAt: report.startedAt,
          durationMs: report.durationMs,
          status: report.success ? 'success' : 'failure',
          httpStatus: report.httpStatus,
          error: report.error,
          responseExcerpt: report.responseExcerpt,
          requestHeaders: report.requestHeaders,
        });
        if (report.success) {
          if (!(await settleDelivery(tx, delivery, { status: 'succeeded' }, outcome))) {
            return 'stale';
          }
          await endTurn(tx, queue, delivery);
          return 'succeeded';
        }
        if (decision.retry && decision.nextAttemptAt) {
          const settled = await settleDelivery(
            tx,
            delivery,
            { status: 'pending', nextAttemptAt: decision.nextAttemptAt },
            outcome,
          );
          if (!settled) return 'stale';
          await queue.enqueueDeliveries(tx, [
            {
              deliveryId: delivery.id,
              endpointId: delivery.endpointId,
              startAfter: decision.nextAttemptAt,
            },
          ]);
          return 'retrying';
        }
        if (!(await settleDelivery(tx, delivery, { status: 'failed' }, outcome))) return 'stale';
        await endTurn(tx, queue, delivery);
        return 'failed';
      }),
    {
      onRetry: (error, attempt) =>
        options.logger?.warn(
          { err: error, deliveryId: delivery.id, attempt },
          'recording an attempt failed on the database; retrying',
        ),
    },
  );
  attemptDuration.observe(
    { status: report.success ? 'success' : 'failure' },
    report.durationMs / 1000,
  );
  if (status === 'succeeded' || status === 'failed') deliveriesTotal.inc({ outcome: status });
  if (status === 'stale') {
    options.logger?.warn(
      { deliveryId: delivery.id, jobId: delivery.claimJobId, attempt: delivery.claimAttempt },
      'attempt recorded, but the delivery had been taken over by a retry of its job',
    );
  }
  return status;
}

async function endTurn(
  tx: Db,
  queue: Pick<DeliveryQueue, 'enqueueDeliveries'>,
  delivery: Delivery,
): Promise<void> {
  if (delivery.test) return;
  await handOff(tx, queue, [{ endpointId: delivery.endpointId, leadId: delivery.leadId }]);
}

function statusFromDelivery(status: string | null): RecordedStatus {
  if (status === 'succeeded' || status === 'failed') return status;
  if (status === 'pending') return 'retrying';
  return 'stale';
}
