/** The delivery queue: jobs commit with the caller's transaction, and workers wake at once. */
import { createPgliteDb } from '../../src/db/pglite.js';
import { migrate } from '../../src/db/migrate.js';
import {
  createQueue,
  JOB_DEFAULTS,
  QUEUE,
  type DeliveryJob,
  type DeliveryJobData,
  type DeliveryQueue,
  type JobsAvailable,
} from '../../src/queue.js';
import {
  countJobs,
  createTestDb,
  createTestQueue,
  jobData,
  uniqueSchemaName,
  type TestDb,
} from '../helpers/db.js';
import { eventually } from '../helpers/runner.js';
import { Fetcher } from '../../src/worker/fetcher.js';

const until = (condition: () => boolean) => eventually(async () => condition() || undefined);

function behavesLikeTheQueue(name: string, open: () => Promise<TestDb>) {
  describe(name, () => {
    let t: TestDb;
    let queue: DeliveryQueue;
    beforeAll(async () => {
      t = await open();
      queue = await createTestQueue(t);
    });
    afterAll(async () => {
      await queue.stop({ graceful: false });
      await t.drop();
    });

    test('jobs inserted with a transaction commit with it, with payload {deliveryId, endpointId}', async () => {
      const before = await countJobs(t);
      const seen: unknown[] = [];
      const off = queue.onEnqueued((jobs) => seen.push(...jobs));
      await t.db.transaction(async (tx) => {
        await queue.enqueueDeliveries(tx, [
          { deliveryId: 'msg_a', endpointId: 'ep_1' },
          { deliveryId: 'msg_b', endpointId: 'ep_1', startAfter: new Date(Date.now() + 60_000) },
        ]);
        expect(seen).toEqual([]);
      });
      off();
      expect(await countJobs(t)).toBe(before + 2);
      expect(seen).toEqual([
        { deliveryId: 'msg_a', endpointId: 'ep_1' },
        expect.objectContaining({ deliveryId: 'msg_b', endpointId: 'ep_1' }),
      ]);
      expect(await jobData(t)).toEqual(
        expect.arrayContaining([
          { deliveryId: 'msg_a', endpointId: 'ep_1' },
          { deliveryId: 'msg_b', endpointId: 'ep_1' },
        ]),
      );
    });

    test('job ids are time-ordered UUIDv7s, so new jobs sit together in the key index of pg-boss', async () => {
      for (const deliveryId of ['msg_v1', 'msg_v2', 'msg_v3']) {
        await t.db.transaction((tx) =>
          queue.enqueueDeliveries(tx, [{ deliveryId, endpointId: 'ep_v' }]),
        );
      }
      const { rows } = await t.db.query<{ id: string; delivery: string }>(
        `SELECT id::text AS id, data->>'deliveryId' AS delivery FROM ${t.bossSchema}.job
          WHERE name = 'deliveries' AND data->>'endpointId' = 'ep_v' ORDER BY id`,
      );
      expect(rows.map((row) => row.delivery)).toEqual(['msg_v1', 'msg_v2', 'msg_v3']);
      for (const row of rows) expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    });

    test('jobs inserted with a transaction that rolls back disappear with it', async () => {
      const before = await countJobs(t);
      const seen: unknown[] = [];
      const off = queue.onEnqueued((jobs) => seen.push(...jobs));
      await expect(
        t.db.transaction(async (tx) => {
          await queue.enqueueDeliveries(tx, [{ deliveryId: 'msg_c', endpointId: 'ep_2' }]);
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      off();
      expect(await countJobs(t)).toBe(before);
      expect(seen).toEqual([]);
    });

    test('a committed job is reported at once to onJobsAvailable, once per transaction', async () => {
      const events: JobsAvailable[] = [];
      const off = queue.onJobsAvailable((event) => events.push(event));
      try {
        if (t.kind === 'postgres') {
          // Heard as PostgreSQL's notification, which every worker process gets: a job committed
          // by another process (an API-only queue) as well as this process's own, and the latter
          // only once (no second report from the commit itself).
          const producer = await createTestQueue(t, { listen: false, max: 1 });
          try {
            await t.db.transaction((tx) =>
              producer.enqueueDeliveries(tx, [
                { deliveryId: 'msg_n1', endpointId: 'ep_n' },
                { deliveryId: 'msg_n2', endpointId: 'ep_n' },
              ]),
            );
            await until(() => events.length >= 1);
            await t.db.transaction((tx) =>
              queue.enqueueDeliveries(tx, [{ deliveryId: 'msg_n3', endpointId: 'ep_n' }]),
            );
            await until(() => events.length >= 2);
          } finally {
            await producer.stop({ graceful: false });
          }
          expect(events).toEqual([{ kind: 'notified' }, { kind: 'notified' }]);
        } else {
          // One process: its own commits, with the number of jobs due now.
          await t.db.transaction((tx) =>
            queue.enqueueDeliveries(tx, [
              { deliveryId: 'msg_n1', endpointId: 'ep_n' },
              {
                deliveryId: 'msg_n2',
                endpointId: 'ep_n',
                startAfter: new Date(Date.now() + 60_000),
              },
              { deliveryId: 'msg_n3', endpointId: 'ep_n' },
            ]),
          );
          expect(events).toEqual([{ kind: 'enqueued', count: 2 }]);
        }
      } finally {
        off();
      }
    });

    test('a fetch loop polling hourly gets a committed job at once when woken', async () => {
      await queue.boss.deleteAllJobs(QUEUE);
      const received: DeliveryJobData[] = [];
      const loop = new Fetcher<DeliveryJob>({
        fetch: (batchSize) => queue.fetchJobs(batchSize),
        handle: async (jobs) => {
          received.push(...jobs.map((job) => job.data));
          await queue.completeJobs(jobs);
        },
        room: () => 10,
        batchSize: 10,
        pollIntervalMs: 3_600_000,
        onError: (error) => {
          throw error;
        },
      });
      const off = queue.onJobsAvailable(() => loop.wake());
      loop.start();
      try {
        // Let the loop finish its first (empty) fetch and go to sleep.
        await new Promise((resolve) => setTimeout(resolve, 700));
        await t.db.transaction((tx) =>
          queue.enqueueDeliveries(tx, [{ deliveryId: 'msg_w', endpointId: 'ep_w' }]),
        );
        await until(() => received.length > 0);
        expect(received).toEqual([{ deliveryId: 'msg_w', endpointId: 'ep_w' }]);
      } finally {
        off();
        await loop.stop();
      }
    });

    test('fetched jobs settle through the queue, each fenced to the attempt fetched', async () => {
      await queue.boss.deleteAllJobs(QUEUE);
      await t.db.transaction((tx) =>
        queue.enqueueDeliveries(tx, [
          { deliveryId: 'msg_s1', endpointId: 'ep_s' },
          { deliveryId: 'msg_s2', endpointId: 'ep_s' },
        ]),
      );
      const fetched = await queue.fetchJobs(10);
      expect(fetched).toEqual([
        expect.objectContaining({ retryCount: 0, heartbeatSeconds: JOB_DEFAULTS.heartbeatSeconds }),
        expect.objectContaining({ retryCount: 0, heartbeatSeconds: JOB_DEFAULTS.heartbeatSeconds }),
      ]);
      const [done, failed] = [...fetched].sort((a, b) =>
        a.data.deliveryId.localeCompare(b.data.deliveryId),
      );
      await queue.touchJobs(fetched);
      await queue.completeJobs([done]);
      await queue.failJobs([failed], new Error('recording failed'));
      const stateOf = async (id: string) => (await queue.boss.getJobById(QUEUE, id))?.state;
      // Done: deleted, not kept as completed (the attempt rows are the record).
      expect(await queue.boss.getJobById(QUEUE, done.id)).toBeNull();
      // Failed into pg-boss's retries, with the error kept as the job's output.
      expect(await stateOf(failed.id)).toBe('retry');
      expect((await queue.boss.getJobById(QUEUE, failed.id))?.output).toEqual(
        expect.objectContaining({ message: 'recording failed' }),
      );
      // Its retry is fetched as the next attempt; settling the old attempt leaves it alone.
      await t.db.query(`UPDATE ${t.bossSchema}.job SET start_after = now() WHERE id = $1`, [
        failed.id,
      ]);
      const [retried] = await queue.fetchJobs(10);
      expect(retried).toEqual(expect.objectContaining({ id: failed.id, retryCount: 1 }));
      await queue.completeJobs([failed]);
      expect(await stateOf(failed.id)).toBe('active');
      await queue.completeJobs([retried]);
      expect(await queue.boss.getJobById(QUEUE, failed.id)).toBeNull();
    });

    test('depth reads the queue statistics', async () => {
      await expect(queue.depth()).resolves.toEqual({
        ready: expect.any(Number),
        deferred: expect.any(Number),
        active: expect.any(Number),
      });
    });
  });
}

behavesLikeTheQueue('pg-boss on the test database', () => createTestDb());
behavesLikeTheQueue('pg-boss on PGlite', async () => {
  const schema = uniqueSchemaName();
  const db = await createPgliteDb({ schema });
  await migrate(db);
  return { db, kind: 'pglite', schema, bossSchema: `${schema}_boss`, drop: () => db.close() };
});

test('createQueue refuses a Db it cannot hand to pg-boss', async () => {
  const fake = { kind: 'postgres' } as never;
  await expect(createQueue({ db: fake })).rejects.toThrow('openDb');
});

test('on PostgreSQL, pg-boss fetches on connections of their own (a named statement, cheaper plans)', async () => {
  const t = await createTestDb();
  // On PGlite pg-boss shares the one in-process instance: nothing to check there.
  if (t.kind !== 'postgres') return t.drop();
  const queue = await createTestQueue(t, { listen: false });
  try {
    await t.db.transaction((tx) =>
      queue.enqueueDeliveries(tx, [{ deliveryId: 'msg_f', endpointId: 'ep_f' }]),
    );
    expect((await queue.fetchJobs(10)).map((job) => job.data.deliveryId)).toEqual(['msg_f']);
    const { rows } = await t.db.query<{ application_name: string }>(
      `SELECT application_name FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE $1 AND query LIKE '%FOR UPDATE OF j SKIP LOCKED%'`,
      [`%${t.bossSchema}.job_common%`],
    );
    expect(rows.map((row) => row.application_name)).toEqual(['lead-delivery-runner:pg-boss:fetch']);
  } finally {
    await queue.stop({ graceful: false });
    await t.drop();
  }
});
