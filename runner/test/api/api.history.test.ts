/** R6 history (keyset pagination) and R5 resend. */
import { newId } from '../../src/ids.js';
import { insertAttempts, type Attempt } from '../../src/store/attempts.js';
import { createTestApp, expectErrorShape, type TestApp } from '../helpers/app.js';
import { countJobs } from '../helpers/db.js';

let t: TestApp;
let seller: { id: string; apiKey: string };
let endpointId: string;
let otherEndpointId: string;
const inserted: Attempt[] = [];

const BASE = Date.parse('2026-03-01T12:00:00Z');

beforeAll(async () => {
  t = await createTestApp();
  seller = await t.createSeller('History Seller');
  const ep = await t
    .as(seller.apiKey)
    .post('/v1/endpoints', { name: 'H', url: 'https://h.example.com' })
    .expect(201);
  endpointId = ep.body.id;
  const other = await t
    .as(seller.apiKey)
    .post('/v1/endpoints', { name: 'O', url: 'https://o.example.com' })
    .expect(201);
  otherEndpointId = other.body.id;
  // 25 attempts; every third one shares its timestamp with the previous one (ties broken by id),
  // and every fourth one fails.
  for (let i = 0; i < 25; i += 1) {
    const attempt: Attempt = {
      id: newId('attempt'),
      deliveryId: `msg_${i}`,
      sellerId: seller.id,
      endpointId,
      leadId: `lead_${i}`,
      messageType: i % 5 === 0 ? 'lead_update' : 'new_lead',
      test: i === 7,
      attemptNumber: 1 + (i % 3),
      startedAt: new Date(BASE + (i - (i % 3 === 2 ? 1 : 0)) * 1000),
      durationMs: 100 + i,
      status: i % 4 === 0 ? 'failure' : 'success',
      httpStatus: i % 4 === 0 ? 503 : 200,
      error: i % 4 === 0 ? 'HTTP 503 Service Unavailable' : null,
      responseExcerpt: `response ${i}`,
      requestHeaders: { 'content-type': 'application/json', 'x-api-key': '••••1234' },
      payload: `{"n":${i}}`,
      contentType: 'application/json',
      payloadLength: null,
      cause: i % 4 === 0 ? 'http_5xx' : null,
      notice: i % 5 === 0 ? 'The response held 1 NUL character; it is shown as U+FFFD.' : null,
    };
    inserted.push(attempt);
  }
  await insertAttempts(t.testDb.db, [
    ...inserted,
    { ...inserted[0], id: newId('attempt'), endpointId: otherEndpointId },
  ]);
});
afterAll(() => t.close());

/** Newest first: started_at desc, then id desc. */
function expectedOrder(filter: (a: Attempt) => boolean = () => true): string[] {
  return inserted
    .filter(filter)
    .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.id < b.id ? 1 : -1))
    .map((a) => a.id);
}

async function allPages(query: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const suffix: string = cursor ? `${query ? '&' : ''}cursor=${encodeURIComponent(cursor)}` : '';
    const res = await t
      .as(seller.apiKey)
      .get(`/v1/endpoints/${endpointId}/history?${query}${suffix}`)
      .expect(200);
    ids.push(...res.body.items.map((item: { id: string }) => item.id));
    cursor = res.body.nextCursor;
    pages += 1;
  } while (cursor && pages < 50);
  return { ids, pages };
}

