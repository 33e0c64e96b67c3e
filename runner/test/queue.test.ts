/** The delivery queue: jobs commit with the caller's transaction, and workers wake at once. */
import { createPgliteDb } from '../src/db/pglite.js';
import { migrate } from '../src/db/migrate.js';
import {
  createQueue,
  QUEUE,
  type DeliveryJobData,
  type DeliveryQueue,
  type JobsAvailable,
} from '../src/queue.js';
import {
  countJobs,
  createTestDb,
  createTestQueue,
  jobData,
  uniqueSchemaName,
  type TestDb,
} from './helpers/db.js';
import { eventually } from './helpers/runner.js';

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

    test('a worker polling every 30 s gets a committed job at once when woken', async () => {
      await queue.boss.deleteAllJobs(QUEUE);
      const received: Array<{ data: DeliveryJobData; at: number }> = [];
      const workerId = await queue.boss.work<DeliveryJobData>(
        QUEUE,
        { batchSize: 10, pollingIntervalSeconds: 30, notifyPollingIntervalSeconds: 30 },
        async (jobs) => {
          for (const job of jobs) received.push({ data: job.data, at: Date.now() });
        },
      );
      const off = queue.onJobsAvailable(() => queue.boss.notifyWorker(workerId));
      try {
        // Let the worker finish its first (empty) fetch and go to sleep.
        await new Promise((resolve) => setTimeout(resolve, 700));
        const sentAt = Date.now();
        await t.db.transaction((tx) =>
          queue.enqueueDeliveries(tx, [{ deliveryId: 'msg_w', endpointId: 'ep_w' }]),
        );
        await until(() => received.length > 0);
        expect(received.map((r) => r.data)).toEqual([{ deliveryId: 'msg_w', endpointId: 'ep_w' }]);
        expect(received[0].at - sentAt).toBeLessThan(2000);
      } finally {
        off();
        await queue.boss.offWork(QUEUE, { id: workerId, wait: true });
      }
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
