import type { Logger } from 'pino';

import { withDbRetry } from '../db/retry.js';
import type { Db } from '../db/types.js';
import { newId } from '../ids.js';
import { attemptDuration, deliveriesTotal } from '../metrics.js';
import type { DeliveryQueue } from '../queue.js';
import { existingAttemptIds, type Attempt } from '../store/attempts.js';
import type { Delivery } from '../store/deliveries.js';
import { handOffEnded } from '../store/ordering.js';
import {
  deliveryStatuses,
  recordAndSettle,
  type Settlement,
  type SettleRequest,
} from '../store/settle.js';
import type { AttemptReport } from './dispatcher.js';
import { nextRetry } from './retrySchedule.js';

/** `stale`: the attempt row was written, but another attempt of the job had taken the delivery over. */
export type RecordedStatus = 'succeeded' | 'retrying' | 'failed' | 'stale';

export interface RecordOptions {
  retryScheduleMs: readonly number[];
  now?: Date;
  logger?: Logger;
  /** More work that commits with the attempts (the worker completes the batch's jobs). */
  inTransaction?: (tx: Db) => Promise<void>;
}

export interface AttemptToRecord {
  delivery: Delivery;
  report: AttemptReport;
}

interface Planned {
  delivery: Delivery;
  report: AttemptReport;
  attempt: Attempt;
  settlement: Settlement;
}

function plan(item: AttemptToRecord, options: RecordOptions): Planned {
  const { delivery, report } = item;
  const decision =
    !report.success && report.outcome === 'retryable' && !delivery.test
      ? nextRetry(options.retryScheduleMs, delivery.attemptCount, report.retryAfterMs, options.now)
      : { retry: false, nextAttemptAt: null };
  const settlement: Settlement = report.success
    ? { status: 'succeeded' }
    : decision.retry && decision.nextAttemptAt
      ? { status: 'pending', nextAttemptAt: decision.nextAttemptAt }
      : { status: 'failed' };
  return {
    delivery,
    report,
    settlement,
    attempt: {
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
    },
  };
}

function recordedStatus(settlement: Settlement): RecordedStatus {
  return settlement.status === 'pending' ? 'retrying' : settlement.status;
}

/**
 * Writes the attempts of one endpoint group (the history rows) and moves each delivery on, all in
 * one transaction: succeeded, pending again with a retry job (R5 schedule, Retry-After), or failed
 * for good. Attempt rows are written before any next try exists, so history never misses a try
 * that was made. Deliveries that end (succeeded or failed) hand their lead's turn on (R4): the next
 * message of the same lead to the same endpoint is queued in the same transaction, stale updates
 * superseded. Set-based: a group of any size costs the same handful of statements.
 *
 * A lost connection or a deadlock retries the whole transaction with the same attempt ids, so a
 * commit whose answer was lost is recognised rather than written twice.
 */
export async function recordAttempts(
  db: Db,
  queue: Pick<DeliveryQueue, 'enqueueDeliveries'>,
  items: readonly AttemptToRecord[],
  options: RecordOptions,
): Promise<RecordedStatus[]> {
  if (items.length === 0) return [];
  const planned = items.map((item) => plan(item, options));
  const attemptIds = planned.map((p) => p.attempt.id);

  const statuses = await withDbRetry(
    (tryNumber) =>
      db.transaction(async (tx): Promise<RecordedStatus[]> => {
        if (tryNumber > 0 && (await existingAttemptIds(tx, attemptIds)).size > 0) {
          // The previous try committed (all of it: one transaction); only its answer was lost.
          const current = await deliveryStatuses(
            tx,
            planned.map((p) => p.delivery.id),
          );
          return planned.map((p) => statusFromDelivery(current.get(p.delivery.id) ?? null));
        }
        const requests: SettleRequest[] = planned.map((p) => ({
          delivery: p.delivery,
          settlement: p.settlement,
          outcome: {
            httpStatus: p.report.httpStatus,
            error: p.report.error,
            payload: p.report.payload,
            contentType: p.report.contentType,
          },
        }));
        const settled = await recordAndSettle(
          tx,
          planned.map((p) => p.attempt),
          requests,
        );
        const retries = planned.filter(
          (p) => settled.has(p.delivery.id) && p.settlement.status === 'pending',
        );
        await queue.enqueueDeliveries(
          tx,
          retries.map((p) => ({
            deliveryId: p.delivery.id,
            endpointId: p.delivery.endpointId,
            startAfter: p.settlement.status === 'pending' ? p.settlement.nextAttemptAt : undefined,
          })),
        );
        const ended = planned.filter(
          (p) =>
            settled.has(p.delivery.id) && p.settlement.status !== 'pending' && !p.delivery.test,
        );
        await handOffEnded(
          tx,
          queue,
          ended.map((p) => ({ endpointId: p.delivery.endpointId, leadId: p.delivery.leadId })),
        );
        await options.inTransaction?.(tx);
        return planned.map((p) =>
          settled.has(p.delivery.id) ? recordedStatus(p.settlement) : 'stale',
        );
      }),
    {
      onRetry: (error, attempt) =>
        options.logger?.warn(
          { err: error, deliveries: planned.length, attempt },
          'recording attempts failed on the database; retrying',
        ),
    },
  );

  planned.forEach((p, index) => {
    const status = statuses[index];
    attemptDuration.observe(
      { status: p.report.success ? 'success' : 'failure' },
      p.report.durationMs / 1000,
    );
    if (status === 'succeeded' || status === 'failed') deliveriesTotal.inc({ outcome: status });
    if (status === 'stale') {
      options.logger?.warn(
        {
          deliveryId: p.delivery.id,
          jobId: p.delivery.claimJobId,
          attempt: p.delivery.claimAttempt,
        },
        'attempt recorded, but the delivery had been taken over by a retry of its job',
      );
    }
  });
  return statuses;
}

/** One attempt: Send test and other single sends. */
export async function recordAttempt(
  db: Db,
  queue: Pick<DeliveryQueue, 'enqueueDeliveries'>,
  delivery: Delivery,
  report: AttemptReport,
  options: RecordOptions,
): Promise<RecordedStatus> {
  const [status] = await recordAttempts(db, queue, [{ delivery, report }], options);
  return status;
}

function statusFromDelivery(status: string | null): RecordedStatus {
  if (status === 'succeeded' || status === 'failed') return status;
  if (status === 'pending') return 'retrying';
  return 'stale';
}
