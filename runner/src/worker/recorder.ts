import type { Logger } from 'pino';

import { storableText } from '../../../core/storableText.js';
import { queueFailureAlerts, type AlertQueue } from '../alerts/emit.js';
import { isTransientDbError, withDbRetry } from '../db/retry.js';
import type { Db } from '../db/types.js';
import { newId } from '../ids.js';
import { attemptDuration, deliveriesTotal } from '../metrics.js';
import { existingAttemptIds, historyPayload, type Attempt } from '../store/attempts.js';
import { deliveryStatuses, type Delivery } from '../store/deliveries.js';
import {
  continueSettled,
  writeSettlements,
  type JobQueue,
  type Settlement,
  type SettleRequest,
} from '../store/deliveryState/index.js';
import type { AttemptReport } from './dispatcher.js';
import { nextRetry } from './retrySchedule.js';
import { storableReport } from './storableReport.js';

/** `stale`: the attempt row was written, but another run of the job had taken the delivery over. */
export type RecordedStatus = 'succeeded' | 'retrying' | 'failed' | 'stale';

export interface RecordOptions {
  retryScheduleMs: readonly number[];
  now?: Date;
  logger?: Logger;
  /** Where alerts of deliveries that failed for good are queued (the worker's queue); none: no alerts. */
  alerts?: AlertQueue;
  /** More work that commits with the attempts (the worker completes the batch's jobs). */
  inTransaction?: (tx: Db) => Promise<void>;
}

export interface AttemptToRecord {
  delivery: Delivery;
  report: AttemptReport;
}

export interface RecordedAttempt {
  status: RecordedStatus;
  /**
   * The report as recorded: its texts made storable, or, for an outcome that could not be stored
   * at all, the failure recorded in its place. What the circuit counts and Send test answers.
   */
  report: AttemptReport;
}

interface Planned {
  delivery: Delivery;
  report: AttemptReport;
  attempt: Attempt;
  settlement: Settlement;
}

/**
 * The one place every attempt passes on its way to the database (the worker's batches and Send
 * test alike): the report is made storable here, so nothing a receiver answers can fail the
 * statement that records the batch.
 */
function plan(item: AttemptToRecord, options: RecordOptions): Planned {
  const { delivery } = item;
  const { report, notice } = storableReport(item.report);
  const decision =
    !report.success && report.outcome === 'retryable' && !delivery.test
      ? nextRetry(
          options.retryScheduleMs,
          delivery.attemptCount - delivery.attemptsBeforeResend,
          report.retryAfterMs,
          options.now,
        )
      : { retry: false, nextAttemptAt: null };
  const kept = historyPayload(report.payload);
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
      attemptNumber: delivery.attemptCount,
      startedAt: report.startedAt,
      durationMs: report.durationMs,
      status: report.success ? 'success' : 'failure',
      httpStatus: report.httpStatus,
      error: report.error,
      responseExcerpt: report.responseExcerpt,
      requestHeaders: report.requestHeaders,
      payload: kept.payload,
      contentType: report.contentType,
      payloadLength: kept.payloadLength,
      cause: report.success ? null : report.cause,
      notice,
    },
  };
}

const INT_MAX = 2 ** 31 - 1;

const LEFT_OUT_NOTICE =
  'The outcome could not be stored as it was: its response excerpt, request headers and payload are left out.';

/**
 * What is recorded in place of an attempt whose row PostgreSQL refused (`error`): the same
 * attempt id (a retried commit is still recognised), a failure that ends the delivery, the reason
 * as its error, and nothing of what the receiver, the seller or the lead wrote.
 */
