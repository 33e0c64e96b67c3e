/**
 * A worker process: one fetch loop feeding the delivery pipeline (pipeline.ts). The loop fetches
 * while the process has room for more deliveries (WORKER_MAX_IN_FLIGHT: claimed, open or being
 * recorded), and each endpoint has at most ENDPOINT_MAX_IN_FLIGHT requests open (its
 * maxConcurrency when smaller), so receivers that answer slowly or never take their own share of
 * the process and hold up no one else.
 */
import type { Logger } from 'pino';

import type { Config } from '../config.js';
import type { Db } from '../db/types.js';
import type { DeliveryQueue } from '../queue.js';
import type { SecretBox } from '../store/secretBox.js';
import { EndpointCache } from './endpointCache.js';
import { Fetcher } from './fetcher.js';
import { DeliveryPipeline, type FetchedJob } from './pipeline.js';

export interface WorkerDeps {
  db: Db;
  queue: DeliveryQueue;
  box: SecretBox;
  config: Pick<
    Config,
    | 'retryScheduleMs'
    | 'workerMaxInFlight'
    | 'endpointMaxInFlight'
    | 'circuitBreakerThreshold'
    | 'circuitBreakerCooldownMs'
  >;
  logger: Logger;
  /** Endpoints held between batches (startWorker makes one per process); none: read every batch. */
  endpointCache?: EndpointCache;
  /** Jobs per fetch (default WORKER_BATCH_SIZE); tests make it small to spread jobs over workers. */
  batchSize?: number;
}

export interface RunningWorker {
  /** Stops fetching; resolves when every delivery taken is sent and recorded. */
  stop(): Promise<void>;
}

/** How often an idle worker looks for jobs it was not woken for (notifications can be missed). */
const POLL_INTERVAL_MS = 1000;

/**
 * Jobs per fetch, chosen by the benchmark (bench/history.md, WORKER_BATCH_SIZE). A fan-out
 * batch runs one template execution per endpoint in it, and each execution has a fixed cost in
 * n8n-core, so a larger batch makes larger groups and spreads that cost further, for a little
 * more memory per worker. Beyond this size the gain stopped. Small batches at moderate rates are
 * unaffected: a fetch takes what is there.
 */
const WORKER_BATCH_SIZE = 300;

/** The pipeline a worker runs, with the process's endpoint cache. */
export function createPipeline(workerDeps: WorkerDeps): DeliveryPipeline {
  return new DeliveryPipeline({
    ...workerDeps,
    endpointCache: workerDeps.endpointCache ?? new EndpointCache(),
  });
}

export async function startWorker(workerDeps: WorkerDeps): Promise<RunningWorker> {
  const { queue, logger } = workerDeps;
  const pipeline = createPipeline(workerDeps);
  const fetcher = new Fetcher<FetchedJob>({
    fetch: (batchSize) => pipeline.fetch(batchSize),
    handle: (fetched) => pipeline.takeFetched(fetched),
    room: () => pipeline.room(),
    batchSize: workerDeps.batchSize ?? WORKER_BATCH_SIZE,
    pollIntervalMs: POLL_INTERVAL_MS,
    onError: (error, during) => logger.error({ err: error, during }, 'delivery queue call failed'),
  });
  pipeline.onRoom(() => fetcher.roomChanged());
  const unsubscribe = queue.onJobsAvailable(() => fetcher.wake());
  fetcher.start();
  return {
    async stop() {
      unsubscribe();
      await fetcher.stop();
      await pipeline.drained();
      pipeline.stop();
    },
  };
}
