/**
 * The fast claim of a batch of one (the common case when leads trickle in) takes scalars:
 * PostgreSQL then plans it once per connection, where its array parameters got a custom plan at
 * every execution (~0.3-0.5 ms of planning each).
 */
import { admissionSql } from '../src/store/admission.js';
import type { Db } from '../src/db/types.js';
import { createTestDb, type TestDb } from './helpers/db.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
  await t.db.query(`INSERT INTO sellers (id, name) VALUES ('sel_p', 'P')`);
  await t.db.query(
    `INSERT INTO endpoints (id, seller_id, name, url, signing_secret)
     VALUES ('ep_p', 'sel_p', 'CRM', 'https://crm.example.com/leads', 'x')`,
  );
  await t.db.query(
    `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, lead_snapshot)
     SELECT 'msg_p' || g, 'sel_p', 'ep_p', 'lead_p' || g, 'new_lead', '{}'
     FROM generate_series(1, 20) g`,
  );
});
afterAll(() => t.drop());

async function plans(tx: Db, text: string) {
  const { rows } = await tx.query<{ generic_plans: string; custom_plans: string }>(
    'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1',
    [text],
  );
  return { generic: Number(rows[0].generic_plans), custom: Number(rows[0].custom_plans) };
}

const rollback = new Error('rollback');

test('a fast claim of one delivery is planned once; of several, it claims them all', async () => {
  if (t.kind !== 'postgres') return;
  await expect(
    t.db.transaction(async (tx) => {
      let text = '';
      for (let i = 1; i <= 10; i++) {
        const sql = admissionSql.fastClaim(
          [{ deliveryId: `msg_p${i}`, jobId: 'job', attempt: 0 }],
          true,
        );
        text = sql.text;
        const { rows } = await tx.query<{ id: string }>(sql.text, sql.values);
        expect(rows.map((row) => row.id)).toEqual([`msg_p${i}`]);
      }
      const single = await plans(tx, text);
      expect(single.generic).toBeGreaterThan(0);
      expect(single.custom).toBeLessThan(10);

      const several = admissionSql.fastClaim(
        [11, 12, 13].map((i) => ({ deliveryId: `msg_p${i}`, jobId: 'job', attempt: 0 })),
        true,
      );
      const { rows } = await tx.query<{ id: string }>(several.text, several.values);
      expect(rows.map((row) => row.id).sort()).toEqual(['msg_p11', 'msg_p12', 'msg_p13']);
      throw rollback;
    }),
  ).rejects.toBe(rollback);
});
