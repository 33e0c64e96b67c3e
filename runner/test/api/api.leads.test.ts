/** Provider routes: sellers, lead orders, lead intake (R1, R4, R8) and meeting changes. */
import request from 'supertest';
import { LEAD_FIELD_KEYS } from '../../../core/catalogue.js';
import type { DeliveryQueue } from '../../src/queue.js';
import { createTestApp, expectErrorShape, PROVIDER_KEY, type TestApp } from '../helpers/app.js';
import { countJobs, jobData } from '../helpers/db.js';

let t: TestApp;
let seller: { id: string; apiKey: string };
let order: string;
/** Stands for `order` in test tables, which are built before beforeAll runs. */
const ORDER = '<order>';

beforeAll(async () => {
  t = await createTestApp();
  seller = await t.createSeller('Intake Seller');
  order = await t.createLeadOrder(seller.id, 'Background Checks — East Coast');
});
afterAll(() => t.close());

async function count(table: string, where = 'true', values: unknown[] = []): Promise<number> {
  const { rows } = await t.testDb.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
    values,
  );
  return rows[0].n;
}

describe('POST /v1/sellers and /v1/lead-orders (provider)', () => {
  test('creates a seller whose key works once shown, stored only as a hash', async () => {
    const res = await t.provider.post('/v1/sellers', { name: 'New Seller' }).expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^sel_/),
      name: 'New Seller',
      apiKey: expect.stringMatching(/^ld_sk_[A-Za-z0-9_-]{43}$/),
    });
    await t.as(res.body.apiKey).get('/v1/lead-orders').expect(200, { items: [] });
    expect(await count('api_keys', 'key_hash = $1', [res.body.apiKey])).toBe(0);
    expect(await count('api_keys', 'seller_id = $1', [res.body.id])).toBe(1);
  });

  test('a seller needs a name', async () => {
    const res = await t.provider.post('/v1/sellers', {}).expect(400);
    expect(res.body.error.details).toEqual([{ path: 'name', message: expect.any(String) }]);
  });

  test('creates a lead order for a seller; the seller lists only its own', async () => {
    const other = await t.createSeller('Other');
    const otherOrder = await t.createLeadOrder(other.id, 'Other order');
    const res = await t.as(seller.apiKey).get('/v1/lead-orders').expect(200);
    expect(res.body.items).toEqual([
      { id: order, name: 'Background Checks — East Coast', createdAt: expect.any(String) },
    ]);
    expect(res.body.items.map((o: { id: string }) => o.id)).not.toContain(otherOrder);
  });

  test('a lead order for an unknown seller is a 404 naming sellerId', async () => {
    const res = await t.provider
      .post('/v1/lead-orders', { sellerId: 'sel_nope', name: 'x' })
      .expect(404);
    expectErrorShape(res.body, 'not_found');
    expect(res.body.error.details[0].path).toBe('sellerId');
  });

  test('provider routes refuse a missing or wrong key', async () => {
    await request(t.app).post('/v1/sellers').send({ name: 'x' }).expect(401);
    await request(t.app)
      .post('/v1/leads')
      .set('Authorization', 'Bearer wrong-provider-key')
      .send({})
      .expect(401);
  });
});

