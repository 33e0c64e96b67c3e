/**
 * The worker's own LISTEN for new jobs (PostgreSQL): it hears pg-boss's notifications on pg-boss's
 * channel, and after its connection is killed it reconnects and reports that it may have missed
 * some. On PGlite pg-boss listens itself (queue.test.ts covers both).
 */
import pg from 'pg';
import {
  jobChannel,
  listenForJobs,
  type JobNotificationListener,
} from '../../src/jobNotifications.js';
import { QUEUE, type DeliveryQueue } from '../../src/queue.js';
import { createTestDb, createTestQueue, type TestDb } from '../helpers/db.js';
import { eventually } from '../helpers/runner.js';

const until = (condition: () => boolean) => eventually(async () => condition() || undefined);

let t: TestDb;
let producer: DeliveryQueue;

beforeAll(async () => {
  t = await createTestDb();
  producer = await createTestQueue(t, { listen: false, max: 1 });
});

afterAll(async () => {
  await producer.stop({ graceful: false });
  await t.drop();
});

test('hears the jobs pg-boss inserts, reconnects after its connection is killed, and says so', async () => {
  if (t.kind !== 'postgres') {
    // No server here (PGlite): the queue leaves listening to pg-boss, in process.
    expect(t.kind).toBe('pglite');
    return;
  }
  const heard: string[] = [];
  const errors: unknown[] = [];
  let listener: JobNotificationListener | undefined;
  const admin = new pg.Client({ connectionString: t.connectionString });
  await admin.connect();
  try {
    listener = await listenForJobs({
      connectionString: t.connectionString!,
      schema: t.bossSchema,
      queue: QUEUE,
      onJobs: () => heard.push('jobs'),
      onReconnect: () => heard.push('reconnected'),
      onError: (error) => errors.push(error),
    });
    expect(listener.channel).toBe(await jobChannel(admin, t.bossSchema));
    expect(listener.channel).toMatch(/^pgboss_[0-9a-f]{24}$/);

    await t.db.transaction((tx) =>
      producer.enqueueDeliveries(tx, [{ deliveryId: 'msg_l1', endpointId: 'ep_l' }]),
    );
    await until(() => heard.length >= 1);
    expect(heard).toEqual(['jobs']);

    // Another queue's notification on the same channel is not a delivery job.
    await admin.query('SELECT pg_notify($1, $2)', [listener.channel, 'some-other-queue']);
    await admin.query('SELECT pg_notify($1, $2)', [listener.channel, QUEUE]);
    await until(() => heard.length >= 2);
    expect(heard).toEqual(['jobs', 'jobs']);

    const { rowCount } = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'lead-delivery-runner:jobs' AND query = $1`,
      [`LISTEN "${listener.channel}"`],
    );
    expect(rowCount).toBe(1);
    await until(() => heard.includes('reconnected'));
    expect(heard).toEqual(['jobs', 'jobs', 'reconnected']);
    expect(errors.length).toBeGreaterThan(0);

    await t.db.transaction((tx) =>
      producer.enqueueDeliveries(tx, [{ deliveryId: 'msg_l2', endpointId: 'ep_l' }]),
    );
    await until(() => heard.length >= 4);
    expect(heard).toEqual(['jobs', 'jobs', 'reconnected', 'jobs']);
  } finally {
    await listener?.close();
    await admin.end();
  }
});
