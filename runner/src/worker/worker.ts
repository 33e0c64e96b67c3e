import type { Logger } from 'pino';

import type { Config } from '../config.js';
import type { Db } from '../db/types.js';
import { QUEUE, type DeliveryJobData, type DeliveryQueue } from '../queue.js';
import { claimDeliveries, type Delivery } from '../store/deliveries.js';
import { getEndpointsByIds, type Endpoint } from '../store/endpoints.js';
import type { SecretBox } from '../store/secretBox.js';
import { dispatchToEndpoint, type AttemptReport } from './dispatcher.js';
import { recordAttempt } from './recorder.js';
import { signingSecretsOf } from './signingSecrets.js';

export interface WorkerDeps {
  db: Db;
  queue: DeliveryQueue;
  box: SecretBox;
  config: Pick<Config, 'retryScheduleMs' | 'workerConcurrency' | 'workerBatchSize'>;
  logger: Logger;
}

export interface RunningWorker {
  /** Stops fetching; resolves when the batches in hand are sent and recorded. */
  stop(): Promise<void>;
}

/** Deliveries in flight per Webhook Deliver execution. */
export const SEND_CONCURRENCY = 50;

interface Job {
  id: string;
  data: DeliveryJobData;
}

/**
 * Processes one fetched batch: claim the deliveries (a delivery is sent only by the job that
 * claimed it, so duplicate jobs and other workers never send it twice), group them by endpoint,
 * run each endpoint's template once for its group, and record every attempt.
 */
export async function processBatch(deps: WorkerDeps, jobs: readonly Job[]): Promise<void> {
  const claimed = await claimDeliveries(
    deps.db,
    jobs.map((job) => ({ deliveryId: job.data.deliveryId, jobId: job.id })),
  );
  if (claimed.length === 0) return;

  const groups = new Map<string, Delivery[]>();
  for (const delivery of claimed) {
    const group = groups.get(delivery.endpointId);
    if (group) group.push(delivery);
    else groups.set(delivery.endpointId, [delivery]);
  }
  const endpoints = await getEndpointsByIds(deps.db, deps.box, [...groups.keys()]);

  await Promise.all(
    [...groups].map(async ([endpointId, deliveries]) => {
      const endpoint = endpoints.get(endpointId);
      const reports = endpoint
        ? await dispatchGroup(deps, endpoint, deliveries)
        : deliveries.map((delivery) => missingEndpointReport(delivery));
      for (const [index, delivery] of deliveries.entries()) {
        await recordAttempt(deps.db, deps.queue, delivery, reports[index], {
          retryScheduleMs: deps.config.retryScheduleMs,
        });
      }
    }),
  );
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
    requestHeaders: {},
    payload: null,
    contentType: null,
    cause: null,
  };
}

/**
 * Starts pg-boss workers on the delivery queue. Jobs enqueued by this process wake them at once;
 * other processes' jobs arrive through pg-boss's LISTEN/NOTIFY, with polling as the backstop.
 */
export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { boss } = deps.queue;
  const workerId = await boss.work<DeliveryJobData>(
    QUEUE,
    {
      batchSize: deps.config.workerBatchSize,
      localConcurrency: deps.config.workerConcurrency,
      pollingIntervalSeconds: 0.5,
      notifyPollingIntervalSeconds: 1,
    },
    async (jobs) => {
      await processBatch(deps, jobs);
    },
  );
  const unsubscribe = deps.queue.onEnqueued(() => boss.notifyWorker(workerId));
  return {
    async stop() {
      unsubscribe();
      await boss.offWork(QUEUE, { wait: true });
    },
  };
}
