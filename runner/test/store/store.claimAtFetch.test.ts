/**
 * The claim at fetch (claimSql.claimAtFetch, through the queue's fetchJobsWith): pg-boss's fetch
 * and the fast claim in one statement. It claims what the fast claim would (the send conditions
 * themselves are run through it case by case in deliveryState.conditions.test.ts), only within
 * each endpoint's room and oldest job first, leaves probes and limited endpoints to the usual
 * way, and hands back every job it fetched.
 */
import { claimSql } from '../../src/store/deliveryState/claim.js';
import { claimAtFetch } from '../../src/store/deliveryState/index.js';
import type { Sql } from '../../src/db/types.js';
import type { DeliveryQueue } from '../../src/queue.js';
import { createTestDb, createTestQueue, type TestDb } from '../helpers/db.js';

let t: TestDb;
let queue: DeliveryQueue;
beforeAll(async () => {
  t = await createTestDb();
  queue = await createTestQueue(t);
  await t.db.query(`INSERT INTO sellers (id, name) VALUES ('sel_a', 'A')`);
  await t.db.query(
    `INSERT INTO endpoints (id, seller_id, name, url, signing_secret, max_concurrency)
     VALUES ('ep_a', 'sel_a', 'A', 'https://a.example.com/', 'x', NULL),
            ('ep_b', 'sel_a', 'B', 'https://b.example.com/', 'x', NULL),
            ('ep_c', 'sel_a', 'C', 'https://c.example.com/', 'x', NULL),
            ('ep_limited', 'sel_a', 'Limited', 'https://l.example.com/', 'x', 5)`,
  );
});
afterAll(async () => {
  await queue.stop({ graceful: false });
  await t.drop();
});

async function pendingDeliveries(ids: Array<[string, string]>): Promise<void> {
  for (const [id, endpointId] of ids) {
    await t.db.query(
      `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, lead_snapshot)
       VALUES ($1, 'sel_a', $2, 'lead_' || $1, 'new_lead', '{}')`,
      [id, endpointId],
    );
  }
}

async function statuses(): Promise<Record<string, string>> {
  const { rows } = await t.db.query<{ id: string; status: string }>(
    'SELECT id, status FROM deliveries ORDER BY id',
  );
  return Object.fromEntries(rows.map((row) => [row.id, row.status]));
}

test('claims what the fast claim would, within each endpoint’s room, oldest job first; every job comes back', async () => {
  await pendingDeliveries([
    ['msg_a1', 'ep_a'],
    ['msg_a2', 'ep_a'],
    ['msg_a3', 'ep_a'],
    ['msg_b1', 'ep_b'],
    ['msg_c1', 'ep_c'],
    ['msg_l1', 'ep_limited'],
  ]);
  await queue.enqueueDeliveries(t.db, [
    { deliveryId: 'msg_a1', endpointId: 'ep_a' },
    { deliveryId: 'msg_a2', endpointId: 'ep_a' },
    { deliveryId: 'msg_a3', endpointId: 'ep_a' },
    { deliveryId: 'msg_b1', endpointId: 'ep_b' },
    { deliveryId: 'msg_c1', endpointId: 'ep_c' },
    { deliveryId: 'msg_l1', endpointId: 'ep_limited' },
    { deliveryId: '', endpointId: 'ep_c', probe: true },
  ]);

  const fetched = await queue.fetchJobsWith(
    10,
    // ep_a has room for two, ep_b none (say, a backlog in the worker), the others a new lane's.
    claimAtFetch(
      {
        byEndpoint: new Map([
          ['ep_a', 2],
          ['ep_b', 0],
        ]),
        otherwise: 4,
      },
      true,
    ),
  );

  expect(fetched.map(({ job }) => job.data.deliveryId).sort()).toEqual(
    ['', 'msg_a1', 'msg_a2', 'msg_a3', 'msg_b1', 'msg_c1', 'msg_l1'].sort(),
  );
  const claimed = fetched.filter(({ alongside }) => alongside !== null);
  expect(claimed.map(({ alongside }) => alongside!.delivery.id).sort()).toEqual([
    'msg_a1',
    'msg_a2',
    'msg_c1',
  ]);
  for (const { job, alongside } of claimed) {
    expect(alongside!.delivery).toMatchObject({
      id: job.data.deliveryId,
      status: 'sending',
      attemptCount: 1,
      claimJobId: job.id,
      claimJobRun: job.retryCount,
      leadSnapshot: {},
      createdAt: expect.any(Date),
    });
    expect(alongside!.failures).toBe(0);
    expect(alongside!.endpointVersion).toEqual(expect.any(String));
  }
  expect(await statuses()).toEqual({
    msg_a1: 'sending',
    msg_a2: 'sending',
    msg_a3: 'pending',
    msg_b1: 'pending',
    msg_c1: 'sending',
    msg_l1: 'pending',
  });
});

test('the claim at fetch is planned once per connection (PostgreSQL)', async () => {
  if (t.kind !== 'postgres') return;
  let fetch: Sql | null = null;
  await queue.fetchJobsWith(1, {
    sql: (sql) => (fetch = sql),
    read: () => null,
  });
  const rollback = new Error('rollback');
  await expect(
    t.db.transaction(async (tx) => {
      const room = { byEndpoint: new Map([['ep_a', 1]]), otherwise: 4 };
      const { text, values } = claimSql.claimAtFetch(fetch!, room, true);
      for (let i = 0; i < 10; i++) await tx.query(text, values);
      const { rows } = await tx.query<{ generic_plans: string; custom_plans: string }>(
        'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1',
        [text],
      );
      expect(Number(rows[0].generic_plans)).toBeGreaterThan(0);
      expect(Number(rows[0].custom_plans)).toBeLessThan(10);
      throw rollback;
    }),
  ).rejects.toBe(rollback);
});
