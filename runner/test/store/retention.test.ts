/**
 * Retention (RETENTION_DAYS): old finished deliveries and their attempts are deleted in batches,
 * never an open delivery nor what one still needs; worker processes run it at start and then on
 * a timer, one process at a time; pg-boss deletes finished jobs after a day.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';

import { loadConfig } from '../../src/config.js';
import { configProblems } from '../helpers/config.js';
import { migrate, openDb } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { newId } from '../../src/ids.js';
import {
  purgeExpired,
  retentionCutoff,
  runRetention,
  startRetention,
  type RetentionSettings,
} from '../../src/maintenance/retention.js';
import { createQueue, FINISHED_JOB_RETENTION_SECONDS, QUEUE } from '../../src/queue.js';
import { startRuntime } from '../../src/runtime.js';
import { supersede } from '../../src/store/deliveryState/index.js';
import { PROVIDER_KEY, SECRETS_KEY_HEX } from '../helpers/app.js';
import { createTestDb, testServerUrl, uniqueSchemaName, type TestDb } from '../helpers/db.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);
const CUTOFF_DAYS = 30;

type Status = 'pending' | 'sending' | 'succeeded' | 'failed' | 'cancelled' | 'superseded';

interface DeliverySpec {
  status: Status;
  /** Days since it last changed (updated_at). */
  ageDays: number;
  /** Days since it was created (default: ageDays). */
  createdDaysAgo?: number;
  messageType?: 'new_lead' | 'lead_update';
  leadId?: string;
  test?: boolean;
  /** Attempt rows, started at created_at + n minutes. */
  attempts?: number;
}

let t: TestDb;
let sellerId: string;
let endpointId: string;

beforeAll(async () => {
  t = await createTestDb();
  sellerId = newId('seller');
  endpointId = newId('endpoint');
  await t.db.query('INSERT INTO sellers (id, name) VALUES ($1, $2)', [sellerId, 'Retention']);
  await t.db.query(
    `INSERT INTO endpoints (id, seller_id, name, url, signing_secret) VALUES ($1, $2, 'CRM',
      'https://crm.example.com/in', 'x')`,
    [endpointId, sellerId],
  );
});
afterAll(() => t.drop());
beforeEach(async () => {
  await t.db.query('DELETE FROM attempts');
  await t.db.query('DELETE FROM deliveries');
});

async function addDelivery(db: Db, spec: DeliverySpec): Promise<string> {
  const id = newId('delivery');
  const created = ago(spec.createdDaysAgo ?? spec.ageDays);
  const messageType = spec.messageType ?? 'new_lead';
  // new_lead: one per (endpoint, lead), so a lead of its own.
  const leadId = spec.leadId ?? newId('lead');
  await db.query(
    `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, test, status,
        lead_snapshot, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $8, $9)`,
    [
      id,
      sellerId,
      endpointId,
      leadId,
      messageType,
      spec.test ?? false,
      spec.status,
      created,
      ago(spec.ageDays),
    ],
  );
  for (let n = 1; n <= (spec.attempts ?? 1); n += 1) {
    await addAttempt(db, id, new Date(created.getTime() + n * 60_000), { leadId, messageType });
  }
  return id;
}

async function addAttempt(
  db: Db,
  deliveryId: string,
  startedAt: Date,
  options: { leadId?: string; messageType?: string } = {},
): Promise<string> {
  const id = newId('attempt');
  await db.query(
    `INSERT INTO attempts (id, delivery_id, seller_id, endpoint_id, lead_id, message_type, attempt_number,
        started_at, duration_ms, status, http_status)
      VALUES ($1, $2, $3, $4, $5, $6, 1, $7, 12, 'success', 200)`,
    [
      id,
      deliveryId,
      sellerId,
      endpointId,
      options.leadId ?? 'lead_x',
      options.messageType ?? 'new_lead',
      startedAt,
    ],
  );
  return id;
}

async function deliveryIds(db: Db = t.db): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM deliveries ORDER BY id');
  return rows.map((row) => row.id);
}

async function attemptDeliveryIds(db: Db = t.db): Promise<string[]> {
  const { rows } = await db.query<{ delivery_id: string }>(
    'SELECT delivery_id FROM attempts ORDER BY delivery_id',
  );
  return rows.map((row) => row.delivery_id);
}

