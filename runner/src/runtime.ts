import type { Server } from 'node:http';
import type { Logger } from 'pino';

import { createApp } from './api/app.js';
import type { Config } from './config.js';
import { createLogger, flushLogger } from './logging.js';
import { installDeliveryGuard } from './security/guardedTransport.js';
import { migrate, openDb, type Db } from './db/index.js';
import { prepareN8nEnvironment } from './engine/n8nEnvironment.js';
import { deliveryPage } from './page/router.js';
import { createQueue, type DeliveryQueue } from './queue.js';
import { createSecretBox, type SecretBox } from './store/secretBox.js';
import { seedDemoIfEmpty } from './demo.js';
import { setQueueDepthSource } from './metrics.js';
import { deliveryService } from './worker/sendTest.js';
import { startWorker, type RunningWorker } from './worker/worker.js';
import { startAlertWorker } from './alerts/worker.js';
import { warmUpDeliveryPath } from './worker/warmUp.js';
import { startStatistics } from './maintenance/statistics.js';
import { startRetention, type RetentionLoop } from './maintenance/retention.js';

export type Role = 'start' | 'api' | 'worker';

/**
 * How long the API keeps an idle client connection open. Node's default (5 s) is shorter than the
 * idle timeout of the load balancers and HTTP clients in front of it (60 s is common), so a client
 * reusing a connection the server is closing gets a reset, and a busy client opens a new
 * connection (a TCP and accept round on both sides) for every one that idled out between bursts.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface Runtime {
  config: Config;
  logger: Logger;
  db: Db;
  queue: DeliveryQueue;
  box: SecretBox;
  server: Server | null;
  worker: RunningWorker | null;
  /** Worker roles: the retention loop (RETENTION_DAYS; `enabled` false when 0). */
  retention: RetentionLoop | null;
  /** The bound port (0 when no API runs). */
  port: number;
  /** Graceful: stop taking work and requests, finish and record in-flight attempts, close. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** pg-boss schema (tests give each runner its own). */
  bossSchema?: string;
  /** The runner's own schema on PostgreSQL (tests). */
  schema?: string;
  /** Seed a demo seller and lead order into an empty database (the quick start). */
  seedDemo?: boolean;
  /** Print the demo seller's credentials (the CLI does; tests read them from the return). */
  onDemoSeeded?: (demo: { sellerId: string; leadOrderId: string; apiKey: string }) => void;
}

/** Opens the database, migrates, and starts the API and/or the worker for `role`. */
export async function startRuntime(
  role: Role,
  config: Config,
  options: StartOptions = {},
): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config);
  prepareN8nEnvironment(config);
  const db = await openDb(config, { schema: options.schema ?? config.databaseSchema });
  await migrate(db);
  const runsWorker = role !== 'api';
  const queue = await createQueue({
    db,
    schema: options.bossSchema ?? config.bossSchema,
    listen: runsWorker,
    supervise: runsWorker,
    onError: (err) => logger.warn({ err }, 'pg-boss error'),
    onListenError: (err) =>
      logger.warn(
        { err },
        'listening for new jobs failed; reconnecting (the loops poll meanwhile)',
      ),
  });
  await queue.start();
  const box = createSecretBox(config.secretsKey);
  // R9 at connection time: every delivery (and Send test) of this process resolves, checks and
  // connects to checked addresses only, through agents of its own.
  const guard = installDeliveryGuard({ allowed: config.allowedPrivateTargets });

  if (options.seedDemo) {
    const demo = await seedDemoIfEmpty(db);
    if (demo) options.onDemoSeeded?.(demo);
  }

  // Planner statistics first: a worker that starts on a backlog nobody has analyzed yet would
  // plan its first claims against none.
  const statistics = runsWorker
    ? startStatistics({
        db,
        logger: logger.child({ role: 'statistics' }),
        schemas: [queue.schema],
      })
    : null;
  // Meanwhile the delivery path is loaded and compiled, so the first leads do not pay for it.
  const warmUp = runsWorker ? warmUpWorker(logger) : null;
  await statistics?.firstRound;
  await warmUp;
  const worker = runsWorker
    ? await startWorker({ db, queue, box, config, logger: logger.child({ role: 'worker' }) })
    : null;
  // Alerts: pg-boss's own worker over the alerts queue, apart from the delivery pipeline.
  if (runsWorker) {
    await startAlertWorker({ db, queue, box, config, logger: logger.child({ role: 'alerts' }) });
  }
  // Old finished deliveries and attempts: deleted now and then every RETENTION_INTERVAL_MS, by one
  // worker process at a time.
  const retention = runsWorker
    ? startRetention({ db, logger: logger.child({ role: 'retention' }), settings: config })
    : null;

  let server: Server | null = null;
  let port = 0;
  if (role !== 'worker') {
    setQueueDepthSource(() => queue.depth());
    const app = createApp({
      db,
      queue,
      config,
      logger,
      box,
      delivery: deliveryService({ db, queue }),
      mount: deliveryPage(),
    });
    server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(config.port, () => resolve(listening));
      listening.once('error', reject);
    });
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : config.port;
  }

  let stopping: Promise<void> | null = null;
  return {
    config,
    logger,
    db,
    queue,
    box,
    server,
    worker,
    retention,
    port,
    stop() {
      stopping ??= (async () => {
        if (server) {
          const closing = new Promise<void>((resolve) => server!.close(() => resolve()));
          server.closeIdleConnections();
          await closing;
        }
        await retention?.stop();
        await statistics?.stop();
        await worker?.stop();
        await queue.stop({ graceful: true });
        setQueueDepthSource(null);
        guard.uninstall();
        await db.close();
        flushLogger(logger);
      })();
      return stopping;
    },
  };
}

/** Never fails the start: a worker that could not warm up only starts slower. */
async function warmUpWorker(logger: Logger): Promise<void> {
  try {
    const { ms, failures } = await warmUpDeliveryPath();
    if (failures.length > 0) logger.warn({ failures }, 'warming up the delivery path failed');
    else logger.debug({ ms: Math.round(ms) }, 'delivery path warmed up');
  } catch (err) {
    logger.warn({ err }, 'warming up the delivery path failed');
  }
}
