/**
 * The delivery job queue (pg-boss 12). One job per delivery attempt to make, payload
 * `{deliveryId, endpointId}`. Jobs are inserted with the caller's transaction (`{ db: tx }`), so
 * a lead, its deliveries and their jobs commit or roll back together.
 *
 * Waking workers: the queue is created with `notify: true`, so pg-boss inlines a `pg_notify` into
 * the insert, which PostgreSQL delivers at COMMIT to every listener. On PostgreSQL a worker
 * process listens itself (jobNotifications.ts) and `onJobsAvailable` reports each notification,
 * for the worker to wake one fetch loop rather than pg-boss's all; on PGlite (one process) pg-boss
 * listens, and `onJobsAvailable` reports this process's own commits with their job counts. In the
 * same process `onEnqueued` also fires after commit, for anything else that wants to know.
 *
 * Job ids are UUIDv7 (time-ordered), not pg-boss's random v4: its primary key is (name, id), and
 * random ids put every new job, and every fetch's and settle's lookup of it, on a random leaf
 * page of that index. Once the job table is larger than the cache (many retained jobs), that was
 * a page read per job and a full-page WAL image per first write of a page after a checkpoint, and
 * the fetch slowed down with the table; time-ordered ids keep new jobs together at the index's
 * right edge.
 *
 * pg-boss is ESM-only and the runner compiles to CommonJS: it is loaded with `import()`.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { PgliteDb } from './db/pglite.js';
import { statementName } from './db/preparedStatements.js';
import { listenForJobs, type JobNotificationListener } from './jobNotifications.js';
import { POOL_IDLE_TIMEOUT_MS, PostgresDb } from './db/postgres.js';
import type { Db, Sql } from './db/types.js';

export type PgBossModule = typeof import('pg-boss', { with: { 'resolution-mode': 'import' } });
export type PgBoss = InstanceType<PgBossModule['PgBoss']>;
export type PgBossConstructorOptions = import('pg-boss', {
  with: { 'resolution-mode': 'import' },
}).ConstructorOptions;
export type PgBossQueueOptions = Omit<
  import('pg-boss', { with: { 'resolution-mode': 'import' } }).Queue,
  'name'
>;

export const QUEUE = 'deliveries';
/** Alerts (alerts/events.ts): a queue of their own, so they never wait with (or hold) deliveries. */
export const ALERT_QUEUE = 'alerts';
export const DEFAULT_BOSS_SCHEMA = 'pgboss';

export interface DeliveryJobData {
  deliveryId: string;
  endpointId: string;
  /**
   * A circuit-breaker probe: at its startAfter (the endpoint's next probe time) the worker picks
   * the endpoint's oldest sendable pending delivery itself; `deliveryId` is then empty.
   */
  probe?: boolean;
}

/** An alert job: who gets it and the exact body (alerts/events.ts `Alert`). */
export interface AlertJobData {
  id: string;
  sellerId: string;
  type: string;
  body: string;
}

/**
 * Alert jobs are pg-boss's own: a failed send throws, and pg-boss retries it with backoff (15 s
 * doubling up to 15 min, 8 times: about an hour and a half); each send ends by its own timeout,
 * well inside `expireInSeconds`. Grouped by seller, so the alert worker of a process sends at most
 * one alert of a seller at a time: a hanging alert URL holds one slot, not the queue.
 */
export const ALERT_JOB_DEFAULTS = {
  retryLimit: 8,
  retryDelay: 15,
  retryBackoff: true,
  retryDelayMax: 900,
  expireInSeconds: 60,
} as const;

/** A fetched job, active under the fetching process's claim until settled. */
export interface DeliveryJob {
  id: string;
  data: DeliveryJobData;
  /** The job run: pg-boss's retryCount (0 first; a retry after a failed or dead worker counts up). */
  retryCount: number;
  /** The job's heartbeat: refresh it at least this often while its batch runs, or lose it. */
  heartbeatSeconds: number | null;
}