function unstorable(planned: Planned, error: unknown): Planned {
  const message = error instanceof Error ? error.message : String(error);
  const reason = `the attempt's outcome could not be stored: ${storableText(message)}`;
  const { report, attempt } = planned;
  const durationMs = Math.min(INT_MAX, Math.max(0, Math.round(report.durationMs) || 0));
  const startedAt = Number.isNaN(report.startedAt.getTime()) ? new Date() : report.startedAt;
  const status = report.httpStatus;
  const httpStatus =
    status !== null && Number.isInteger(status) && status >= 100 && status <= 999 ? status : null;
  return {
    delivery: planned.delivery,
    settlement: { status: 'failed' },
    report: {
      ...report,
      success: false,
      outcome: 'permanent',
      startedAt,
      durationMs,
      httpStatus,
      error: reason,
      retryAfterMs: null,
      responseExcerpt: null,
      responseInvalidUtf8: false,
      requestHeaders: {},
      payload: null,
      contentType: null,
      // Not the receiver's doing: the circuit does not count it (as workflow errors).
      cause: null,
    },
    attempt: {
      ...attempt,
      startedAt,
      durationMs,
      status: 'failure',
      httpStatus,
      error: reason,
      responseExcerpt: null,
      requestHeaders: {},
      payload: null,
      contentType: null,
      payloadLength: null,
      cause: null,
      notice: LEFT_OUT_NOTICE,
    },
  };
}

function settleRequest(p: Planned): SettleRequest {
  // The delivery keeps the body of its first attempt only: a later one's is not sent along.
  const first = p.delivery.payload === null;
  return {
    delivery: p.delivery,
    settlement: p.settlement,
    outcome: {
      httpStatus: p.report.httpStatus,
      error: p.report.error,
      payload: first ? p.report.payload : null,
      contentType: first ? p.report.contentType : null,
    },
  };
}

function recordedStatus(settlement: Settlement): RecordedStatus {
  return settlement.status === 'pending' ? 'retrying' : settlement.status;
}

/** The set-based statement refused the batch for what is in it (not a lost connection). */
class BatchNotStorable extends Error {
  constructor(readonly reason: unknown) {
    super('the batch could not be recorded in one statement');
    this.name = 'BatchNotStorable';
  }
}

/** All of the batch's attempts in one statement (the common path). */
async function recordAsSet(tx: Db, planned: readonly Planned[]): Promise<Set<string>> {
  try {
    return await writeSettlements(
      tx,
      planned.map((p) => p.attempt),
      planned.map(settleRequest),
    );
  } catch (error) {
    if (isTransientDbError(error)) throw error;
    throw new BatchNotStorable(error);
  }
}

/**
 * Each attempt in a savepoint of its own, so that one row PostgreSQL refuses takes nothing else
 * with it; that row is recorded as a failure instead (`unstorable`), replacing its entry in
 * `planned`. A refusal of that failure row too is not about the row: it fails the transaction.
 */
async function recordRowByRow(
  tx: Db,
  planned: Planned[],
  logger: Logger | undefined,
): Promise<Set<string>> {
  const settled = new Set<string>();
  for (let index = 0; index < planned.length; index++) {
    const p = planned[index];
    let ids: Set<string>;
    try {
      ids = await tx.transaction((row) => writeSettlements(row, [p.attempt], [settleRequest(p)]));
    } catch (error) {
      if (isTransientDbError(error)) throw error;
      logger?.error(
        { err: error, deliveryId: p.delivery.id },
        "an attempt's outcome could not be stored; it is recorded as a failure",
      );
      const failure = unstorable(p, error);
      planned[index] = failure;
      ids = await writeSettlements(tx, [failure.attempt], [settleRequest(failure)]);
    }
    for (const id of ids) settled.add(id);
  }
  return settled;
}