async function count(table: 'deliveries' | 'attempts', db: Db = t.db): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function captureLogs(level: pino.Level = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

const settings = (overrides: Partial<RetentionSettings> = {}): RetentionSettings => ({
  retentionDays: CUTOFF_DAYS,
  retentionBatchSize: 100,
  retentionIntervalMs: 3_600_000,
  ...overrides,
});

describe('purgeExpired', () => {
  test('the batch is read from the partial index deliveries_finished_idx (PostgreSQL planner)', async () => {
    // The index's predicate and the statement's must match for the planner to prove the index
    // usable: a difference in wording or in a new PostgreSQL's proof makes this fail.
    if (t.kind !== 'postgres') return;
    const { retentionSql } = await import('../../src/store/retention.js');
    const sql = retentionSql.purgeFinished(ago(CUTOFF_DAYS), 100);
    const { rows } = await t.db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      return tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql.text}`, sql.values);
    });
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index (Only )?Scan using deliveries_finished_idx/);
  });

  test('deletes finished deliveries older than the cutoff with their attempts, keeps recent ones', async () => {
    const old: string[] = [];
    for (const status of ['succeeded', 'failed', 'cancelled', 'superseded'] as const) {
      old.push(await addDelivery(t.db, { status, ageDays: 31, attempts: 2 }));
      old.push(await addDelivery(t.db, { status, ageDays: 45, test: true }));
    }
    const recent = [
      await addDelivery(t.db, { status: 'succeeded', ageDays: 29, attempts: 2 }),
      await addDelivery(t.db, { status: 'failed', ageDays: 1, test: true }),
      // Created long ago, finished (after a replay) recently: kept for the retention from then.
      await addDelivery(t.db, { status: 'failed', ageDays: 2, createdDaysAgo: 60 }),
    ];

    const result = await purgeExpired(t.db, { olderThan: ago(CUTOFF_DAYS), batchSize: 100 });

    expect(result).toMatchObject({ deliveries: 8, attempts: 12, orphanAttempts: 0 });
    expect(result.complete).toBe(true);
    expect(await deliveryIds()).toEqual([...recent].sort());
    expect(await attemptDeliveryIds()).toEqual([recent[0], recent[0], recent[1], recent[2]].sort());
  });

  test('never deletes pending or sending deliveries (nor their attempts), however old', async () => {
    const open = [
      await addDelivery(t.db, { status: 'pending', ageDays: 400, attempts: 3 }),
      await addDelivery(t.db, { status: 'sending', ageDays: 90 }),
      await addDelivery(t.db, { status: 'pending', ageDays: 40, test: true }),
    ];
    await addDelivery(t.db, { status: 'succeeded', ageDays: 400 });

    const result = await purgeExpired(t.db, { olderThan: ago(CUTOFF_DAYS), batchSize: 100 });

    expect(result).toMatchObject({ deliveries: 1, attempts: 1, orphanAttempts: 0 });
    expect(await deliveryIds()).toEqual([...open].sort());
    expect(await attemptDeliveryIds()).toEqual(
      [open[0], open[0], open[0], open[1], open[2]].sort(),
    );
  });

  test('keeps a succeeded lead_update while an older failed one of its pair could be resent', async () => {
    const leadId = newId('lead');
    // U1 failed (recently: it is kept), U2 newer and succeeded long ago.
    const u1 = await addDelivery(t.db, {
      status: 'failed',
      ageDays: 3,
      createdDaysAgo: 50,
      messageType: 'lead_update',
      leadId,
    });
    const u2 = await addDelivery(t.db, {
      status: 'succeeded',
      ageDays: 45,
      createdDaysAgo: 49,
      messageType: 'lead_update',
      leadId,
    });
    // The same shape on another lead without the older failed one: U2 goes.
    const alone = await addDelivery(t.db, {
      status: 'succeeded',
      ageDays: 45,
      messageType: 'lead_update',
    });

    const result = await purgeExpired(t.db, { olderThan: ago(CUTOFF_DAYS), batchSize: 100 });
    expect(result.deliveries).toBe(1);
    expect(await deliveryIds()).toEqual([u1, u2].sort());
    expect(await deliveryIds()).not.toContain(alone);

    // What U2 is kept for: U1 resent (pending) is superseded by it instead of sending stale data.
    await t.db.query(`UPDATE deliveries SET status = 'pending' WHERE id = $1`, [u1]);
    const superseded = await supersede(t.db, [{ endpointId, leadId }]);
    expect(superseded).toEqual([expect.objectContaining({ id: u1, supersededBy: u2 })]);

    // Once U1 has aged out as well (superseded, finished long ago), both go.
    await t.db.query(`UPDATE deliveries SET updated_at = $2 WHERE id = $1`, [u1, ago(40)]);
    const again = await purgeExpired(t.db, { olderThan: ago(CUTOFF_DAYS), batchSize: 100 });
    expect(again.deliveries).toBe(2);
    expect(await deliveryIds()).toEqual([]);
  });

  test('loops in batches until done (batch size 2 over 7 deliveries)', async () => {
    for (let i = 0; i < 7; i += 1) {
      await addDelivery(t.db, { status: 'succeeded', ageDays: 31 + i, attempts: 2 });
    }
    const kept = await addDelivery(t.db, { status: 'succeeded', ageDays: 5 });

    const result = await purgeExpired(t.db, { olderThan: ago(CUTOFF_DAYS), batchSize: 2 });

    // 2 + 2 + 2 + 1 deliveries, then one (empty) batch of attempts without a delivery.
    expect(result).toEqual({
      deliveries: 7,
      attempts: 14,
      orphanAttempts: 0,
      batches: 5,
      complete: true,
    });
    expect(await deliveryIds()).toEqual([kept]);
    expect(await count('attempts')).toBe(1);
  });

  test('deletes old attempts whose delivery is gone, by started_at', async () => {
    const oldOrphan = await addAttempt(t.db, 'msg_gone_long_ago', ago(40));
    const olderOrphan = await addAttempt(t.db, 'msg_gone_even_longer_ago', ago(400));
    const recentOrphan = await addAttempt(t.db, 'msg_gone_recently', ago(2));
    const open = await addDelivery(t.db, { status: 'pending', ageDays: 60 });

    // A sweep since a given time looks only at attempts started from then on.
    const windowed = await purgeExpired(t.db, {
      olderThan: ago(CUTOFF_DAYS),
      batchSize: 100,
      orphansSince: ago(100),
    });
    expect(windowed.orphanAttempts).toBe(1);
    const { rows } = await t.db.query<{ id: string }>('SELECT id FROM attempts ORDER BY id');
    expect(rows.map((row) => row.id)).not.toContain(oldOrphan);
    expect(rows.map((row) => row.id)).toContain(olderOrphan);

    const full = await purgeExpired(t.db, { olderThan: ago(CUTOFF_DAYS), batchSize: 100 });
    expect(full.orphanAttempts).toBe(1);
    // Left: the recent one, and the attempt of the open delivery (not an orphan, however old).
    expect(await attemptDeliveryIds()).toEqual(['msg_gone_recently', open].sort());
    expect(recentOrphan).toMatch(/^att_/);
  });

  test('an aborted purge stops before its next batch', async () => {
    for (let i = 0; i < 3; i += 1) await addDelivery(t.db, { status: 'failed', ageDays: 50 });
    const abort = new AbortController();
    abort.abort();
    const result = await purgeExpired(t.db, {
      olderThan: ago(CUTOFF_DAYS),
      batchSize: 1,
      signal: abort.signal,
    });
    expect(result).toEqual({
      deliveries: 0,
      attempts: 0,
      orphanAttempts: 0,
      batches: 0,
      complete: false,
    });
    expect(await count('deliveries')).toBe(3);
  });

  test('skips a delivery someone else holds (say a resend) instead of waiting for it', async () => {
    const held = await addDelivery(t.db, { status: 'failed', ageDays: 40 });
    const free = await addDelivery(t.db, { status: 'failed', ageDays: 41 });
    if (t.kind !== 'postgres') return; // PGlite: one session, nobody else to hold a row.
    const other = new pg.Client({
      connectionString: t.connectionString,
      options: `-c search_path=${t.schema},public`,
    });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT id FROM deliveries WHERE id = $1 FOR UPDATE', [held]);
      const purge = purgeExpired(t.db, { olderThan: ago(CUTOFF_DAYS), batchSize: 100 });
      const outcome = await Promise.race([
        purge.then((result) => result.deliveries),
        sleep(5_000).then(() => 'still waiting'),
      ]);
      expect(outcome).toBe(1);
      expect(await deliveryIds()).toEqual([held]);
      expect(await deliveryIds()).not.toContain(free);
    } finally {
      await other.query('ROLLBACK').catch(() => {});
      await other.end();
    }
    // Left for the next run.
    expect(await purgeExpired(t.db, { olderThan: ago(CUTOFF_DAYS), batchSize: 100 })).toMatchObject(
      {
        deliveries: 1,
      },
    );
  });

  test('two purges at once share the work without conflict (rows taken with SKIP LOCKED)', async () => {
    for (let i = 0; i < 40; i += 1) {
      await addDelivery(t.db, { status: 'succeeded', ageDays: 31 + (i % 5), attempts: 2 });
    }
    const results = await Promise.all([
      purgeExpired(t.db, { olderThan: ago(CUTOFF_DAYS), batchSize: 3 }),
      purgeExpired(t.db, { olderThan: ago(CUTOFF_DAYS), batchSize: 3 }),
    ]);
    expect(results[0].deliveries + results[1].deliveries).toBe(40);
    expect(results[0].attempts + results[1].attempts).toBe(80);
    expect(await count('deliveries')).toBe(0);
    expect(await count('attempts')).toBe(0);
  });
});

describe('runRetention (one process at a time)', () => {
  test('skips while another session holds the retention lock, runs once it is free', async () => {
    await addDelivery(t.db, { status: 'succeeded', ageDays: 31 });
    const options = { olderThan: ago(CUTOFF_DAYS), batchSize: 100 };
    if (t.kind === 'pglite') {
      // One process, one session: no lock to take.
      expect(await runRetention(t.db, options)).toMatchObject({ deliveries: 1 });
      return;
    }
    // Another process, as PostgreSQL sees it: its own session on the same schema.
    const other = new pg.Client({
      connectionString: t.connectionString,
      options: `-c search_path=${t.schema},public`,
    });
    await other.connect();
    try {
      const key = "hashtext('lead-delivery:retention:' || current_schema())";
      const taken = await other.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(${key}) AS locked`,
      );
      expect(taken.rows[0].locked).toBe(true);

      expect(await runRetention(t.db, options)).toBeNull();
      expect(await count('deliveries')).toBe(1);

      await other.query(`SELECT pg_advisory_unlock(${key})`);
      expect(await runRetention(t.db, options)).toMatchObject({ deliveries: 1, attempts: 1 });
      expect(await count('deliveries')).toBe(0);

      // And it let go: the other session can take the lock again.
      const retaken = await other.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(${key}) AS locked`,
      );
      expect(retaken.rows[0].locked).toBe(true);
    } finally {
      await other.end();
    }
  });

  test('two runs at once: every row deleted once, no error', async () => {
    for (let i = 0; i < 30; i += 1) {
      await addDelivery(t.db, { status: 'succeeded', ageDays: 40 });
    }
    const options = { olderThan: ago(CUTOFF_DAYS), batchSize: 2 };
    const results = await Promise.all([runRetention(t.db, options), runRetention(t.db, options)]);
    const ran = results.filter((result) => result !== null);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    expect(ran.reduce((sum, result) => sum + result.deliveries, 0)).toBe(30);
    expect(await count('deliveries')).toBe(0);
  });
});

describe('the retention loop', () => {
  test('runs at start, again after the interval, logs what it deleted; stop ends it', async () => {
    await addDelivery(t.db, { status: 'succeeded', ageDays: 31, attempts: 2 });
    await addDelivery(t.db, { status: 'failed', ageDays: 60 });
    const kept = await addDelivery(t.db, { status: 'pending', ageDays: 60 });
    const { logger, lines } = captureLogs('debug');

    const loop = startRetention({
      db: t.db,
      logger,
      settings: settings({ retentionIntervalMs: 300 }),
    });
    expect(loop.enabled).toBe(true);
    try {
      await waitFor(async () => (await count('deliveries')) === 1);
      expect(await deliveryIds()).toEqual([kept]);
      await waitFor(async () => lines.some((line) => line.deliveries === 2));
      expect(lines.find((line) => line.deliveries === 2)).toMatchObject({
        level: 30,
        deliveries: 2,
        attempts: 3,
        msg: expect.stringMatching(
          /^retention: deleted 2 deliveries and 3 attempts finished before /,
        ),
      });

      // The next round (after the interval) takes what aged out since. Attempts without a
      // delivery it looks for only among those that aged out since the last complete run (the
      // first run of a process looks at them all).
      await addDelivery(t.db, { status: 'cancelled', ageDays: 35 });
      await addAttempt(t.db, 'msg_gone', ago(40));
      await waitFor(async () => (await count('deliveries')) === 1);
      await waitFor(async () => lines.some((line) => line.deliveries === 1));
      expect(await attemptDeliveryIds()).toEqual([kept, 'msg_gone'].sort());
    } finally {
      await loop.stop();
    }

    // Stopped: its timer is gone, nothing runs any more (each run logs, at debug when idle).
    const runs = () => lines.filter((line) => typeof line.batches === 'number').length;
    const runsAtStop = runs();
    expect(runsAtStop).toBeGreaterThanOrEqual(2);
    await addDelivery(t.db, { status: 'succeeded', ageDays: 90 });
    await sleep(900);
    expect(await count('deliveries')).toBe(2);
    expect(runs()).toBe(runsAtStop);
  });

  test('stop waits for the run in progress, which ends after its current batch', async () => {
    for (let i = 0; i < 300; i += 1) {
      await addDelivery(t.db, { status: 'succeeded', ageDays: 40, attempts: 0 });
    }
    const { logger, lines } = captureLogs('debug');
    const loop = startRetention({
      db: t.db,
      logger,
      settings: settings({ retentionBatchSize: 1 }),
    });
    await waitFor(async () => (await count('deliveries')) < 300);
    await loop.stop();

    const run = lines.find((line) => typeof line.deliveries === 'number');
    expect(run).toMatchObject({ complete: false });
    const left = await count('deliveries');
    expect(left).toBe(300 - (run!.deliveries as number));
    expect(left).toBeGreaterThan(0);
    await sleep(200);
    expect(await count('deliveries')).toBe(left);
  });

  test('RETENTION_DAYS=0 keeps everything: no loop, nothing deleted', async () => {
    await addDelivery(t.db, { status: 'succeeded', ageDays: 3650 });
    const { logger, lines } = captureLogs('info');
    const config = loadConfig(
      { PROVIDER_API_KEY: PROVIDER_KEY, SECRETS_KEY: SECRETS_KEY_HEX, RETENTION_DAYS: '0' },
      { notice: () => {} },
    );
    expect(config.retentionDays).toBe(0);

    const loop = startRetention({ db: t.db, logger, settings: config });
    expect(loop.enabled).toBe(false);
    await loop.stop();
    expect(await count('deliveries')).toBe(1);
    expect(lines.map((line) => line.msg)).toEqual([
      'retention is off (RETENTION_DAYS=0): deliveries and attempts are kept forever',
    ]);
  });

  test('a worker runtime runs it at start; an API-only runtime does not run it', async () => {
    const serverUrl = await testServerUrl();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'lead-delivery-retention-'));
    const schema = uniqueSchemaName('retention');
    const config = loadConfig(
      {
        ...(serverUrl ? { DATABASE_URL: serverUrl } : {}),
        DATA_DIR: dataDir,
        PORT: '0',
        PROVIDER_API_KEY: PROVIDER_KEY,
        SECRETS_KEY: SECRETS_KEY_HEX,
        RETENTION_DAYS: '30',
      },
      { notice: () => {} },
    );
    // Old data in the runner's database before it starts.
    const seed = await openDb(config, { schema: serverUrl ? schema : undefined });
    let seedClosed = false;
    try {
      await migrate(seed);
      await seed.query('INSERT INTO sellers (id, name) VALUES ($1, $2)', [sellerId, 'S']);
      await seed.query(
        `INSERT INTO endpoints (id, seller_id, name, url, signing_secret) VALUES ($1, $2, 'CRM',
          'https://crm.example.com/in', 'x')`,
        [endpointId, sellerId],
      );
      await addDelivery(seed, { status: 'succeeded', ageDays: 31, attempts: 2 });
      await addDelivery(seed, { status: 'superseded', ageDays: 90, messageType: 'lead_update' });
      await addDelivery(seed, { status: 'succeeded', ageDays: 10 });
      await seed.close();
      seedClosed = true;

      const api = await startRuntime('api', config, {
        logger: pino({ level: 'silent' }),
        schema: serverUrl ? schema : undefined,
        bossSchema: `${schema}_boss`,
      });
      expect(api.retention).toBeNull();
      await sleep(200);
      expect(await count('deliveries', api.db)).toBe(3);
      await api.stop();

      const { logger, lines } = captureLogs('info');
      const runtime = await startRuntime('worker', config, {
        logger,
        schema: serverUrl ? schema : undefined,
        bossSchema: `${schema}_boss`,
      });
      try {
        expect(runtime.retention?.enabled).toBe(true);
        await waitFor(async () => (await count('deliveries', runtime.db)) === 1);
        expect(await count('attempts', runtime.db)).toBe(1);
        await waitFor(async () => lines.some((line) => line.role === 'retention'));
        expect(lines.find((line) => line.role === 'retention')).toMatchObject({
          deliveries: 2,
          attempts: 3,
        });
      } finally {
        await runtime.stop();
      }
    } finally {
      if (!seedClosed) await seed.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (serverUrl) {
        const client = new pg.Client({ connectionString: serverUrl });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
        await client.end();
      }
    }
  });
});

describe('settings', () => {
  const base = { PROVIDER_API_KEY: PROVIDER_KEY, SECRETS_KEY: SECRETS_KEY_HEX };
  const quiet = { notice: () => {} };

  test('default: 30 days', () => {
    expect(loadConfig(base, quiet)).toMatchObject({ retentionDays: 30 });
  });

  test('set', () => {
    expect(loadConfig({ ...base, RETENTION_DAYS: '7' }, quiet)).toMatchObject({
      retentionDays: 7,
    });
  });

  test('bad values name their variable', () => {
    expect(configProblems({ ...base, RETENTION_DAYS: '-1' })).toEqual([
      'RETENTION_DAYS must be an integer from 0 to 36500 (got "-1")',
    ]);
    expect(configProblems({ ...base, RETENTION_DAYS: 'a month' })).toEqual([
      'RETENTION_DAYS must be an integer from 0 to 36500 (got "a month")',
    ]);
  });

  test('the cutoff is that many days before now', () => {
    const now = new Date('2026-05-31T12:00:00Z');
    expect(retentionCutoff(30, now).toISOString()).toBe('2026-05-01T12:00:00.000Z');
  });
});

describe('finished pg-boss jobs', () => {
  test('the queue deletes finished jobs after a day, also a queue created before', async () => {
    // A queue made with pg-boss's default (7 days), as an older version left it.
    const before = await createQueue({
      db: t.db,
      schema: t.bossSchema,
      supervise: false,
      queueOptions: { deleteAfterSeconds: 604_800 },
    });
    await before.start();
    expect((await before.boss.getQueue(QUEUE))?.deleteAfterSeconds).toBe(604_800);
    await before.stop({ graceful: false });

    const queue = await createQueue({ db: t.db, schema: t.bossSchema, supervise: false });
    await queue.start();
    try {
      expect(FINISHED_JOB_RETENTION_SECONDS).toBe(86_400);
      expect(await queue.boss.getQueue(QUEUE)).toMatchObject({
        deleteAfterSeconds: 86_400,
        notify: true,
      });

      // Jobs take it from the queue; two finish, one of them more than a day ago.
      await t.db.transaction((tx) =>
        queue.enqueueDeliveries(tx, [
          { deliveryId: 'msg_old', endpointId },
          { deliveryId: 'msg_new', endpointId },
          { deliveryId: 'msg_waiting', endpointId, startAfter: new Date(Date.now() + 3_600_000) },
        ]),
      );
      const jobs = await queue.boss.fetch<{ deliveryId: string }>(QUEUE, { batchSize: 10 });
      expect(jobs.map((job) => job.data.deliveryId).sort()).toEqual(['msg_new', 'msg_old']);
      await queue.boss.complete(
        QUEUE,
        jobs.map((job) => job.id),
      );
      const { rows: seconds } = await t.db.query<{ deletion_seconds: number }>(
        `SELECT DISTINCT deletion_seconds FROM ${t.bossSchema}.job WHERE name = $1`,
        [QUEUE],
      );
      expect(seconds).toEqual([{ deletion_seconds: 86_400 }]);
      const old = jobs.find((job) => job.data.deliveryId === 'msg_old')!;
      await t.db.query(
        `UPDATE ${t.bossSchema}.job SET completed_on = now() - interval '25 hours' WHERE id = $1`,
        [old.id],
      );

      await queue.boss.supervise(QUEUE);

      const { rows } = await t.db.query<{ delivery_id: string; state: string }>(
        `SELECT data->>'deliveryId' AS delivery_id, state::text AS state FROM ${t.bossSchema}.job
          WHERE name = $1 ORDER BY 1`,
        [QUEUE],
      );
      expect(rows).toEqual([
        { delivery_id: 'msg_new', state: 'completed' },
        { delivery_id: 'msg_waiting', state: 'created' },
      ]);
    } finally {
      await queue.stop({ graceful: false });
    }
  });
});
