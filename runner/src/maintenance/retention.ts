/**
 * Retention: deliveries finished more than RETENTION_DAYS ago are deleted with their attempts,
 * so the tables do not grow without bound (finished pg-boss jobs are pg-boss's own retention:
 * queue.ts). Worker processes run it at start and then every RETENTION_INTERVAL_MS; on PostgreSQL a
 * session advisory lock lets one process at a time run it, the others skip that round. The
 * deletes go a batch at a time, each batch its own short transaction (store/retention.ts), so a
 * run never holds many locks for long nor keeps one huge transaction open.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { PostgresDb } from '../db/postgres.js';
import type { Db } from '../db/types.js';
import { purgeFinishedBatch, purgeOrphanAttemptsBatch } from '../store/retention.js';

const DAY_MS = 86_400_000;

export interface PurgeOptions {
  /** Deliveries finished before this (and attempts started before it, without a delivery) go. */
  olderThan: Date;
  /** Rows per delete statement (deliveries per batch; each takes its attempts along). */
  batchSize: number;
  /**
   * Attempts without a delivery are looked for only from this time on (the cutoff of the last
   * complete run); unset: all of them.
   */
  orphansSince?: Date;
  /** Aborted: stop after the batch in progress (graceful shutdown). */
  signal?: AbortSignal;
}

export interface PurgeResult {
  deliveries: number;
  /** Attempts of the deleted deliveries. */
  attempts: number;
  /** Attempts started before the cutoff whose delivery row was already gone. */
  orphanAttempts: number;
  /** Delete statements run. */
  batches: number;
  /** False when `signal` stopped it before the end. */
  complete: boolean;
}

/** The cutoff for a retention of `days` days: now minus that many days. */
export function retentionCutoff(days: number, now: Date = new Date()): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/**
 * Deletes, in batches of `batchSize`, the deliveries finished (succeeded, failed, cancelled,
 * superseded) before `olderThan` with their attempts, then attempts started before it whose
 * delivery is gone. Each kind is repeated until a batch comes back short. Never deletes a pending
 * or sending delivery, nor a succeeded lead_update that an older open or failed one may be
 * superseded by. Safe to run concurrently (rows are taken with SKIP LOCKED).
 */
export async function purgeExpired(db: Db, options: PurgeOptions): Promise<PurgeResult> {
  const { olderThan, signal } = options;
  const batchSize = Math.max(1, Math.trunc(options.batchSize));
  const result: PurgeResult = {
    deliveries: 0,
    attempts: 0,
    orphanAttempts: 0,
    batches: 0,
    complete: false,
  };
  while (!signal?.aborted) {
    const batch = await purgeFinishedBatch(db, olderThan, batchSize);
    result.batches += 1;
    result.deliveries += batch.deliveries;
    result.attempts += batch.attempts;
    if (batch.deliveries < batchSize) break;
  }
  while (!signal?.aborted) {
    const orphans = await purgeOrphanAttemptsBatch(db, olderThan, batchSize, options.orphansSince);
    result.batches += 1;
    result.orphanAttempts += orphans;
    if (orphans < batchSize) {
      result.complete = true;
      break;
    }
  }
  return result;
}

/**
 * `purgeExpired` by one process at a time: on PostgreSQL under a session advisory lock
 * (`pg_try_advisory_lock`, per runner schema) held on a pooled connection for the run, while the
 * batches use others; null when another process holds it. PGlite is one process: no lock. A lost
 * lock connection ends its lock on the server; the run then finishes unguarded, which is still
 * safe (SKIP LOCKED), only no longer exclusive.
 */
export async function runRetention(db: Db, options: PurgeOptions): Promise<PurgeResult | null> {
  if (!(db instanceof PostgresDb)) return purgeExpired(db, options);
  const client = await db.pool.connect();
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  const key = "hashtext('lead-delivery:retention:' || current_schema())";
  try {
    const { rows } = await client
      .query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${key}) AS locked`)
      .catch((err: unknown) => {
        broken = true;
        throw err;
      });
    if (!rows[0].locked) return null;
    try {
      return await purgeExpired(db, options);
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${key})`).catch(() => {
        // Discarding the connection (below) ends its lock as well.
        broken = true;
      });
    }
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

/**
 * Deliveries per delete statement, each statement its own short transaction: large enough that a
 * day's expired history goes in few statements, small enough that no statement holds locks or
 * bloats the WAL for long (docs/architecture.md, retention).
 */
const RETENTION_BATCH_SIZE = 5000;

/** Time between retention runs of a worker process, from the end of one to the next. */
const RETENTION_INTERVAL_MS = 3_600_000;

export interface RetentionSettings {
  /** 0: keep forever (no loop). */
  retentionDays: Config['retentionDays'];
  /** Default RETENTION_BATCH_SIZE; tests make it small. */
  retentionBatchSize?: number;
  /** Default RETENTION_INTERVAL_MS; tests make it short. */
  retentionIntervalMs?: number;
}

export interface RetentionLoop {
  /** False when RETENTION_DAYS is 0: nothing runs. */
  readonly enabled: boolean;
  /** Clears the timer and waits for a run in progress (which stops after its current batch). */
  stop(): Promise<void>;
}

/**
 * Runs retention now and then every RETENTION_INTERVAL_MS (measured from the end of a run), and
 * logs what each run deleted. Errors are logged; the next round tries again.
 */
export function startRetention(options: {
  db: Db;
  logger: Logger;
  settings: RetentionSettings;
}): RetentionLoop {
  const { db, logger, settings } = options;
  if (settings.retentionDays <= 0) {
    logger.info('retention is off (RETENTION_DAYS=0): deliveries and attempts are kept forever');
    return { enabled: false, stop: async () => {} };
  }
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let stopped = false;
  // The cutoff of this process's last complete run: attempts without a delivery older than it
  // were swept then. The first run of a process sweeps them all (older data).
  let sweptBefore: Date | undefined;

  const runOnce = async () => {
    const started = Date.now();
    const olderThan = retentionCutoff(settings.retentionDays, new Date(started));
    try {
      const result = await runRetention(db, {
        olderThan,
        batchSize: settings.retentionBatchSize ?? RETENTION_BATCH_SIZE,
        orphansSince: sweptBefore,
        signal: abort.signal,
      });
      if (!result) {
        logger.debug('retention: another process is running it, skipped');
        return;
      }
      if (result.complete) sweptBefore = olderThan;
      const fields = { ...result, olderThan: olderThan.toISOString(), ms: Date.now() - started };
      const deleted = result.deliveries + result.attempts + result.orphanAttempts;
      logger[deleted > 0 ? 'info' : 'debug'](
        fields,
        `retention: deleted ${result.deliveries} deliveries and ${
          result.attempts + result.orphanAttempts
        } attempts finished before ${fields.olderThan}`,
      );
    } catch (err) {
      if (!stopped) logger.warn({ err }, 'retention run failed; trying again at the next interval');
    }
  };

  const tick = () => {
    timer = undefined;
    running = runOnce().finally(() => {
      running = null;
      if (!stopped) {
        timer = setTimeout(tick, settings.retentionIntervalMs ?? RETENTION_INTERVAL_MS);
        timer.unref();
      }
    });
  };
  tick();

  return {
    enabled: true,
    async stop() {
      stopped = true;
      abort.abort();
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
