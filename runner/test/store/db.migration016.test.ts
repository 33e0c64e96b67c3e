/**
 * Migration 016 renames the endpoint's pacing row (was endpoint_flow) and the two "attempt"
 * columns that meant something else: a database from before it keeps its rows under the new names.
 */
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

let t: TestDb;

beforeAll(async () => {
  t = await createTestDb({ migrate: false });
  await migrate(
    t.db,
    loadMigrations().filter((m) => m.version < 16),
  );
  await t.db.query(`INSERT INTO sellers (id, name) VALUES ('sel', 'Seller')`);
  await t.db.query(
    `INSERT INTO endpoints (id, seller_id, name, url, signing_secret)
     VALUES ('ep', 'sel', 'CRM', 'https://crm.example.com/leads', 'x')`,
  );
  await t.db.query(
    `INSERT INTO endpoint_flow (endpoint_id, circuit_state, consecutive_failures)
     VALUES ('ep', 'open', 5)`,
  );
  await t.db.query(
    `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, status,
       attempt_count, claim_job_id, claim_attempt, lead_snapshot)
     VALUES ('msg', 'sel', 'ep', 'lead', 'new_lead', 'sending', 2, 'job', 3, '{}')`,
  );
  await t.db.query(
    `INSERT INTO attempts (id, delivery_id, seller_id, endpoint_id, lead_id, message_type,
       attempt, started_at, duration_ms, status)
     VALUES ('att', 'msg', 'sel', 'ep', 'lead', 'new_lead', 2, now(), 10, 'failure')`,
  );
  expect(await migrate(t.db)).toContain(16);
});

afterAll(() => t.drop());

test('the pacing row keeps its state under endpoint_pacing', async () => {
  const { rows } = await t.db.query(
    'SELECT endpoint_id, circuit_state, consecutive_failures FROM endpoint_pacing',
  );
  expect(rows).toEqual([{ endpoint_id: 'ep', circuit_state: 'open', consecutive_failures: 5 }]);
  const tables = await t.db.query(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_name IN ('endpoint_flow', 'endpoint_pacing')`,
  );
  expect(tables.rows.map((r) => r.table_name)).toEqual(['endpoint_pacing']);
});

test("the pacing table's constraints carry its name and still hold", async () => {
  const { rows } = await t.db.query<{ conname: string }>(
    `SELECT conname FROM pg_constraint
     WHERE conrelid = 'endpoint_pacing'::regclass ORDER BY conname`,
  );
  expect(rows.map((r) => r.conname)).toEqual([
    'endpoint_pacing_circuit_state_check',
    'endpoint_pacing_endpoint_id_fkey',
    'endpoint_pacing_pkey',
  ]);
  await expect(t.db.query(`UPDATE endpoint_pacing SET circuit_state = 'ajar'`)).rejects.toThrow(
    /endpoint_pacing_circuit_state_check/,
  );
  await expect(
    t.db.query(`INSERT INTO endpoint_pacing (endpoint_id) VALUES ('ep_missing')`),
  ).rejects.toThrow(/endpoint_pacing_endpoint_id_fkey/);
});

test('the claim keeps its job run, and the attempt its number', async () => {
  const delivery = await t.db.query('SELECT claim_job_id, claim_job_run FROM deliveries');
  expect(delivery.rows).toEqual([{ claim_job_id: 'job', claim_job_run: 3 }]);
  const attempt = await t.db.query('SELECT attempt_number FROM attempts');
  expect(attempt.rows).toEqual([{ attempt_number: 2 }]);
});