describe('GET /v1/endpoints/:id/history', () => {
  test('answers the R6 item shape, newest first, default limit 50', async () => {
    const res = await t.as(seller.apiKey).get(`/v1/endpoints/${endpointId}/history`).expect(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items.map((i: { id: string }) => i.id)).toEqual(expectedOrder());
    const newest = inserted.find((a) => a.id === res.body.items[0].id)!;
    expect(res.body.items[0]).toEqual({
      id: newest.id,
      deliveryId: newest.deliveryId,
      endpointId,
      leadId: newest.leadId,
      messageType: newest.messageType,
      test: newest.test,
      attempt: newest.attemptNumber,
      startedAt: newest.startedAt.toISOString(),
      durationMs: newest.durationMs,
      status: newest.status,
      httpStatus: newest.httpStatus,
      error: newest.error,
      responseExcerpt: newest.responseExcerpt,
      requestHeaders: newest.requestHeaders,
      payload: newest.payload,
      contentType: 'application/json',
      payloadTruncated: false,
      payloadLength: null,
      cause: newest.cause,
      troubleshooting: newest.status === 'failure' ? expect.any(Object) : null,
      deliveryStatus: null,
      resendable: false,
      notice: newest.notice,
    });
  });

  test('a failure carries advice chosen by its cause', async () => {
    const res = await t
      .as(seller.apiKey)
      .get(`/v1/endpoints/${endpointId}/history?status=failure&limit=1`)
      .expect(200);
    expect(res.body.items[0].troubleshooting).toEqual({
      issue: 'http_error',
      title: 'HTTP error codes',
      solution: expect.stringContaining('notification history'),
    });
  });

  test('filters by messageType, test, lead id and time range, paging within them', async () => {
    const updates = await allPages('messageType=lead_update&limit=2');
    expect(updates.ids).toEqual(expectedOrder((a) => a.messageType === 'lead_update'));
    const tests = await allPages('test=true');
    expect(tests.ids).toEqual(expectedOrder((a) => a.test));
    const real = await allPages('test=false&limit=5');
    expect(real.ids).toEqual(expectedOrder((a) => !a.test));
    const from = new Date(BASE + 5000).toISOString();
    const to = new Date(BASE + 12000).toISOString();
    const range = await allPages(`from=${from}&to=${to}&status=failure&limit=1`);
    expect(range.ids).toEqual(
      expectedOrder(
        (a) =>
          a.status === 'failure' &&
          a.startedAt.getTime() >= BASE + 5000 &&
          a.startedAt.getTime() < BASE + 12000,
      ),
    );
    expect(range.ids.length).toBeGreaterThan(0);
  });

  test.each([
    ['test=yes', 'test'],
    ['messageType=other', 'messageType'],
    ['from=yesterday', 'from'],
    ['from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'from'],
    ['leadId=a%20b', 'leadId'],
  ])('filter %s → 400 naming %s', async (query, path) => {
    const res = await t
      .as(seller.apiKey)
      .get(`/v1/endpoints/${endpointId}/history?${query}`)
      .expect(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
  });

  test('pages with a cursor round trip: every attempt once, in order', async () => {
    const { ids, pages } = await allPages('limit=4');
    expect(ids).toEqual(expectedOrder());
    expect(pages).toBe(7);
  });

  test('filters by status, paging within the filter', async () => {
    const failures = await allPages('status=failure&limit=2');
    expect(failures.ids).toEqual(expectedOrder((a) => a.status === 'failure'));
    const successes = await allPages('status=success&limit=7');
    expect(successes.ids).toEqual(expectedOrder((a) => a.status === 'success'));
  });

  test('limit is honoured and capped', async () => {
    const res = await t
      .as(seller.apiKey)
      .get(`/v1/endpoints/${endpointId}/history?limit=3`)
      .expect(200);
    expect(res.body.items).toHaveLength(3);
    expect(res.body.nextCursor).toEqual(expect.any(String));
  });

  test.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=abc', 'limit'],
    ['status=pending', 'status'],
    ['cursor=not-a-cursor', 'cursor'],
    [`cursor=${Buffer.from('["2026-01-01T00:00:00Z","x"]').toString('base64url')}`, 'cursor'],
  ])('%s → 400 naming %s', async (query, path) => {
    const res = await t
      .as(seller.apiKey)
      .get(`/v1/endpoints/${endpointId}/history?${query}`)
      .expect(400);
    expectErrorShape(res.body, 'validation_failed');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([path]);
  });

  test("only the endpoint's own attempts", async () => {
    const res = await t
      .as(seller.apiKey)
      .get(`/v1/endpoints/${otherEndpointId}/history`)
      .expect(200);
    expect(res.body.items).toHaveLength(1);
  });

  test('the history query uses the keyset index on PostgreSQL', async () => {
    if (t.testDb.kind !== 'postgres') return;
    const { attemptSql } = await import('../../src/store/attempts.js');
    const sql = attemptSql.history({
      sellerId: seller.id,
      endpointId,
      status: 'failure',
      after: { startedAt: '2026-03-01T12:00:10.000000Z', id: 'att_Z' },
      limit: 51,
    });
    const { rows } = await t.testDb.db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      return tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql.text}`, sql.values);
    });
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index (Only )?Scan using attempts_history_status_idx/);
    expect(plan).not.toMatch(/Sort/);
    expect(plan).not.toMatch(/attempts_seller/);
  });

  test.each([
    [{}, 'attempts_seller_history_idx'],
    [{ status: 'failure' as const }, 'attempts_seller_failure_idx'],
    [{ test: true }, 'attempts_seller_test_idx'],
    [{ endpointId: 'ep_x', test: true }, 'attempts_endpoint_test_idx'],
    [{ messageType: 'lead_update' as const, from: new Date(BASE) }, 'attempts_seller_history_idx'],
  ])('the filtered query %j reads %s in order (no sort)', async (filters, index) => {
    if (t.testDb.kind !== 'postgres') return;
    const { attemptSql } = await import('../../src/store/attempts.js');
    const sql = attemptSql.history({
      sellerId: seller.id,
      ...filters,
      after: { startedAt: '2026-03-01T12:00:10.000000Z', id: 'att_Z' },
      limit: 51,
    });
    const { rows } = await t.testDb.db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      return tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql.text}`, sql.values);
    });
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(new RegExp(`Index (Only )?Scan using ${index}`));
    // The outer ORDER BY re-sorts at most one page: the inner scan itself must not sort.
    expect(plan).not.toMatch(/Sort/);
  });
});