export interface EnqueueRequest extends DeliveryJobData {
  /** Not before this time (a retry's backoff); now when absent. */
  startAfter?: Date;
}

/** Work done in pg-boss's fetch statement (`fetchJobsWith`). */
export interface FetchAlongside<X> {
  /**
   * The statement to run instead of `fetch` (pg-boss's fetch of the jobs: an UPDATE of its job
   * table RETURNING them). It must return every row of `fetch`, with columns of its own added.
   */
  sql(fetch: Sql): Sql;
  /** What it added to a fetched job's row. */
  read(row: Readonly<Record<string, unknown>>): X;
}

/** New jobs may be there to fetch (`onJobsAvailable`). */
export type JobsAvailable =
  /** This process committed `count` jobs that are due now. */
  | { kind: 'enqueued'; count: number }
  /** A transaction (of any process) committed jobs: how many is not told. */
  | { kind: 'notified' }
  /** The listener was down for a while: notifications may have been missed. */
  | { kind: 'missed' };

export interface QueueDepth {
  /** Ready to run now. */
  ready: number;
  /** Waiting for their startAfter. */
  deferred: number;
  /** Being worked on. */
  active: number;
}

let pgBossModule: Promise<PgBossModule> | undefined;

/** `import('pg-boss')` once (ESM from CommonJS). */
export function loadPgBoss(): Promise<PgBossModule> {
  pgBossModule ??= import('pg-boss');
  return pgBossModule;
}

export interface CreateQueueOptions {
  /** The runner's Db. PostgreSQL: pg-boss opens its own pool on the same server. PGlite: shares the instance. */
  db: Db;
  /** pg-boss's schema (default `pgboss`). Tests use `<schema>_boss`. */
  schema?: string;
  /** Pool size of pg-boss's own connections (PostgreSQL). */
  max?: number;
  /** Hold a LISTEN connection to wake workers (default true; an API-only process may not need it). */
  listen?: boolean;
  /** Where the PostgreSQL listener reports a lost connection (it reconnects by itself). */
  onListenError?: (err: unknown) => void;
  /** Run pg-boss maintenance in this process (default true). */
  supervise?: boolean;
  /** Queue settings for a newly created queue (retries of crashed jobs, expiry, retention). */
  queueOptions?: PgBossQueueOptions;
  /** Extra pg-boss constructor options. */
  bossOptions?: Partial<PgBossConstructorOptions>;
  onError?: (err: unknown) => void;
}

/**
 * Job defaults, put on every job at insert (so a queue created by an older version gets them too).
 * pg-boss retries only jobs whose handler threw or whose worker died; the delivery's own retry
 * schedule is the worker's business (it sends a new job with startAfter).
 *
 * - `heartbeatSeconds: 10`: a running batch refreshes its jobs every 5 s; a worker killed with
 *   -9 stops refreshing, and the supervisor of any live process (every `SUPERVISE_INTERVAL_SECONDS`)
 *   fails its jobs after 10 s of silence, so they are retried within ~10-17 s instead of at
 *   `expireInSeconds`. The heartbeat runs on its own timer, not per HTTP request, so a slow
 *   receiver (30 s timeout) never lets a live worker's jobs lapse.
 * - `expireInSeconds: 300`: the hard bound on one job's time in a worker. A claimed delivery
 *   waits for a slot of its endpoint's lane for at most one round of requests, each ending by the
 *   endpoint's timeout (30 s at most), and a stuck lane's unclaimed backlog is deferred; held
 *   deliveries (rate limit, concurrency, circuit, order) are re-queued, never waited for.
 * - `retryDelay: 1` with backoff (capped at 5 min) and `retryLimit: 20`: jobs whose claim or
 *   record failed on a database error are retried at once, then ever more slowly for about an hour.
 */
export const JOB_DEFAULTS = {
  heartbeatSeconds: 10,
  expireInSeconds: 300,
  retryLimit: 20,
  retryDelay: 1,
  retryBackoff: true,
  retryDelayMax: 300,
} as const;

