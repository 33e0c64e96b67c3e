/**
 * A whole runner for end-to-end tests: the real API (createApp) listening on 127.0.0.1, the real
 * pg-boss queue and worker, the real engine, on the test file's own schema.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';

import { createApp } from '../../src/api/app.js';
import type { AppDeps } from '../../src/api/deps.js';
import type { Config } from '../../src/config.js';
import { createQueue, type DeliveryQueue } from '../../src/queue.js';
import { installDeliveryGuard } from '../../src/security/guardedTransport.js';
import { createEndpointUrlGuard, type Resolver } from '../../src/security/ssrfGuard.js';
import { createSecretBox } from '../../src/store/secretBox.js';
import { deliveryService } from '../../src/worker/sendTest.js';
import { startWorker, type RunningWorker } from '../../src/worker/worker.js';
import { startAlertWorker } from '../../src/alerts/worker.js';
import { PROVIDER_KEY, testConfig } from './app.js';
import type { TestDb } from './db.js';
import { testResolver } from './dns.js';

export interface TestRunner {
  baseUrl: string;
  config: Config;
  queue: DeliveryQueue;
  worker: RunningWorker;
  /** fetch with the provider key. */
  provider(path: string, body: unknown): Promise<Response>;
  /** fetch with a seller key. */
  seller(apiKey: string, method: string, path: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
}

export interface TestRunnerOptions {
  /** DNS for the R9 guard, at save and at connection time (default: testResolver()). */
  resolve?: Resolver;
  /** Extra routes on the app, e.g. the /delivery page (createApp's `mount`). */
  mount?: AppDeps['mount'];
  /** Jobs per fetch (default WORKER_BATCH_SIZE): small spreads jobs over several runners. */
  workerBatchSize?: number;
}

export async function startTestRunner(
  testDb: TestDb,
  env: NodeJS.ProcessEnv = {},
  options: TestRunnerOptions = {},
): Promise<TestRunner> {
  const config = testConfig({ RETRY_SCHEDULE: '100ms,100ms,100ms', ...env });
  const resolve = options.resolve ?? testResolver();
  // As the runtime does: deliveries connect through the guard (ALLOWED_PRIVATE_TARGETS from env).
  const guard = installDeliveryGuard({ allowed: config.allowedPrivateTargets, resolve });
  const logger = pino({ level: 'silent' });
  const queue = await createQueue({ db: testDb.db, schema: testDb.bossSchema, max: 4 });
  await queue.start();
  const box = createSecretBox(config.secretsKey);
  const worker = await startWorker({
    db: testDb.db,
    queue,
    box,
    config,
    logger,
    batchSize: options.workerBatchSize,
  });
  await startAlertWorker({ db: testDb.db, queue, box, config, logger });
  const app = createApp({
    db: testDb.db,
    queue,
    config,
    logger,
    box,
    delivery: deliveryService({ db: testDb.db, queue }),
    validateEndpointUrl: createEndpointUrlGuard({ resolve }),
    mount: options.mount,
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = (key: string, method: string, path: string, body?: unknown) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    baseUrl,
    config,
    queue,
    worker,
    provider: (path, body) => call(PROVIDER_KEY, 'POST', path, body),
    seller: call,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await worker.stop();
      await queue.stop({ graceful: true });
      guard.uninstall();
    },
  };
}

/** Polls `check` until it returns a value other than undefined (tests only; bounded). */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A response body as the shape the test expects (the assertions check it). */
export async function readJson<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export interface SellerCreated {
  id: string;
  apiKey: string;
}
