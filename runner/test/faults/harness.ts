/**
 * Pieces of a runner for the fault tests, kept apart so a fault can hit one of them: the API
 * (intake, on the test's own connections) and workers (in-process with connections of their own,
 * named so they can be terminated, or `lead-delivery worker` processes of the built CLI).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';

import { createApp } from '../../src/api/app';
import type { Config } from '../../src/config';
import { createPostgresDb, type PostgresDb } from '../../src/db/postgres';
import { createQueue, type DeliveryQueue } from '../../src/queue';
import { createSecretBox } from '../../src/store/secretBox';
import { deliveryService } from '../../src/worker/sendTest';
import { startWorker, type RunningWorker } from '../../src/worker/worker';
import { PROVIDER_KEY, SECRETS_KEY_HEX, testConfig } from '../helpers/app';
import type { TestDb } from '../helpers/db';
import type { TestRunner } from '../helpers/runner';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

export interface Api extends Pick<TestRunner, 'provider' | 'seller'> {
  stop(): Promise<void>;
}

/** The API alone (no worker), on the test's Db; its queue only inserts jobs. */
export async function startApi(testDb: TestDb, config: Config = testConfig()): Promise<Api> {
  const queue = await createQueue({
    db: testDb.db,
    schema: testDb.bossSchema,
    supervise: false,
    listen: false,
    max: 2,
  });
  await queue.start();
  const app = createApp({
    db: testDb.db,
    queue,
    config,
    logger: pino({ level: 'silent' }),
    delivery: deliveryService({ db: testDb.db, queue }),
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = (key: string, method: string, route: string, body?: unknown) =>
    fetch(`${baseUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    provider: (route, body) => call(PROVIDER_KEY, 'POST', route, body),
    seller: call,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.stop({ graceful: false, timeoutMs: 5000 });
    },
  };
}

export interface IsolatedWorker {
  db: PostgresDb;
  queue: DeliveryQueue;
  worker: RunningWorker;
  /** pg-boss errors seen (connections terminated under it, …). */
  errors: unknown[];
  stop(): Promise<void>;
}

/** A worker in this process whose own connections all carry `applicationName`. */
export async function startIsolatedWorker(
  testDb: TestDb,
  applicationName: string,
  config: Config,
): Promise<IsolatedWorker> {
  const db = await createPostgresDb({
    connectionString: testDb.connectionString!,
    schema: testDb.schema,
    applicationName,
    max: 10,
  });
  const errors: unknown[] = [];
  const queue = await createQueue({
    db,
    schema: testDb.bossSchema,
    max: 4,
    bossOptions: { application_name: `${applicationName}:boss` },
    onError: (error) => errors.push(error),
  });
  await queue.start();
  const worker = await startWorker({
    db,
    queue,
    box: createSecretBox(config.secretsKey),
    config,
    logger: pino({ level: 'silent' }),
  });
  return {
    db,
    queue,
    worker,
    errors,
    async stop() {
      await worker.stop();
      await queue.stop({ graceful: true, timeoutMs: 10_000 });
      await db.close();
    },
  };
}

function newestMtime(dir: string, pattern: RegExp): number {
  if (!existsSync(dir)) return 0;
  return Math.max(
    0,
    ...readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((name) => path.join(dir, name))
      .filter((file) => pattern.test(file) && !file.includes('node_modules'))
      .map((file) => statSync(file).mtimeMs),
  );
}

/** The compiled CLI entry, built once here when runner/dist is missing or older than a source. */
export function ensureBuiltCli(): string {
  const entry = path.join(ROOT, 'runner', 'dist', 'runner', 'src', 'cli.js');
  // tsc (not incremental) rewrites every output, so the entry's time is the build's.
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  const sources = Math.max(
    ...['runner/src', 'core', 'nodes', 'credentials'].map((dir) =>
      newestMtime(path.join(ROOT, dir), /\.ts$/),
    ),
  );
  if (built < sources) {
    execFileSync('npx', ['tsc', '-p', 'runner/tsconfig.json'], {
      cwd: ROOT,
      timeout: 240_000,
      stdio: 'pipe',
    });
  }
  return path.join(ROOT, 'runner', 'bin', 'lead-delivery.js');
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  output: () => string;
  exited: Promise<number | null>;
}

/** `lead-delivery worker` as a child process on the test's schemas. */
export function spawnWorkerProcess(
  bin: string,
  testDb: TestDb,
  env: NodeJS.ProcessEnv,
): WorkerProcess {
  const child = spawn(process.execPath, [bin, 'worker'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: testDb.connectionString,
      DATABASE_SCHEMA: testDb.schema,
      PGBOSS_SCHEMA: testDb.bossSchema,
      PROVIDER_API_KEY: PROVIDER_KEY,
      SECRETS_KEY: SECRETS_KEY_HEX,
      ALLOWED_PRIVATE_TARGETS: '127.0.0.1,::1',
      LOG_LEVEL: 'warn',
      DATA_DIR: path.join(tmpdir(), 'lead-delivery-fault-tests'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, pid: child.pid!, output: () => output, exited };
}