describe('POST /v1/leads', () => {
  let endpointId: string;
  beforeAll(async () => {
    const res = await t
      .as(seller.apiKey)
      .post('/v1/endpoints', { name: 'All new leads', url: 'https://crm.example.com/in' })
      .expect(201);
    endpointId = res.body.id;
  });

  test('stores the lead, creates its deliveries and their jobs: 202 {leadId, deliveries}', async () => {
    const jobsBefore = await countJobs(t.testDb);
    const res = await t.provider
      .post('/v1/leads', {
        leadOrderId: order,
        lead: {
          firstName: 'Jane',
          lastName: 'Doe',
          email: 'jane@example.com',
          timeZone: 'America/New_York',
          requestedMeetingTime: '2026-04-22T15:45:00-04:00',
          postalCode: 2110,
        },
      })
      .expect(202);
    expect(res.body).toEqual({
      leadId: expect.stringMatching(/^lead_/),
      deliveries: [{ id: expect.stringMatching(/^msg_/), endpointId, messageType: 'new_lead' }],
    });
    const { rows } = await t.testDb.db.query<{ data: Record<string, string> }>(
      'SELECT data FROM leads WHERE id = $1',
      [res.body.leadId],
    );
    expect(rows[0].data).toMatchObject({
      leadId: res.body.leadId,
      leadOrderId: order,
      leadOrderName: 'Background Checks — East Coast',
      fullName: 'Jane Doe',
      postalCode: '2110',
      requestedMeetingTime: '2026-04-22T19:45:00+00:00',
      formattedRequestedMeetingTime: 'Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time',
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/),
    });
    const delivery = await t.testDb.db.query<Record<string, unknown>>(
      'SELECT * FROM deliveries WHERE id = $1',
      [res.body.deliveries[0].id],
    );
    expect(delivery.rows[0]).toMatchObject({
      seller_id: seller.id,
      endpoint_id: endpointId,
      lead_id: res.body.leadId,
      message_type: 'new_lead',
      status: 'pending',
      attempt_count: 0,
      test: false,
      lead_snapshot: rows[0].data,
    });
    expect(await countJobs(t.testDb)).toBe(jobsBefore + 1);
    expect(await jobData(t.testDb)).toContainEqual({
      deliveryId: res.body.deliveries[0].id,
      endpointId,
    });
  });

  test('keeps a given leadId and refuses it the second time with 409, writing nothing', async () => {
    const lead = { leadOrderId: order, lead: { leadId: 'tp-42', email: 'a@example.com' } };
    const first = await t.provider.post('/v1/leads', lead).expect(202);
    expect(first.body.leadId).toBe('tp-42');
    const jobs = await countJobs(t.testDb);
    const deliveries = await count('deliveries');
    const res = await t.provider
      .post('/v1/leads', { ...lead, lead: { ...lead.lead, email: 'b@example.com' } })
      .expect(409);
    expectErrorShape(res.body, 'lead_exists');
    expect(res.body.error.details[0].path).toBe('lead.leadId');
    expect(await countJobs(t.testDb)).toBe(jobs);
    expect(await count('deliveries')).toBe(deliveries);
    const { rows } = await t.testDb.db.query<{ data: { email: string } }>(
      "SELECT data FROM leads WHERE id = 'tp-42'",
    );
    expect(rows[0].data.email).toBe('a@example.com');
  });

  test.each([
    [
      { leadOrderId: ORDER, lead: { email: 'x', favouriteColour: 'blue' } },
      'lead.favouriteColour',
      400,
    ],
    [{ leadOrderId: ORDER, lead: { timeZone: 'Mars/Olympus_Mons' } }, 'lead.timeZone', 400],
    [
      { leadOrderId: ORDER, lead: { requestedMeetingTime: 'next tuesday' } },
      'lead.requestedMeetingTime',
      400,
    ],
    [
      { leadOrderId: ORDER, lead: { requestedMeetingTime: '2026-04-22T15:45:00' } },
      'lead.requestedMeetingTime',
      400,
    ],
    [{ leadOrderId: ORDER, lead: { createdAt: 'yesterday' } }, 'lead.createdAt', 400],
    [{ leadOrderId: ORDER, lead: { leadId: 'has spaces' } }, 'lead.leadId', 400],
    [{ leadOrderId: ORDER, lead: { leadOrderId: 'lo_other' } }, 'lead.leadOrderId', 400],
    [{ leadOrderId: ORDER, lead: { email: { nested: true } } }, 'lead.email', 400],
    [{ leadOrderId: order }, 'lead', 400],
    [{ lead: {} }, 'leadOrderId', 400],
    [{ leadOrderId: ORDER, lead: {}, extra: 1 }, 'extra', 400],
    [{ leadOrderId: 'lo_missing', lead: {} }, 'leadOrderId', 404],
  ])('refuses %j naming %s', async (template, path, status) => {
    const body = JSON.parse(JSON.stringify(template).replaceAll(ORDER, order));
    const jobs = await countJobs(t.testDb);
    const leads = await count('leads');
    const res = await t.provider.post('/v1/leads', body).expect(status);
    expectErrorShape(res.body);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await countJobs(t.testDb)).toBe(jobs);
    expect(await count('leads')).toBe(leads);
  });

  test('a lead order removed behind the runner (after intake knew it) is a 404, writing nothing', async () => {
    const doomed = await t.createLeadOrder(seller.id, 'Removed by hand');
    await t.provider.post('/v1/leads', { leadOrderId: doomed, lead: { email: 'a@example.com' } });
    await t.testDb.db.query('DELETE FROM lead_orders WHERE id = $1', [doomed]);
    const jobs = await countJobs(t.testDb);
    const leads = await count('leads');
    for (let i = 0; i < 2; i++) {
      const res = await t.provider
        .post('/v1/leads', { leadOrderId: doomed, lead: { email: 'b@example.com' } })
        .expect(404);
      expectErrorShape(res.body, 'not_found');
      expect(res.body.error.details[0].path).toBe('leadOrderId');
    }
    expect(await countJobs(t.testDb)).toBe(jobs);
    expect(await count('leads')).toBe(leads);
  });

  test('unknown lead keys are each named', async () => {
    const res = await t.provider
      .post('/v1/leads', { leadOrderId: order, lead: { foo: '1', bar: '2', email: 'x' } })
      .expect(400);
    expect(res.body.error.details).toEqual([
      { path: 'lead.foo', message: expect.stringContaining('not a lead field') },
      { path: 'lead.bar', message: expect.stringContaining('not a lead field') },
    ]);
  });

  test('every R1 key is accepted', async () => {
    const lead = Object.fromEntries(LEAD_FIELD_KEYS.map((key) => [key, null]));
    await t.provider.post('/v1/leads', { leadOrderId: order, lead }).expect(202);
  });
});

