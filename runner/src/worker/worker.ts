import type { Logger } from 'pino';

import type { Config } from '../config.js';
import { withDbRetry } from '../db/retry.js';
import type { Db } from '../db/types.js';
import type { DeliveryJob, DeliveryQueue } from '../queue.js';
import type { Delivery } from '../store/deliveries.js';
import { getEndpointsByIds, type Endpoint } from '../store/endpoints.js';
import type { SecretBox } from '../store/secretBox.js';
import {
  admitBatch,
  wakeWaiting,
  type Admission,
  type ClaimRequest,
  type ProbeRequest,
} from './admission.js';
import { circuitUnchanged, recordCircuitOutcomes, type CircuitOutcome } from './circuitBreaker.js';
import { dispatchToEndpoint, type AttemptReport } from './dispatcher.js';
import { recordAttempts } from './recorder.js';
import { EndpointCache } from './endpointCache.js';
import { FetchLoop, type BatchOutcome } from './fetchLoop.js';
import { LoopWaker } from './loopWaker.js';
import { signingSecretsOf } from './signingSecrets.js';

export interface WorkerDeps {
  db: Db;
  queue: DeliveryQueue;
  box: SecretBox;
  config: Pick<
    Config,
    | 'retryScheduleMs'
    | 'workerConcurrency'
    | 'workerBatchSize'
    | 'circuitBreakerThreshold'
    | 'circuitBreakerCooldownMs'
  >;
  logger: Logger;
  /** Endpoints held between batches (startWorker makes one per process); none: read every batch. */
  endpointCache?: EndpointCache;
}

export interface RunningWorker {
  /** Stops fetching; resolves when the batches in hand are sent and recorded. */
  stop(): Promise<void>;
}

/** Deliveries in flight per Webhook Deliver execution. */
export const SEND_CONCURRENCY = 50;

/**
 * New jobs go to the loop already running a batch (it fetches them right after) rather than to an
 * idle loop while one loop is making progress: see loopWaker.ts. `npm run bench:latency` at 200
 * leads/s on 2 cores, nine runs against ten of waking an idle loop for each job, interleaved:
 * PostgreSQL CPU per lead 4.15-4.87 -> 3.31-4.06 ms, worker 1.84-2.04 -> 1.68-1.90 ms, P2 median
 * p50 17.0 -> 13.0 ms and p99 156 -> 135 ms.
 */
export const NOTIFIED_LOOPS_AT_ONCE = 1;

/**
 * A batch running longer than this no longer holds new jobs back: an idle loop takes them. Bounds
 * what a receiver that answers slowly can add to other endpoints' deliveries; batches on a busy
 * 2-core machine with a fast receiver take 10-30 ms.
 */
export const ACTIVE_BATCH_MS = 50;

/** How often an idle loop looks for jobs it was not woken for (notifications can be missed). */
const POLL_INTERVAL_MS = 1000;

type Job = Pick<DeliveryJob, 'id' | 'data'> & Partial<Pick<DeliveryJob, 'retryCount'>>;

/**
 * Processes one fetched batch: admit the deliveries (admission.ts: order, supersession, circuit,
 * limits; a delivery is sent only by the job attempt that claimed it, so duplicate jobs and other
 * workers never send it twice), group them by endpoint, run each endpoint's template once for its
 * group, record every attempt, and count the group's outcomes on the endpoint's circuit.
 *
 * `completeJobs`, when given, completes the batch's jobs inside the transaction that records its
 * attempts (answering `settled`): one commit fewer per batch, and a job is done exactly when its
 * attempts are recorded. Not when a group failed: the batch then fails into pg-boss's retries.
 */