/** How often a worker process's pg-boss supervisor fails jobs with a lapsed heartbeat or expiry. */
export const SUPERVISE_INTERVAL_SECONDS = 5;

/**
 * Retention of finished jobs: a job the worker is done with is deleted at once (completeJobs);
 * pg-boss deletes a failed or cancelled job (or one completed through pg-boss itself) this long
 * after it finished (the queue's `deleteAfterSeconds`, which a job takes from its queue at insert;
 * its `retentionSeconds` is about jobs still queued, and stays pg-boss's 14 days). A finished job
 * is only a trace of the queue: the delivery and its attempts keep what matters (RETENTION_DAYS).
 */
export const FINISHED_JOB_RETENTION_SECONDS = 86_400;

/**
 * How often pg-boss's maintenance (in supervising processes, one at a time per queue) runs the
 * sweep that deletes them; pg-boss's default is 24 h, which would keep finished jobs up to 2 days.
 */
export const MAINTENANCE_INTERVAL_SECONDS = 3_600;

/** Queue defaults for a newly created queue (the job defaults, NOTIFY on insert, retention). */
export const DEFAULT_QUEUE_OPTIONS: PgBossQueueOptions = {
  notify: true,
  deleteAfterSeconds: FINISHED_JOB_RETENTION_SECONDS,
  ...JOB_DEFAULTS,
};

export interface DeliveryQueue {
  readonly name: typeof QUEUE;
  /** pg-boss's schema. */
  readonly schema: string;
  /** The pg-boss instance (for tests and tools; the runner itself goes through the methods below). */
  readonly boss: PgBoss;
  /** Starts pg-boss (installing/migrating its schema) and creates the queue if missing. */
  start(): Promise<void>;
  /** Stops pg-boss; graceful waits for running handlers. Never closes the runner's Db. */
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
  /** Inserts one job per request with `tx`: they commit with the caller's transaction. */
  enqueueDeliveries(tx: Db, jobs: readonly EnqueueRequest[]): Promise<void>;
  /** Inserts one alert job per alert with `tx` (they commit with the event that caused them). */
  enqueueAlerts(tx: Db, alerts: readonly AlertJobData[]): Promise<void>;
  /**
   * Sends queued alerts with `send` (which throws to have pg-boss retry), `concurrency` at a time
   * in this process, at most one per seller. Stopped by `stop()`.
   */
  workAlerts(concurrency: number, send: (alert: AlertJobData) => Promise<void>): Promise<void>;
  /** Called after the enqueuing transaction commits, in this process. Returns an unsubscribe. */
  onEnqueued(listener: (jobs: readonly EnqueueRequest[]) => void): () => void;
  /** Called when new jobs may be waiting: see JobsAvailable. Returns an unsubscribe. */
  onJobsAvailable(listener: (event: JobsAvailable) => void): () => void;
  /** Up to `batchSize` due jobs, oldest first, now active under this process's claim. */
  fetchJobs(batchSize: number): Promise<DeliveryJob[]>;
  /**
   * The same, with `alongside` run in the fetch's own statement (one round trip): each job comes
   * with what `alongside` read from its row.
   */
  fetchJobsWith<X>(
    batchSize: number,
    alongside: FetchAlongside<X>,
  ): Promise<Array<{ job: DeliveryJob; alongside: X }>>;
  /**
   * Settles fetched jobs as done by deleting them (the delivery and its attempt rows are the
   * record); a job retried meanwhile (its claim lapsed) is left alone. With `tx`, inside that
   * transaction: the jobs are done exactly when the caller's work commits.
   */
  completeJobs(jobs: readonly DeliveryJob[], tx?: Db): Promise<void>;
  /** Settles fetched jobs as failed: pg-boss retries them with backoff (JOB_DEFAULTS). */
  failJobs(jobs: readonly DeliveryJob[], error: unknown): Promise<void>;
  /** Refreshes the heartbeat of fetched jobs whose batch is still running. */
  touchJobs(jobs: readonly DeliveryJob[]): Promise<void>;
  /** Job counts as pg-boss's queue statistics last saw them (refreshed by its monitor). */
  depth(): Promise<QueueDepth>;
}

