/**
 * The steps between a lead's job and its send commit without waiting for the WAL flush (the fast
 * claim, pg-boss's own pool); the attempt's record after the send stays durable.
 */
import { admissionSql } from '../src/store/admission.js';
import { createTestDb, createTestQueue, type TestDb } from './helpers/db.js';
import type { DeliveryQueue } from '../src/queue.js';

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
});
afterAll(async () => {
  await queue.stop({ graceful: false });
  await t.drop();
});

async function synchronousCommit(run: (sql: string) => Promise<{ rows: unknown[] }>) {
  const { rows } = await run('SHOW synchronous_commit');
  return (rows[0] as { synchronous_commit: string }).synchronous_commit;
}

test('the fast claim sets asynchronous commit for its own transaction only', async () => {
  await t.db.query(
    `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, lead_snapshot)
     VALUES ('msg_a', 'sel_a', 'ep_a', 'lead_a', 'new_lead', '{}')`,
  );
  const { text, values } = admissionSql.fastClaim(
    [{ deliveryId: 'msg_a', jobId: 'job_a', attempt: 0 }],
    true,
  );
  const rollback = new Error('rollback');
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