export async function processBatch(
  deps: WorkerDeps,
  jobs: readonly Job[],
  completeJobs?: (tx: Db) => Promise<void>,
): Promise<BatchOutcome> {
  const requests: ClaimRequest[] = [];
  const probes: ProbeRequest[] = [];
  for (const job of jobs) {
    const attempt = job.retryCount ?? 0;
    if (job.data.probe) probes.push({ endpointId: job.data.endpointId, jobId: job.id, attempt });
    else if (job.data.deliveryId) {
      requests.push({ deliveryId: job.data.deliveryId, jobId: job.id, attempt });
    }
  }
  // The endpoints are known from the jobs: those the worker does not hold load while the
  // admission runs. A lost connection retries the admission at once (the same job attempt may
  // re-claim its own claims) rather than failing the batch into pg-boss's slower retry.
  const cache = deps.endpointCache;
  const unknown = [...new Set(jobs.map((job) => job.data.endpointId))].filter(
    (id) => !cache?.has(id),
  );
  const [admission, loaded] = await Promise.all([
    withDbRetry(() =>
      admitBatch(deps.db, deps.queue, requests, probes, {
        breakerEnabled: deps.config.circuitBreakerThreshold > 0,
      }),
    ),
    unknown.length > 0
      ? withDbRetry(() => getEndpointsByIds(deps.db, deps.box, unknown))
      : new Map<string, Endpoint>(),
  ]);
  const claimed = admission.claimed;
  if (claimed.length === 0) return;

  const groups = new Map<string, Delivery[]>();
  for (const delivery of claimed) {
    const group = groups.get(delivery.endpointId);
    if (group) group.push(delivery);
    else groups.set(delivery.endpointId, [delivery]);
  }
  const endpoints = await endpointsAsClaimed(deps, [...groups.keys()], loaded, admission);

  // Every group runs to its end even when another fails, so a failed batch (retried by pg-boss,
  // which may take these deliveries over) never overlaps attempts still in flight.
  const settled = await Promise.allSettled(
    [...groups].map(async ([endpointId, deliveries]) => {
      const endpoint = endpoints.get(endpointId);
      const reports = endpoint
        ? await dispatchGroup(deps, endpoint, deliveries)
        : deliveries.map((delivery) => missingEndpointReport(delivery));
      return { endpointId, endpoint, deliveries, reports };
    }),
  );
  const dispatched = settled.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failed = settled.find((result) => result.status === 'rejected');
  const attempts = dispatched.flatMap((group) =>
    group.deliveries.map((delivery, index) => ({ delivery, report: group.reports[index] })),
  );
  const settleJobs = !failed && attempts.length > 0 ? completeJobs : undefined;
  // The whole batch is recorded in one transaction: a fan-out batch of many small groups costs the
  // same few statements as one large group.
  const recorded = await recordAttempts(deps.db, deps.queue, attempts, {
    retryScheduleMs: deps.config.retryScheduleMs,
    logger: deps.logger,
    inTransaction: settleJobs,
  });
  // The circuit counts the outcomes as recorded (texts made storable): `attempts` is the groups'
  // deliveries in order, and so is `recorded`.
  let offset = 0;
  const asRecorded = dispatched.map((group) => {
    const reports = recorded.slice(offset, offset + group.deliveries.length);
    offset += group.deliveries.length;
    return { ...group, reports: reports.map((attempt) => attempt.report) };
  });
  await Promise.all(
    asRecorded.map(async ({ endpointId, endpoint, deliveries, reports }) => {
      if (!endpoint) return;
      await countOnCircuit(deps, admission, endpointId, deliveries, reports);
      if (endpoint.maxConcurrency) {
        await wakeWaiting(deps.db, deps.queue, endpointId, deliveries.length).catch((error) =>
          deps.logger.warn({ err: error, endpointId }, 'queueing waiting deliveries failed'),
        );
      }
    }),
  );
  if (failed) throw failed.reason;
  return settleJobs ? 'settled' : undefined;
}

/**
 * The claimed deliveries' endpoints at the versions the claim read: as loaded alongside the
 * claim, or held from an earlier batch, or read again (edited since, or not loaded at all).
 */
async function endpointsAsClaimed(
  deps: WorkerDeps,
  endpointIds: readonly string[],
  loaded: ReadonlyMap<string, Endpoint>,
  admission: Admission,
): Promise<Map<string, Endpoint>> {
  const endpoints = new Map<string, Endpoint>();
  const reread: string[] = [];
  for (const id of endpointIds) {
    const version = admission.endpointVersions.get(id);
    const fresh = loaded.get(id);
    const endpoint =
      fresh && (version === undefined || fresh.version === version)
        ? fresh
        : deps.endpointCache?.current(id, version);
    if (endpoint) endpoints.set(id, endpoint);
    else reread.push(id);
  }
  if (reread.length > 0) {
    for (const [id, endpoint] of await withDbRetry(() =>
      getEndpointsByIds(deps.db, deps.box, reread),
    )) {
      endpoints.set(id, endpoint);
    }
  }
  for (const endpoint of endpoints.values()) deps.endpointCache?.remember(endpoint);
  return endpoints;
}

