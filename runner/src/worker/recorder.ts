import type { Db } from '../db/types.js';
import { newId } from '../ids.js';
import { attemptDuration, deliveriesTotal } from '../metrics.js';
import type { DeliveryQueue } from '../queue.js';
import { insertAttempt } from '../store/attempts.js';
import {
  markDeliveryFailed,
  markDeliveryRetry,
  markDeliverySucceeded,
  type AttemptOutcome,
  type Delivery,
} from '../store/deliveries.js';
import type { AttemptReport } from './dispatcher.js';
import { nextRetry } from './retrySchedule.js';

export type RecordedStatus = 'succeeded' | 'retrying' | 'failed';

export interface RecordOptions {
  retryScheduleMs: readonly number[];
  now?: Date;
}

/**
 * Writes one attempt (the history row) and moves its delivery on, in one transaction: succeeded,
 * pending again with a retry job (R5 schedule, Retry-After), or failed for good. The attempt row
 * is written before the next try exists, so history never misses a try that was made.
 */
export async function recordAttempt(
  db: Db,
  queue: DeliveryQueue,
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
  const status = await db.transaction(async (tx) => {
    await insertAttempt(tx, {
      id: newId('attempt'),
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
      await markDeliverySucceeded(tx, delivery.id, outcome);
      return 'succeeded' as const;
    }
    const decision =
      report.outcome === 'retryable' && !delivery.test
        ? nextRetry(
            options.retryScheduleMs,
            delivery.attemptCount,
            report.retryAfterMs,
            options.now,
          )
        : { retry: false, nextAttemptAt: null };
    if (decision.retry && decision.nextAttemptAt) {
      await markDeliveryRetry(tx, delivery.id, decision.nextAttemptAt, outcome);
      await queue.enqueueDeliveries(tx, [
        {
          deliveryId: delivery.id,
          endpointId: delivery.endpointId,
          startAfter: decision.nextAttemptAt,
        },
      ]);
      return 'retrying' as const;
    }
    await markDeliveryFailed(tx, delivery.id, outcome);
    return 'failed' as const;
  });
  attemptDuration.observe(
    { status: report.success ? 'success' : 'failure' },
    report.durationMs / 1000,
  );
  if (status !== 'retrying') deliveriesTotal.inc({ outcome: status });
  return status;
}