describe('GET /v1/history (all webhooks)', () => {
  test("lists every webhook's attempts newest first, filters by lead id, and not another seller's", async () => {
    const leadOrder = await t.createLeadOrder(seller.id, 'Cross order');
    const res = await t.provider
      .post('/v1/leads', { leadOrderId: leadOrder, lead: { email: 'x@example.com' } })
      .expect(202);
    const deliveries = res.body.deliveries as Array<{ id: string; endpointId: string }>;
    const leadId = res.body.leadId as string;
    expect(deliveries.map((d) => d.endpointId).sort()).toEqual(
      [endpointId, otherEndpointId].sort(),
    );
    const rows: Attempt[] = deliveries.map((d, index) => ({
      ...inserted[1],
      id: newId('attempt'),
      deliveryId: d.id,
      endpointId: d.endpointId,
      leadId,
      startedAt: new Date(BASE + 100_000 + index * 1000),
    }));
    await insertAttempts(t.testDb.db, rows);
    const all = await t.as(seller.apiKey).get('/v1/history?limit=200').expect(200);
    const ids = all.body.items.map((item: { id: string }) => item.id);
    expect(ids.slice(0, 2)).toEqual([rows[1].id, rows[0].id]);
    expect(new Set(all.body.items.map((i: { endpointId: string }) => i.endpointId))).toEqual(
      new Set([endpointId, otherEndpointId]),
    );
    expect(ids).toHaveLength(inserted.length + 1 + rows.length);
    const byLead = await t.as(seller.apiKey).get(`/v1/history?leadId=${leadId}`).expect(200);
    expect(byLead.body.items.map((item: { id: string }) => item.id)).toEqual([
      rows[1].id,
      rows[0].id,
    ]);
    expect(byLead.body.items[0].deliveryStatus).toBe('pending');
    const oneEndpoint = await t
      .as(seller.apiKey)
      .get(`/v1/endpoints/${endpointId}/history?leadId=${leadId}`)
      .expect(200);
    expect(oneEndpoint.body.items.map((item: { endpointId: string }) => item.endpointId)).toEqual([
      endpointId,
    ]);
    const other = await t.createSeller('Other history seller');
    const theirs = await t.as(other.apiKey).get('/v1/history').expect(200);
    expect(theirs.body.items).toEqual([]);
  });
});