async function countOnCircuit(
  deps: WorkerDeps,
  admission: Admission,
  endpointId: string,
  deliveries: readonly Delivery[],
  reports: readonly AttemptReport[],
): Promise<void> {
  const outcomes: CircuitOutcome[] = deliveries.flatMap((delivery, index) => {
    const report = reports[index];
    if (delivery.test) return [];
    return [
      {
        deliveryId: delivery.id,
        success: report.success,
        cause: report.cause,
        error: report.error,
        endedAt: report.startedAt.getTime() + report.durationMs,
      },
    ];
  });
  if (circuitUnchanged(admission.circuits.get(endpointId) ?? null, outcomes)) return;
  try {
    await recordCircuitOutcomes(
      deps.db,
      deps.queue,
      endpointId,
      outcomes,
      {
        threshold: deps.config.circuitBreakerThreshold,
        cooldownMs: deps.config.circuitBreakerCooldownMs,
      },
      deps.logger,
    );
  } catch (error) {
    // The attempts are recorded; a missed count only delays the breaker.
    deps.logger.error({ err: error, endpointId }, 'counting outcomes on the circuit failed');
  }
}

async function dispatchGroup(
  deps: WorkerDeps,
  endpoint: Endpoint,
  deliveries: Delivery[],
): Promise<AttemptReport[]> {
  try {
    return await dispatchToEndpoint(endpoint, deliveries, {
      concurrency: SEND_CONCURRENCY,
      signingSecrets: signingSecretsOf(endpoint),
    });
  } catch (error) {
    // An engine failure is not the receiver's fault: record it and let the schedule retry.
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.error({ err: error, endpointId: endpoint.id }, 'workflow execution failed');
    return deliveries.map((delivery) => ({
      ...missingEndpointReport(delivery),
      outcome: 'retryable' as const,
      error: `workflow error: ${message}`,
      cause: 'workflow',
    }));
  }
}

function missingEndpointReport(delivery: Delivery): AttemptReport {
  return {
    deliveryId: delivery.id,
    startedAt: new Date(),
    durationMs: 0,
    success: false,
    outcome: 'permanent',
    httpStatus: null,
    error: 'endpoint no longer exists',
    retryAfterMs: null,
    responseExcerpt: null,
    responseInvalidUtf8: false,
    requestHeaders: {},
    payload: null,
    contentType: null,
    cause: null,
  };
}

/**
 * Starts the worker's fetch loops on the delivery queue: WORKER_CONCURRENCY of them, so that one
 * slow receiver holds back one loop, woken for new jobs one at a time (loopWaker.ts) as the queue
 * reports them, with polling as the backstop.
 */
export async function startWorker(workerDeps: WorkerDeps): Promise<RunningWorker> {
  const deps: WorkerDeps = {
    ...workerDeps,
    endpointCache: workerDeps.endpointCache ?? new EndpointCache(),
  };
  const batchSize = deps.config.workerBatchSize;
  const loops: Array<FetchLoop<DeliveryJob>> = [];
  const waker = new LoopWaker<number>({
    notify: (loop) => loops[loop].wake(),
    activeLimit: NOTIFIED_LOOPS_AT_ONCE,
    stalledAfterMs: ACTIVE_BATCH_MS,
  });
  for (let index = 0; index < deps.config.workerConcurrency; index++) {
    loops.push(
      new FetchLoop<DeliveryJob>({
        source: deps.queue,
        handle: (jobs) => processBatch(deps, jobs, (tx) => deps.queue.completeJobs(jobs, tx)),
        batchSize,
        pollIntervalMs: POLL_INTERVAL_MS,
        onError: (error, during) =>
          deps.logger.error({ err: error, during }, 'delivery queue call failed'),
        onBatchStart: (jobs) => {
          waker.started(index);
          // A full batch means more is waiting: another loop shares the backlog.
          if (jobs.length >= batchSize) waker.wakeForBacklog();
        },
        onBatchEnd: () => waker.finished(index),
      }),
    );
    waker.add(index);
  }
  for (const loop of loops) loop.start();
  const unsubscribe = deps.queue.onJobsAvailable((event) => {
    if (event.kind === 'missed') waker.wakeAll();
    else if (event.kind === 'enqueued') waker.wake(Math.ceil(event.count / batchSize));
    else waker.wake();
  });
  return {
    async stop() {
      unsubscribe();
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}