/**
 * Writes the attempts of a batch (the history rows) and moves each delivery on, all in one
 * transaction: succeeded, pending again with a retry job (R5 schedule, Retry-After), or failed
 * for good. Attempt rows are written before any next try exists, so history never misses a try
 * that was made. Deliveries that end (succeeded or failed) hand their lead's turn on (R4): the next
 * message of the same lead to the same endpoint is queued in the same transaction, stale updates
 * superseded. Set-based: a batch of any size costs the same handful of statements.
 *
 * Every text is made storable first (`plan`). Should PostgreSQL still refuse the batch's rows for
 * what is in them, the transaction is done again with each row in a savepoint of its own: a row
 * still refused is recorded as a failure of its delivery, and the rest of the batch as usual (its
 * retries queued, its hand-offs done, `inTransaction` run once), so that one delivery's outcome
 * never sends the others of the batch again.
 *
 * A lost connection or a deadlock retries the whole transaction with the same attempt ids, so a
 * commit whose answer was lost is recognised rather than written twice.
 */
export async function recordAttempts(
  db: Db,
  queue: JobQueue,
  items: readonly AttemptToRecord[],
  options: RecordOptions,
): Promise<RecordedAttempt[]> {
  if (items.length === 0) return [];
  const planned = items.map((item) => plan(item, options));
  const attemptIds = planned.map((p) => p.attempt.id);
  // What the transaction that committed wrote: row by row it may differ from `planned`.
  let written: Planned[] = planned;

  const recordOnce = (rowByRow: boolean): Promise<RecordedStatus[]> =>
    withDbRetry(
      (tryNumber) =>
        db.transaction(async (tx): Promise<RecordedStatus[]> => {
          if (tryNumber > 0 && (await existingAttemptIds(tx, attemptIds)).size > 0) {
            // The previous try committed (all of it: one transaction); only its answer was lost.
            const current = await deliveryStatuses(
              tx,
              planned.map((p) => p.delivery.id),
            );
            return written.map((p) => statusFromDelivery(current.get(p.delivery.id) ?? null));
          }
          const rows = [...planned];
          const settled = rowByRow
            ? await recordRowByRow(tx, rows, options.logger)
            : await recordAsSet(tx, rows);
          const settledRows = rows.filter((p) => settled.has(p.delivery.id));
          await continueSettled(tx, queue, settledRows.map(settleRequest));
          if (options.alerts) {
            await queueFailureAlerts(
              tx,
              options.alerts,
              settledRows
                .filter((p) => p.settlement.status === 'failed')
                .map((p) => ({
                  delivery: p.delivery,
                  httpStatus: p.report.httpStatus,
                  error: p.report.error,
                })),
              new Date(),
            );
          }
          await options.inTransaction?.(tx);
          written = rows;
          return rows.map((p) =>
            settled.has(p.delivery.id) ? recordedStatus(p.settlement) : 'stale',
          );
        }),
      {
        onRetry: (error, failedTries) =>
          options.logger?.warn(
            { err: error, deliveries: planned.length, failedTries },
            'recording attempts failed on the database; retrying',
          ),
      },
    );

  let statuses: RecordedStatus[];
  try {
    statuses = await recordOnce(false);
  } catch (error) {
    if (!(error instanceof BatchNotStorable)) throw error;
    options.logger?.warn(
      { err: error.reason, deliveries: planned.length },
      'recording the batch failed on what it holds; recording its attempts one by one',
    );
    statuses = await recordOnce(true);
  }

  written.forEach((p, index) => {
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
          jobRun: p.delivery.claimJobRun,
        },
        'attempt recorded, but the delivery had been taken over by a retry of its job',
      );
    }
  });
  return written.map((p, index) => ({ status: statuses[index], report: p.report }));
}

/** One attempt: Send test and other single sends. */
export async function recordAttempt(
  db: Db,
  queue: JobQueue,
  delivery: Delivery,
  report: AttemptReport,
  options: RecordOptions,
): Promise<RecordedAttempt> {
  const [recorded] = await recordAttempts(db, queue, [{ delivery, report }], options);
  return recorded;
}

function statusFromDelivery(status: string | null): RecordedStatus {
  if (status === 'succeeded' || status === 'failed') return status;
  if (status === 'pending') return 'retrying';
  return 'stale';
}
