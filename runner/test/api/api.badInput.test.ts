/**
 * R9 "bad input anywhere gets a clear 4xx naming the field, never a 500": input PostgreSQL cannot
 * store (NUL characters) and paths the router cannot decode, which the fault test found as 500s.
 */
import request from 'supertest';
import { createTestApp, expectErrorShape, type TestApp } from '../helpers/app.js';

let t: TestApp;
let seller: { id: string; apiKey: string };

beforeAll(async () => {
  t = await createTestApp();
  seller = await t.createSeller('Careful seller');
});
afterAll(() => t.close());

const NUL = 'must not contain a NUL character (U+0000)';

test('a NUL in a body string is a 400 naming its field, and nothing is written', async () => {
  const res = await t.provider.post('/v1/sellers', { name: 'Acme\u0000Corp' }).expect(400);
  expectErrorShape(res.body, 'validation_failed');
  expect(res.body.error.details).toEqual([{ path: 'name', message: NUL }]);
  const { rows } = await t.testDb.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM sellers WHERE name LIKE 'Acme%'",
  );
  expect(rows[0].n).toBe(0);
});

test('a NUL deep in a body or in a key is found (iteratively: deep nesting is fine)', async () => {
  const deep = `${'{"a":'.repeat(5000)}"x\\u0000"${'}'.repeat(5000)}`;
  const res = await t
    .as(seller.apiKey)
    .post('/v1/endpoints')
    .set('content-type', 'application/json')
    .send(deep)
    .expect(400);
  expect(res.body.error.details[0]).toEqual({
    path: Array(5000).fill('a').join('.'),
    message: NUL,
  });
  const key = await t
    .as(seller.apiKey)
    .post('/v1/endpoints', { name: 'x', url: 'https://a.example.com', 'k\u0000': 1 })
    .expect(400);
  expect(key.body.error.details).toEqual([{ path: 'k\u0000', message: NUL }]);
  const header = await t
    .as(seller.apiKey)
    .post('/v1/endpoints', {
      name: 'x',
      url: 'https://a.example.com',
      headers: [{ name: 'X-Key', value: 'a\u0000b' }],
    })
    .expect(400);
  expect(header.body.error.details).toEqual([{ path: 'headers.0.value', message: NUL }]);
});

test('%00 in an id or a query value is a 400 on params or query', async () => {
  const id = await t.as(seller.apiKey).get('/v1/endpoints/ep_%00').expect(400);
  expect(id.body.error.details).toEqual([{ path: 'params', message: NUL }]);
  const query = await t.as(seller.apiKey).get('/v1/endpoints/ep_x/history?cursor=%00').expect(400);
  expect(query.body.error.details).toEqual([{ path: 'query', message: NUL }]);
});

test.each(['%E0%A4%A', '%C0%AF', '%ED%A0%80', '%'])(
  'an id that is not percent-encoded UTF-8 (%s) is a 400, not a 500',
  async (id) => {
    const res = await request(t.app)
      .get(`/v1/endpoints/${id}/history`)
      .set('authorization', `Bearer ${seller.apiKey}`)
      .expect(400);
    expectErrorShape(res.body, 'invalid_path');
    expect(res.body.error.details).toEqual([
      { path: 'params', message: expect.stringContaining('Failed to decode param') },
    ]);
  },
);