describe('POST /v1/deliveries/:id/resend', () => {
  let leadOrder: string;
  beforeAll(async () => {
    leadOrder = await t.createLeadOrder(seller.id, 'Resend order');
  });

  async function newDelivery(): Promise<string> {
    const res = await t.provider
      .post('/v1/leads', { leadOrderId: leadOrder, lead: { email: 'r@example.com' } })
      .expect(202);
    return res.body.deliveries.find((d: { endpointId: string }) => d.endpointId === endpointId).id;
  }

  test('a failed delivery goes back to pending with its schedule restarted, and a job in the same transaction', async () => {
    const id = await newDelivery();
    await t.testDb.db.query(
      "UPDATE deliveries SET status = 'failed', attempt_count = 6, last_error = 'HTTP 500', last_http_status = 500, next_attempt_at = NULL WHERE id = $1",
      [id],
    );
    const jobs = await countJobs(t.testDb);
    const res = await t.as(seller.apiKey).post(`/v1/deliveries/${id}/resend`).expect(202);
    expect(res.body).toEqual({ id, status: 'pending' });
    const { rows } = await t.testDb.db.query<Record<string, unknown>>(
      'SELECT * FROM deliveries WHERE id = $1',
      [id],
    );
    // Attempt numbers run on: the count stays, and the schedule restarts after it.
    expect(rows[0]).toMatchObject({
      status: 'pending',
      attempt_count: 6,
      attempts_before_resend: 6,
      last_error: null,
    });
    expect(rows[0].next_attempt_at).toBeInstanceOf(Date);
    expect(await countJobs(t.testDb)).toBe(jobs + 1);
  });

  test('a succeeded delivery can be resent too, keeping its id (its webhook-id)', async () => {
    const id = await newDelivery();
    await t.testDb.db.query(
      "UPDATE deliveries SET status = 'succeeded', attempt_count = 1 WHERE id = $1",
      [id],
    );
    const jobs = await countJobs(t.testDb);
    const res = await t.as(seller.apiKey).post(`/v1/deliveries/${id}/resend`).expect(202);
    expect(res.body).toEqual({ id, status: 'pending' });
    expect(await countJobs(t.testDb)).toBe(jobs + 1);
  });

  test('a succeeded lead_update that a newer update replaced → 409 replaced', async () => {
    const id = await newDelivery();
    const { rows } = await t.testDb.db.query<{ lead_id: string }>(
      "UPDATE deliveries SET status = 'succeeded', message_type = 'lead_update', created_at = now() - interval '1 hour' WHERE id = $1 RETURNING lead_id",
      [id],
    );
    await t.testDb.db.query(
      `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, status, lead_snapshot)
       VALUES ($1, $2, $3, $4, 'lead_update', 'succeeded', '{}')`,
      [newId('delivery'), seller.id, endpointId, rows[0].lead_id],
    );
    const res = await t.as(seller.apiKey).post(`/v1/deliveries/${id}/resend`).expect(409);
    expectErrorShape(res.body, 'replaced');
  });

  test.each(['pending', 'sending', 'cancelled'])('a %s delivery → 409', async (status) => {
    const id = await newDelivery();
    await t.testDb.db.query('UPDATE deliveries SET status = $2 WHERE id = $1', [id, status]);
    const jobs = await countJobs(t.testDb);
    const res = await t.as(seller.apiKey).post(`/v1/deliveries/${id}/resend`).expect(409);
    expectErrorShape(res.body, 'not_ended');
    expect(res.body.error.message).toContain(status);
    expect(await countJobs(t.testDb)).toBe(jobs);
  });

  test("another seller's delivery or an unknown id → 404", async () => {
    const id = await newDelivery();
    await t.testDb.db.query("UPDATE deliveries SET status = 'failed' WHERE id = $1", [id]);
    const other = await t.createSeller('Snooper');
    const res = await t.as(other.apiKey).post(`/v1/deliveries/${id}/resend`).expect(404);
    expectErrorShape(res.body, 'not_found');
    await t.as(seller.apiKey).post('/v1/deliveries/msg_unknown/resend').expect(404);
    const { rows } = await t.testDb.db.query<{ status: string }>(
      'SELECT status FROM deliveries WHERE id = $1',
      [id],
    );
    expect(rows[0].status).toBe('failed');
  });
});
