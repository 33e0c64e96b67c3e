/**
 * The fast claim, the worker's statement between a lead's job and its send:
 * - it commits without waiting for the WAL flush, as do pg-boss's own statements (the attempt's
 *   record after the send stays durable);
 * - for a batch of one (the common case when leads trickle in) it takes scalars, so PostgreSQL
 *   plans it once per connection, where its array parameters got a custom plan at every
 *   execution (~0.3-0.5 ms of planning each).
 */
import { claimSql } from '../../src/store/deliveryState/claim.js';
import type { Db } from '../../src/db/types.js';
import type { DeliveryQueue } from '../../src/queue.js';
import { createTestDb, createTestQueue, type TestDb } from '../helpers/db.js';

let t: TestDb;
let queue: DeliveryQueue;
beforeAll(async () => {
  t = await createTestDb();
  queue = await createTestQueue(t);
  await t.db.query(`INSERT INTO sellers (id, name) VALUES ('sel_a', 'A')`);
  await t.db.query(
    `INSERT INTO endpoints (id, seller_id, name, url, signing_secret)
     VALUES ('ep_a', 'sel_a', 'CRM', 'https://crm.example.com/leads', 'x')`,
  );
  await t.db.query(
    `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, lead_snapshot)
     SELECT 'msg_p' || g, 'sel_a', 'ep_a', 'lead_p' || g, 'new_lead', '{}'
     FROM generate_series(1, 20) g`,
  );
});
afterAll(async () => {
  await queue.stop({ graceful: false });
  await t.drop();
});

const rollback = new Error('rollback');

async function synchronousCommit(run: (sql: string) => Promise<{ rows: unknown[] }>) {
  const { rows } = await run('SHOW synchronous_commit');
  return (rows[0] as { synchronous_commit: string }).synchronous_commit;
}

test('the fast claim sets asynchronous commit for its own transaction only', async () => {
  await t.db.query(
    `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, lead_snapshot)
     VALUES ('msg_a', 'sel_a', 'ep_a', 'lead_a', 'new_lead', '{}')`,
  );
  const { text, values } = claimSql.fastClaim(
    [{ deliveryId: 'msg_a', jobId: 'job_a', jobRun: 0 }],
    true,
  );
  await expect(
    t.db.transaction(async (tx) => {
      // Inside a transaction to look at the setting before the commit (the worker runs it alone).
      const { rows } = await tx.query<{ id: string; status: string }>(text, values);
      expect(rows.map((row) => [row.id, row.status])).toEqual([['msg_a', 'sending']]);
      expect(await synchronousCommit((sql) => tx.query(sql))).toBe('off');
      throw rollback;
    }),
  ).rejects.toBe(rollback);

  const claimed = await t.db.query<{ id: string }>(text, values);
  expect(claimed.rows.map((row) => row.id)).toEqual(['msg_a']);
  // The setting was local: the pool's connections commit durably again.
  for (let i = 0; i < 5; i++) expect(await synchronousCommit((sql) => t.db.query(sql))).toBe('on');
});

test("pg-boss's own connections commit asynchronously (PostgreSQL)", async () => {
  if (t.kind !== 'postgres') return;
  const bossDb = queue.boss.getDb();
  expect(await synchronousCommit((sql) => bossDb.executeSql(sql))).toBe('off');
});

async function plans(tx: Db, text: string) {
  const { rows } = await tx.query<{ generic_plans: string; custom_plans: string }>(
    'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1',
    [text],
  );
  return { generic: Number(rows[0].generic_plans), custom: Number(rows[0].custom_plans) };
}

test('a fast claim of one delivery is planned once; of several, it claims them all', async () => {
  if (t.kind !== 'postgres') return;
  await expect(
    t.db.transaction(async (tx) => {
      let text = '';
      for (let i = 1; i <= 10; i++) {
        const sql = claimSql.fastClaim(
          [{ deliveryId: `msg_p${i}`, jobId: 'job', jobRun: 0 }],
          true,
        );
        text = sql.text;
        const { rows } = await tx.query<{ id: string }>(sql.text, sql.values);
        expect(rows.map((row) => row.id)).toEqual([`msg_p${i}`]);
      }
      const single = await plans(tx, text);
      expect(single.generic).toBeGreaterThan(0);
      expect(single.custom).toBeLessThan(10);

      const several = claimSql.fastClaim(
        [11, 12, 13].map((i) => ({ deliveryId: `msg_p${i}`, jobId: 'job', jobRun: 0 })),
        true,
      );
      const { rows } = await tx.query<{ id: string }>(several.text, several.values);
      expect(rows.map((row) => row.id).sort()).toEqual(['msg_p11', 'msg_p12', 'msg_p13']);
      throw rollback;
    }),
  ).rejects.toBe(rollback);
});
