/**
 * The worker's own LISTEN for new delivery jobs on PostgreSQL.
 *
 * pg-boss inlines a `pg_notify` into every job insert of a notify-enabled queue, and its own
 * listener answers each one by waking every fetch loop of the queue: with four loops, a lead
 * arriving alone cost four job fetches, three of them empty, each planned anew. This listener
 * hears the same notifications and wakes the worker's one fetch loop (worker/fetcher.ts).
 *
 * The channel is pg-boss's: `pgboss_` and the first 24 hex digits of the SHA-224 of its schema
 * name, derived in SQL. pg-boss keeps that derivation byte-identical across releases (its
 * instances of different versions must hear each other), and a test inserts a job through
 * pg-boss and expects this listener to hear it.
 *
 * A dropped connection is reopened with a growing delay (1 s to 30 s); notifications sent
 * meanwhile are lost, so every reconnection reports `onReconnect` and the worker wakes every loop
 * once. The loops' own polling (1 s) is the backstop while the listener is down.
 */
import pg from 'pg';

export interface JobNotificationOptions {
  connectionString: string;
  /** pg-boss's schema: the channel derives from it. */
  schema: string;
  /** The queue whose notifications count (the payload is the queue's name). */
  queue: string;
  onJobs: () => void;
  /** After a reconnection: notifications may have been missed. */
  onReconnect: () => void;
  onError?: (error: unknown) => void;
}

export interface JobNotificationListener {
  readonly channel: string;
  close(): Promise<void>;
}

const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;

/** pg-boss's notification channel for `schema`, derived as pg-boss derives it. */
export async function jobChannel(client: pg.Client, schema: string): Promise<string> {
  const bare = /^"[^"]*"$/.test(schema) ? schema.slice(1, -1) : schema;
  const { rows } = await client.query<{ channel: string }>(
    `SELECT 'pgboss_' || left(encode(sha224(convert_to($1::text, 'UTF8')), 'hex'), 24) AS channel`,
    [bare],
  );
  return rows[0].channel;
}

/** Ends a client this module no longer wants, ignoring whatever it still reports. */
async function discard(client: pg.Client): Promise<void> {
  client.removeAllListeners();
  client.on('error', () => {});
  await client.end().catch(() => {});
}

export async function listenForJobs(
  options: JobNotificationOptions,
): Promise<JobNotificationListener> {
  let closed = false;
  let client: pg.Client | null = null;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let failures = 0;
  let channel = '';

  const connect = async (): Promise<void> => {
    const next = new pg.Client({
      connectionString: options.connectionString,
      keepAlive: true,
      application_name: 'lead-delivery-runner:jobs',
    });
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next, new Error('job notification connection ended')));
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload === options.queue) options.onJobs();
    });
    try {
      await next.connect();
      channel ||= await jobChannel(next, options.schema);
      // The channel is 'pgboss_' and hex digits: nothing to quote, but quoted all the same.
      await next.query(`LISTEN "${channel}"`);
    } catch (error) {
      await discard(next);
      throw error;
    }
    if (closed) {
      await discard(next);
      return;
    }
    client = next;
    failures = 0;
  };

  const scheduleReconnect = () => {
    if (closed || reconnectTimer) return;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.min(failures, 5));
    failures += 1;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connect().then(
        () => {
          if (!closed) options.onReconnect();
        },
        (error) => {
          options.onError?.(error);
          scheduleReconnect();
        },
      );
    }, delay);
    reconnectTimer.unref();
  };

  const lost = (target: pg.Client, error: unknown) => {
    if (closed || client !== target) return;
    client = null;
    void discard(target);
    options.onError?.(error);
    scheduleReconnect();
  };

  // A first connection that fails is retried like a lost one: the loops poll meanwhile.
  await connect().catch((error) => {
    options.onError?.(error);
    scheduleReconnect();
  });
  return {
    get channel() {
      return channel;
    },
    async close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      const current = client;
      client = null;
      if (current) await discard(current);
    },
  };
}