describe('intake with more endpoints than the last lead had', () => {
  test('every eligible endpoint gets one delivery and one job, in creation order, as the count changes', async () => {
    const many = await t.createSeller('Many Endpoints');
    const manyOrder = await t.createLeadOrder(many.id, 'Wide');
    const endpointIds: string[] = [];
    const addEndpoints = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const res = await t
          .as(many.apiKey)
          .post('/v1/endpoints', {
            name: `E${endpointIds.length}`,
            url: 'https://crm.example.com/in',
          })
          .expect(201);
        endpointIds.push(res.body.id);
      }
    };
    const postLead = async () => {
      const jobs = await countJobs(t.testDb);
      const res = await t.provider
        .post('/v1/leads', { leadOrderId: manyOrder, lead: { email: 'w@example.com' } })
        .expect(202);
      expect(res.body.deliveries.map((d: { endpointId: string }) => d.endpointId)).toEqual(
        endpointIds,
      );
      expect(await count('deliveries', 'lead_id = $1', [res.body.leadId])).toBe(endpointIds.length);
      expect(await countJobs(t.testDb)).toBe(jobs + endpointIds.length);
    };
    await postLead(); // no endpoint yet
    await addEndpoints(7);
    await postLead(); // more than the last lead made
    await postLead(); // as many
    await addEndpoints(2);
    await postLead();
  });
});

describe('intake atomicity', () => {
  test('a failure after the jobs were inserted leaves no lead, no delivery and no job', async () => {
    // A queue that really inserts the jobs (in the transaction), then fails.
    const failing: Pick<DeliveryQueue, 'enqueueDeliveries' | 'depth'> = {
      enqueueDeliveries: async (tx, jobs) => {
        await t.queue.enqueueDeliveries(tx, jobs);
        throw new Error('simulated failure after enqueue');
      },
      depth: () => t.queue.depth(),
    };
    const { createApp } = await import('../../src/api/app.js');
    const pino = (await import('pino')).default;
    const app = createApp({
      db: t.testDb.db,
      queue: failing,
      config: t.config,
      logger: pino({ level: 'silent' }),
      delivery: t.delivery,
    });
    const jobs = await countJobs(t.testDb);
    const deliveries = await count('deliveries');
    const res = await request(app)
      .post('/v1/leads')
      .set('Authorization', `Bearer ${PROVIDER_KEY}`)
      .send({ leadOrderId: order, lead: { leadId: 'atomic-1', email: 'x@example.com' } })
      .expect(500);
    expectErrorShape(res.body, 'internal_error');
    expect(res.body.error.message).not.toContain('simulated');
    expect(await count('leads', "id = 'atomic-1'")).toBe(0);
    expect(await count('deliveries')).toBe(deliveries);
    expect(await countJobs(t.testDb)).toBe(jobs);
    // and the same lead goes through afterwards
    await t.provider
      .post('/v1/leads', { leadOrderId: order, lead: { leadId: 'atomic-1' } })
      .expect(202);
  });
});

