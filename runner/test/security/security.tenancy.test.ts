/**
 * R9 tenancy, as a matrix over the app's own route table (apiRoutes), so a route added later is
 * covered without editing this file (a new public route, a new kind of `:id` or a route with a
 * required body makes it fail until it is added here on purpose):
 * - no key or a wrong key → 401 on every non-public route;
 * - a seller key on a provider route → 403; the provider key on a seller route → 403 (a valid key
 *   of the wrong kind, the same rule both ways);
 * - seller B → 404 on every seller route naming seller A's endpoint or delivery, and nothing of
 *   A's changes; seller A, asking the same, is answered (the ids were right);
 * - seller B's lists never show A's ids.
 */
import request from 'supertest';
import { apiRoutes } from '../../src/api/app.js';
import type { AnyRoute } from '../../src/api/route.js';
import { createTestApp, expectErrorShape, PROVIDER_KEY, type TestApp } from '../helpers/app.js';

let t: TestApp;
let sellerA: { id: string; apiKey: string };
let sellerB: { id: string; apiKey: string };
let orderA: string;
let endpointA: string;
let deliveryA: string;

const routes = apiRoutes();
const key = (route: AnyRoute) => `${route.method.toUpperCase()} ${route.path}`;
const publicRoutes = routes.filter((r) => r.auth === 'none');
const privateRoutes = routes.filter((r) => r.auth !== 'none');
const sellerRoutes = routes.filter((r) => r.auth === 'seller');
const sellerIdRoutes = sellerRoutes.filter((r) => r.path.includes(':id'));
const sellerListRoutes = sellerRoutes.filter((r) => !r.path.includes(':id'));

/** Bodies that are valid for the owner, for routes whose body schema requires something. */
const SAMPLE_BODIES: Record<string, object> = {
  'POST /v1/endpoints': { name: 'B probe', url: 'https://b.example.com/in' },
  'PATCH /v1/endpoints/:id': { name: 'Taken over' },
  'POST /v1/sellers': { name: 'Nobody' },
  'POST /v1/lead-orders': { sellerId: 'sel_nobody', name: 'Nothing' },
  'POST /v1/leads': { leadOrderId: 'lo_nobody', lead: {} },
  'POST /v1/leads/:id/meeting': { requestedMeetingTime: null },
  'POST /v1/endpoints/:id/replay': { status: 'failed', from: '2020-01-01T00:00:00Z' },
  'POST /v1/endpoints/:id/backfill': { from: '2020-01-01T00:00:00Z' },
  'PATCH /v1/alerts': { url: null },
};

function bodyFor(route: AnyRoute): object | undefined {
  if (!route.body) return undefined;
  const sample = SAMPLE_BODIES[key(route)];
  if (sample) return sample;
  if (route.body.safeParse({}).success) return {};
  throw new Error(`${key(route)} needs a sample body in SAMPLE_BODIES of the tenancy matrix`);
}

/** The id of seller A's resource a route's `:id` names, by the path's resource segment. */
function idFor(route: AnyRoute): string {
  if (route.path.startsWith('/v1/endpoints/:id')) return endpointA;
  if (route.path.startsWith('/v1/deliveries/:id')) return deliveryA;
  throw new Error(`${key(route)}: add its resource kind to idFor() of the tenancy matrix`);
}

function send(route: AnyRoute, authorization: string | null, id = 'x_unknown') {
  const path = route.path.replace(':id', encodeURIComponent(id));
  let req = request(t.app)[route.method](path);
  if (authorization !== null) req = req.set('authorization', authorization);
  const body = bodyFor(route);
  return body ? req.send(body) : req;
}

/** Everything of seller A's, as text: a changed row changes it. */
async function snapshotOfA(): Promise<string> {
  const parts: string[] = [];
  for (const table of ['endpoints', 'deliveries', 'attempts', 'lead_orders']) {
    const { rows } = await t.testDb.db.query<{ row: string }>(
      `SELECT t::text AS row FROM ${table} t WHERE seller_id = $1 ORDER BY id`,
      [sellerA.id],
    );
    parts.push(`${table}: ${rows.map((r) => r.row).join('\n')}`);
  }
  return parts.join('\n');
}

