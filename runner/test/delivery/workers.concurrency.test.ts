/**
 * R8: many workers share one PostgreSQL. Two independent runners (each with its own pg-boss
 * instance, connection pool and worker loops) on one database and queue: every delivery is sent
 * exactly once in a clean run.
 */
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db';
import {
  eventually,
  readJson,
  startTestRunner,
  type SellerCreated,
  type TestRunner,
} from '../helpers/runner';

let testDb: TestDb;
let first: TestRunner;
let second: TestRunner;
let receiver: Receiver;

beforeAll(async () => {
  testDb = await createTestDb();
  first = await startTestRunner(testDb, {}, { workerBatchSize: 20 });
  second = await startTestRunner(testDb, {}, { workerBatchSize: 20 });
  receiver = await startReceiver('/hook');
});

afterAll(async () => {
  await receiver.close();
  await first.stop();
  await second.stop();
  await testDb.drop();
});

test('two workers on one queue send each of 300 deliveries once', async () => {
  const seller = await readJson<SellerCreated>(
    await first.provider('/v1/sellers', { name: 'Seller' }),
  );
  const order = await readJson<{ id: string }>(
    await first.provider('/v1/lead-orders', { sellerId: seller.id, name: 'LO' }),
  );
  for (const name of ['A', 'B', 'C']) {
    const response = await first.seller(seller.apiKey, 'POST', '/v1/endpoints', {
      name,
      url: receiver.url,
    });
    expect(response.status).toBe(201);
  }
  const expected: string[] = [];
  for (let i = 0; i < 100; i++) {
    const runner = i % 2 === 0 ? first : second;
    const response = await runner.provider('/v1/leads', {
      leadOrderId: order.id,
      lead: { firstName: `Lead${i}`, email: `lead${i}@example.com` },
    });
    expect(response.status).toBe(202);
    const body = await readJson<{ deliveries: Array<{ id: string }> }>(response);
    expected.push(...body.deliveries.map((d: { id: string }) => d.id));
  }
  expect(expected).toHaveLength(300);
  await receiver.waitFor(300, 60000);
  const { rows } = await eventually(async () => {
    const result = await testDb.db.query<{ status: string; count: number }>(
      `SELECT status, count(*)::int AS count FROM deliveries GROUP BY status`,
    );
    const succeeded = result.rows.find((row) => row.status === 'succeeded')?.count ?? 0;
    return succeeded === 300 ? result : undefined;
  });
  expect(rows).toEqual([{ status: 'succeeded', count: 300 }]);
  // Give any duplicate a moment to show up before counting.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const ids = receiver.requests.map((request) => String(request.headers['webhook-id']));
  expect(ids).toHaveLength(300);
  expect(new Set(ids)).toEqual(new Set(expected));
  const attempts = await testDb.db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM attempts`,
  );
  expect(attempts.rows[0].count).toBe(300);
});