describe('R4 eligibility matrix', () => {
  // 3 types × meeting field mapped or not × lead order match or not (+ empty = all orders)
  const TYPES = ['new_leads', 'lead_updates', 'both'] as const;
  const MEETING = [
    ['none', [{ field: 'email', output: 'email' }]],
    [
      'requestedMeetingTime',
      [
        { field: 'email', output: 'email' },
        { field: 'requestedMeetingTime', output: 'meeting' },
      ],
    ],
    ['formattedRequestedMeetingTime', [{ field: 'formattedRequestedMeetingTime', output: 'when' }]],
  ] as const;
  const ORDERS = ['match', 'other', 'all'] as const;

  let matrixSeller: { id: string; apiKey: string };
  let matrixOrder: string;
  let otherOrder: string;
  const endpoints: Array<{ id: string; type: string; meeting: string; orders: string }> = [];

  beforeAll(async () => {
    matrixSeller = await t.createSeller('Matrix');
    matrixOrder = await t.createLeadOrder(matrixSeller.id, 'M1');
    otherOrder = await t.createLeadOrder(matrixSeller.id, 'M2');
    for (const type of TYPES) {
      for (const [meeting, fieldMappings] of MEETING) {
        for (const orders of ORDERS) {
          const res = await t
            .as(matrixSeller.apiKey)
            .post('/v1/endpoints', {
              name: `${type}/${meeting}/${orders}`,
              url: 'https://hooks.example.com/x',
              type,
              fieldMappings,
              leadOrderIds:
                orders === 'match' ? [matrixOrder] : orders === 'other' ? [otherOrder] : [],
            })
            .expect(201);
          endpoints.push({ id: res.body.id, type, meeting, orders });
        }
      }
    }
    // A disabled endpoint still gets its deliveries (held), and another seller's never does.
    const disabled = await t
      .as(matrixSeller.apiKey)
      .post('/v1/endpoints', {
        name: 'disabled both',
        url: 'https://hooks.example.com/d',
        type: 'both',
        enabled: false,
        fieldMappings: [{ field: 'requestedMeetingTime', output: 'm' }],
      })
      .expect(201);
    endpoints.push({
      id: disabled.body.id,
      type: 'both',
      meeting: 'requestedMeetingTime',
      orders: 'all',
    });
    await t
      .as(seller.apiKey)
      .post('/v1/endpoints', { name: 'foreign', url: 'https://hooks.example.com/f', type: 'both' })
      .expect(201);
  });

  const ordered = (ids: string[]) => [...ids].sort();
  const matchesOrder = (e: { orders: string }) => e.orders !== 'other';

  test('new_lead goes to exactly the new_leads|both endpoints of the lead order', async () => {
    const res = await t.provider
      .post('/v1/leads', { leadOrderId: matrixOrder, lead: { leadId: 'matrix-1' } })
      .expect(202);
    const expected = endpoints
      .filter((e) => e.type !== 'lead_updates' && matchesOrder(e))
      .map((e) => e.id);
    expect(ordered(res.body.deliveries.map((d: { endpointId: string }) => d.endpointId))).toEqual(
      ordered(expected),
    );
    expect(
      res.body.deliveries.every((d: { messageType: string }) => d.messageType === 'new_lead'),
    ).toBe(true);
  });

  test('lead_update goes to exactly the lead_updates|both endpoints with a meeting field mapped', async () => {
    const jobs = await countJobs(t.testDb);
    const res = await t.provider
      .post('/v1/leads/matrix-1/meeting', { requestedMeetingTime: '2026-05-01T09:30:00Z' })
      .expect(202);
    const expected = endpoints
      .filter((e) => e.type !== 'new_leads' && e.meeting !== 'none' && matchesOrder(e))
      .map((e) => e.id);
    expect(expected.length).toBe(9);
    expect(ordered(res.body.deliveries.map((d: { endpointId: string }) => d.endpointId))).toEqual(
      ordered(expected),
    );
    expect(res.body).toMatchObject({ leadId: 'matrix-1' });
    expect(
      res.body.deliveries.every((d: { messageType: string }) => d.messageType === 'lead_update'),
    ).toBe(true);
    expect(await countJobs(t.testDb)).toBe(jobs + expected.length);
  });

  test('the update carries the full current lead with the new meeting time', async () => {
    const { rows } = await t.testDb.db.query<{ lead_snapshot: Record<string, string> }>(
      "SELECT lead_snapshot FROM deliveries WHERE lead_id = 'matrix-1' AND message_type = 'lead_update' LIMIT 1",
    );
    expect(rows[0].lead_snapshot).toMatchObject({
      leadId: 'matrix-1',
      leadOrderName: 'M1',
      requestedMeetingTime: '2026-05-01T09:30:00+00:00',
      formattedRequestedMeetingTime: 'Friday, May 1, 2026 at 9:30 AM Coordinated Universal Time',
    });
    const lead = await t.testDb.db.query<{ data: Record<string, string> }>(
      "SELECT data FROM leads WHERE id = 'matrix-1'",
    );
    expect(lead.rows[0].data.requestedMeetingTime).toBe('2026-05-01T09:30:00+00:00');
  });

  test('the same meeting time again is no change: 202 with no deliveries', async () => {
    const res = await t.provider
      .post('/v1/leads/matrix-1/meeting', { requestedMeetingTime: '2026-05-01T11:30:00+02:00' })
      .expect(202);
    expect(res.body).toEqual({ leadId: 'matrix-1', deliveries: [] });
  });

  test('a withdrawn meeting (null) is a change too', async () => {
    const res = await t.provider
      .post('/v1/leads/matrix-1/meeting', { requestedMeetingTime: null })
      .expect(202);
    expect(res.body.deliveries.length).toBe(9);
    const lead = await t.testDb.db.query<{ data: Record<string, string | null> }>(
      "SELECT data FROM leads WHERE id = 'matrix-1'",
    );
    expect(lead.rows[0].data).toMatchObject({
      requestedMeetingTime: null,
      formattedRequestedMeetingTime: null,
    });
  });

  test('a lead of the other order reaches the other-order and all-orders endpoints', async () => {
    const res = await t.provider
      .post('/v1/leads', { leadOrderId: otherOrder, lead: {} })
      .expect(202);
    const expected = endpoints
      .filter((e) => e.type !== 'lead_updates' && e.orders !== 'match')
      .map((e) => e.id);
    expect(ordered(res.body.deliveries.map((d: { endpointId: string }) => d.endpointId))).toEqual(
      ordered(expected),
    );
  });
});

describe('POST /v1/leads/:id/meeting errors', () => {
  test('unknown lead → 404', async () => {
    const res = await t.provider
      .post('/v1/leads/lead_nope/meeting', { requestedMeetingTime: null })
      .expect(404);
    expectErrorShape(res.body, 'not_found');
  });

  test.each([
    [{}, 'requestedMeetingTime'],
    [{ requestedMeetingTime: 'soon' }, 'requestedMeetingTime'],
    [{ requestedMeetingTime: 12 }, 'requestedMeetingTime'],
    [{ requestedMeetingTime: null, other: 1 }, 'other'],
  ])('%j → 400 naming %s', async (body, path) => {
    const res = await t.provider.post('/v1/leads/matrix-1/meeting', body).expect(400);
    expectErrorShape(res.body, 'validation_failed');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });
});