beforeAll(async () => {
  t = await createTestApp();
  sellerA = await t.createSeller('Seller A');
  sellerB = await t.createSeller('Seller B');
  orderA = await t.createLeadOrder(sellerA.id, 'A orders');
  const endpoint = await t
    .as(sellerA.apiKey)
    .post('/v1/endpoints', { name: 'A CRM', url: 'https://a.example.com/in' })
    .expect(201);
  endpointA = endpoint.body.id;
  const intake = await t.provider
    .post('/v1/leads', { leadOrderId: orderA, lead: { email: 'a@example.com' } })
    .expect(202);
  deliveryA = intake.body.deliveries[0].id;
  // Failed, so that resending it would work for A: B's 404 is tenancy, not state.
  await t.testDb.db.query("UPDATE deliveries SET status = 'failed' WHERE id = $1", [deliveryA]);
});
afterAll(() => t.close());

test('the public routes are exactly the operational ones', () => {
  expect(publicRoutes.map(key).sort()).toEqual([
    'GET /healthz',
    'GET /metrics',
    'GET /v1/openapi.json',
  ]);
  expect(sellerIdRoutes.length).toBeGreaterThanOrEqual(7);
});

describe.each(privateRoutes.map((route) => [key(route), route] as const))('%s', (_name, route) => {
  test.each([
    ['no Authorization header', null],
    ['an unknown key', 'Bearer ld_sk_not-a-real-key'],
    ['an empty bearer', 'Bearer '],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
  ])('%s → 401', async (_case, authorization) => {
    const res = await send(route, authorization);
    expect(res.status).toBe(401);
    expectErrorShape(res.body, 'unauthorized');
  });

  test('a key of the wrong kind → 403', async () => {
    const wrong = route.auth === 'seller' ? PROVIDER_KEY : sellerA.apiKey;
    const res = await send(route, `Bearer ${wrong}`);
    expect(res.status).toBe(403);
    expectErrorShape(res.body, 'forbidden');
  });
});

describe("seller B on seller A's resources", () => {
  let before: string;
  beforeAll(async () => {
    before = await snapshotOfA();
  });

  test.each(sellerIdRoutes.map((route) => [key(route), route] as const))(
    '%s → 404',
    async (_name, route) => {
      const res = await send(route, `Bearer ${sellerB.apiKey}`, idFor(route));
      expect(res.status).toBe(404);
      expectErrorShape(res.body, 'not_found');
      expect(JSON.stringify(res.body)).not.toContain(sellerA.id);
    },
  );

  test("nothing of seller A's changed", async () => {
    expect(await snapshotOfA()).toBe(before);
  });

  test.each(sellerListRoutes.map((route) => [key(route), route] as const))(
    "%s shows B none of A's ids",
    async (_name, route) => {
      const res = await send(route, `Bearer ${sellerB.apiKey}`);
      // Seller B has set no alert URL: the alert test and rotation say so (409), naming nothing
      // of A's either.
      const needsAlertUrl = route.path.startsWith('/v1/alerts/');
      expect(needsAlertUrl && res.status === 409 ? 200 : res.status).toBeLessThan(300);
      const text = JSON.stringify(res.body);
      for (const id of [sellerA.id, orderA, endpointA, deliveryA]) expect(text).not.toContain(id);
    },
  );

  test('seller A, asking the same, is answered (the matrix used the right ids)', async () => {
    // DELETE last: it removes the endpoint the other routes name.
    const ordered = [...sellerIdRoutes].sort(
      (a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'),
    );
    for (const route of ordered) {
      const res = await send(route, `Bearer ${sellerA.apiKey}`, idFor(route));
      expect([key(route), res.status < 300]).toEqual([key(route), true]);
    }
  });
});