export async function createQueue(options: CreateQueueOptions): Promise<DeliveryQueue> {
  const { PgBoss, fromPglite } = await loadPgBoss();
  const schema = options.schema ?? DEFAULT_BOSS_SCHEMA;
  const listen = options.listen ?? true;
  // On PostgreSQL this module listens itself (see the top of the file); pg-boss does on PGlite.
  const listenOn = listen && options.db instanceof PostgresDb ? options.db : null;
  const ownListener = listenOn !== null;
  const common: PgBossConstructorOptions = {
    schema,
    useListenNotify: listen && !ownListener,
    supervise: options.supervise ?? true,
    schedule: false,
    superviseIntervalSeconds: SUPERVISE_INTERVAL_SECONDS,
    maintenanceIntervalSeconds: MAINTENANCE_INTERVAL_SECONDS,
    monitorIntervalSeconds: SUPERVISE_INTERVAL_SECONDS,
    application_name: 'lead-delivery-runner:pg-boss',
    // The runner reports through Prometheus and its log. With telemetry on, pg-boss wraps every
    // insert, fetch and settle in an OpenTelemetry span and context even with no SDK registered.
    openTelemetry: { enabled: false },
    ...options.bossOptions,
  };

  let boss: PgBoss;
  let fetchPool: pg.Pool | null = null;
  if (options.db instanceof PgliteDb) {
    boss = new PgBoss({ ...common, backend: 'pglite', db: fromPglite(options.db.pgliteLike()) });
  } else if (options.db instanceof PostgresDb) {
    boss = new PgBoss({
      ...common,
      connectionString: options.db.connectionString,
      max: options.max ?? 4,
      // pg-boss hands its options to pg's Pool, this one too, though its types do not list it.
      ...({ idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS } as Partial<PgBossConstructorOptions>),
      // pg-boss's own statements (fetch, complete, fail, maintenance) commit without waiting for
      // the WAL flush: a fetch stands between a lead's job and its send. A crash can lose only
      // the last of them (PostgreSQL's WAL is a sequence, and every durable commit after them
      // flushes them too), and each is redone: a lost fetch is fetched again, a lost complete
      // expires and its retry finds the delivery settled. Jobs themselves are inserted with the
      // runner's transactions, durably.
      options: '-c synchronous_commit=off',
    });
    fetchPool = createFetchPool({
      connectionString: options.db.connectionString,
      schema: options.db.schema,
      max: options.max ?? 4,
      applicationName: `${String(common.application_name)}:fetch`,
      onError: options.onError,
    });
  } else {
    throw new Error('createQueue needs the Db from openDb (PostgreSQL or PGlite)');
  }
  boss.on('error', (err) => options.onError?.(err));
  const fetchDb = fetchPool ? namedStatements(fetchPool) : null;

  const events = new EventEmitter();
  events.setMaxListeners(0);
  let started = false;
  let listener: JobNotificationListener | null = null;
  const available = (event: JobsAvailable) => events.emit('available', event);

  return {
    name: QUEUE,
    schema,
    boss,

    async start() {
      await boss.start();
      started = true;
      if (listenOn) {
        listener = await listenForJobs({
          connectionString: listenOn.connectionString,
          schema,
          queue: QUEUE,
          onJobs: () => available({ kind: 'notified' }),
          onReconnect: () => available({ kind: 'missed' }),
          onError: options.onListenError,
        });
      }
      if (!(await boss.getQueue(ALERT_QUEUE))) {
        await boss.createQueue(ALERT_QUEUE, {
          ...ALERT_JOB_DEFAULTS,
          deleteAfterSeconds: FINISHED_JOB_RETENTION_SECONDS,
        });
      }
      const existing = await boss.getQueue(QUEUE);
      if (!existing) {
        await boss.createQueue(QUEUE, {
          ...DEFAULT_QUEUE_OPTIONS,
          ...options.queueOptions,
          notify: true,
        });
      } else {
        // A queue created by an older version (or by pg-boss's defaults) is brought up to date.
        const deleteAfterSeconds =
          options.queueOptions?.deleteAfterSeconds ?? FINISHED_JOB_RETENTION_SECONDS;
        if (!existing.notify || existing.deleteAfterSeconds !== deleteAfterSeconds) {
          await boss.updateQueue(QUEUE, { notify: true, deleteAfterSeconds });
        }
      }
    },

    async stop({ graceful = true, timeoutMs = 30_000 } = {}) {
      if (!started) return;
      started = false;
      await listener?.close();
      listener = null;
      await boss.stop({ graceful, close: true, timeout: timeoutMs });
      await fetchPool?.end();
    },

    async enqueueDeliveries(tx, jobs) {
      if (jobs.length === 0) return;
      await boss.insert(
        QUEUE,
        jobs.map((job) => ({
          id: uuidv7(),
          data: {
            deliveryId: job.deliveryId,
            endpointId: job.endpointId,
            ...(job.probe ? { probe: true } : {}),
          } satisfies DeliveryJobData,
          ...JOB_DEFAULTS,
          ...(job.startAfter ? { startAfter: job.startAfter } : {}),
        })),
        { db: tx },
      );
      const copy = jobs.map((job) => ({ ...job }));
      tx.afterCommit(() => {
        events.emit('enqueued', copy);
        if (ownListener) return; // the notification reports them, to every worker process
        const now = Date.now();
        const due = copy.filter((job) => !job.startAfter || job.startAfter.getTime() <= now);
        if (due.length > 0) available({ kind: 'enqueued', count: due.length });
      });
    },

    async enqueueAlerts(tx, alerts) {
      if (alerts.length === 0) return;
      await boss.insert(
        ALERT_QUEUE,
        alerts.map((alert) => ({
          id: uuidv7(),
          data: {
            id: alert.id,
            sellerId: alert.sellerId,
            type: alert.type,
            body: alert.body,
          } satisfies AlertJobData,
          group: { id: alert.sellerId },
          ...ALERT_JOB_DEFAULTS,
        })),
        { db: tx },
      );
    },

    async workAlerts(concurrency, send) {
      await boss.work<AlertJobData>(
        ALERT_QUEUE,
        {
          batchSize: 1,
          localConcurrency: concurrency,
          // One alert of a seller at a time in this process (pg-boss counts the group in memory
          // and fetches around it; its database-wide count raced between this process's own
          // pollers, two of a seller's alerts going out at once).
          localGroupConcurrency: 1,
          // Idle, each poller asks every 2 s: alerts are not on the leads' path, and a seller
          // hears of an event within seconds either way.
          pollingIntervalSeconds: 2,
        },
        async ([job]) => {
          await send(job.data);
        },
      );
    },

    onEnqueued(callback) {
      events.on('enqueued', callback);
      return () => events.off('enqueued', callback);
    },

    onJobsAvailable(callback) {
      events.on('available', callback);
      return () => events.off('available', callback);
    },

    async fetchJobs(batchSize) {
      const jobs = await boss.fetch<DeliveryJobData>(QUEUE, {
        batchSize,
        ...(fetchDb ? { db: fetchDb } : {}),
      });
      return jobs.map(toDeliveryJob);
    },

    async fetchJobsWith(batchSize, alongside) {
      // pg-boss builds its fetch and hands it to this db, which runs it inside `alongside`'s
      // statement; pg-boss returns the rows as they come back, added columns and all.
      const base = fetchDb ?? options.db;
      const db = {
        executeSql(text: string, values: unknown[] = []) {
          const sql = alongside.sql({ text, values });
          return base.executeSql(sql.text, sql.values);
        },
      };
      const jobs = await boss.fetch<DeliveryJobData>(QUEUE, { batchSize, db });
      return jobs.map((job) => ({
        job: toDeliveryJob(job),
        alongside: alongside.read(job as unknown as Record<string, unknown>),
      }));
    },

    async completeJobs(jobs, tx) {
      if (jobs.length === 0) return;
      // Deleted rather than marked completed: pg-boss's complete is an update that writes a new
      // version of the job row and an entry in three of its indexes, and its maintenance deletes
      // the row a day later anyway. A fenced delete only marks the row: a fraction of the CPU and
      // WAL per job (bench/history.md).
      await boss.deleteJob(QUEUE, fencedToRun(jobs), tx ? { db: tx } : undefined);
    },

    async failJobs(jobs, error) {
      // pg-boss serializes an Error (name, message, stack) into the jobs' output.
      const output = error instanceof Error ? error : { message: String(error) };
      if (jobs.length > 0) await boss.fail(QUEUE, fencedToRun(jobs), output);
    },

    async touchJobs(jobs) {
      if (jobs.length > 0) await boss.touch(QUEUE, fencedToRun(jobs));
    },

    async depth() {
      const queue = await boss.getQueue(QUEUE);
      return {
        ready: queue?.readyCount ?? 0,
        deferred: queue?.deferredCount ?? 0,
        active: queue?.activeCount ?? 0,
      };
    },
  };
}

/**
 * The connections pg-boss's fetch runs on (PostgreSQL), for two reasons.
 *
 * The fetch's text has no parameters (the queue name and batch size are written into it), so
 * pg-boss sends it as a simple query and PostgreSQL plans it at every call, and planning cost more
 * than executing it (pg_stat_statements with track_planning). Here it is a named statement,
 * planned once per connection; a plan made while the job table was small is made again whenever
 * the table is analyzed (the worker's statistics round, autovacuum), which invalidates it.
 *
 * `random_page_cost` 1.1 instead of 4, the usual setting where the data is cached or on SSD: the
 * fetch joins the jobs it picked (LIMIT batch size) back to the job table, and with the default
 * an index probe per job looked dearer than reading the whole table, so below a few hundred
 * thousand rows every fetch hashed the job table, dead rows included, several times slower than
 * the probes (EXPLAIN ANALYZE). Only the fetch runs on these connections (with the work
 * `fetchJobsWith` adds to its statement), and their search_path is the runner's, for that work.
 *
 * Like pg-boss's own pool, these commit without waiting for the WAL flush (see createQueue).
 */
function createFetchPool(options: {
  connectionString: string;
  /** The runner's schema: a claim at fetch reads and writes its tables. */
  schema: string | undefined;
  max: number;
  applicationName: string;
  onError?: (err: unknown) => void;
}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS,
    application_name: options.applicationName,
    options: [
      '-c synchronous_commit=off -c random_page_cost=1.1',
      ...(options.schema ? [`-c search_path=${options.schema},public`] : []),
    ].join(' '),
  });
  // An idle connection the server dropped errors on the pool; the next fetch opens another.
  pool.on('error', (err) => options.onError?.(err));
  return pool;
}

/** pg-boss's database interface over `pool`, every text sent as a named statement. */
function namedStatements(pool: pg.Pool) {
  return {
    async executeSql(text: string, values?: unknown[]) {
      const name = statementName(text);
      const result = await pool.query(name ? { name, text, values } : { text, values });
      return { rows: result.rows };
    },
  };
}

function toDeliveryJob(job: {
  id: string;
  data: DeliveryJobData;
  retryCount: number;
  heartbeatSeconds?: number | null;
}): DeliveryJob {
  return {
    id: job.id,
    data: job.data,
    retryCount: job.retryCount,
    heartbeatSeconds: job.heartbeatSeconds ?? null,
  };
}

/** The jobs as pg-boss's settle calls take them: each fenced to the job run that was fetched. */
function fencedToRun(jobs: readonly DeliveryJob[]): Array<{ id: string; retryCount: number }> {
  return jobs.map((job) => ({ id: job.id, retryCount: job.retryCount }));
}
