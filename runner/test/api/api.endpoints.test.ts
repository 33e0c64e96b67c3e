/** R2/R8/R9 endpoint routes: create, list, get, patch, delete, send test; auth and tenancy. */
import request from 'supertest';
import { STANDARD_MAPPINGS } from '../../../core/mapping.js';
import { getEndpoint } from '../../src/store/endpoints.js';
import { createSecretBox } from '../../src/store/secretBox.js';
import { createTestApp, expectErrorShape, PROVIDER_KEY, type TestApp } from '../helpers/app.js';
import { countJobs } from '../helpers/db.js';

let t: TestApp;
let sellerA: { id: string; apiKey: string };
let sellerB: { id: string; apiKey: string };
let orderA: string;
let orderB: string;

const validEndpoint = (overrides: object = {}) => ({
  name: 'CRM',
  url: 'https://crm.example.com/hooks/leads',
  ...overrides,
});

beforeAll(async () => {
  t = await createTestApp();
  sellerA = await t.createSeller('Seller A');
  sellerB = await t.createSeller('Seller B');
  orderA = await t.createLeadOrder(sellerA.id, 'A order');
  orderB = await t.createLeadOrder(sellerB.id, 'B order');
});
afterAll(() => t.close());

describe('POST /v1/endpoints', () => {
  test('creates with R2 defaults and returns the signing secret once', async () => {
    const res = await t.as(sellerA.apiKey).post('/v1/endpoints', validEndpoint()).expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^ep_[0-9A-HJKMNP-TV-Z]{26}$/),
      name: 'CRM',
      url: 'https://crm.example.com/hooks/leads',
      format: 'json',
      headers: [],
      hubspot: null,
      constants: [],
      leadOrderIds: [],
      fieldMappings: STANDARD_MAPPINGS.map((m) => ({ ...m })),
      type: 'new_leads',
      enabled: true,
      timeoutMs: 10000,
      maxConcurrency: null,
      rateLimitPerSecond: null,
      circuit: {
        state: 'closed',
        cause: null,
        lastError: null,
        openedAt: null,
        consecutiveFailures: 0,
        nextProbeAt: null,
      },
      signingSecret: expect.stringMatching(/^whsec_/),
      signingSecretPrefix: `${res.body.signingSecret.slice(0, 10)}…`,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      lastDelivery: null,
      warnings: [],
    });
    const got = await t.as(sellerA.apiKey).get(`/v1/endpoints/${res.body.id}`).expect(200);
    expect(got.body.signingSecret).toBeUndefined();
    expect(got.body.signingSecretPrefix).toBe(res.body.signingSecretPrefix);
  });

  test('keeps every setting given, and a given mapping list as it is', async () => {
    const body = {
      name: 'Nested',
      url: 'http://hooks.example.org/in?x=1',
      format: 'xml',
      headers: [{ name: 'X-Api-Key', value: 'supersecretvalue-1234' }],
      constants: [{ key: 'source', value: 'top-provider' }],
      leadOrderIds: [orderA],
      fieldMappings: [{ field: 'email', output: 'contact_email' }],
      type: 'both',
      enabled: false,
      timeoutMs: 5000,
    };
    const res = await t.as(sellerA.apiKey).post('/v1/endpoints', body).expect(201);
    expect(res.body).toMatchObject({
      ...body,
      headers: [{ name: 'X-Api-Key', value: '••••1234' }],
    });
  });

  test.each(['both', 'lead_updates'])(
    'an endpoint of type %s without a meeting mapping is saved with a warning',
    async (type) => {
      const res = await t
        .as(sellerA.apiKey)
        .post('/v1/endpoints', validEndpoint({ type }))
        .expect(201);
      expect(res.body.warnings).toEqual([
        {
          path: 'fieldMappings',
          message: expect.stringMatching(/maps no meeting field .* so it will receive none/),
        },
      ]);
      // Mapping the meeting time clears it; a new-leads endpoint never needs one.
      const fixed = await t
        .as(sellerA.apiKey)
        .patch(`/v1/endpoints/${res.body.id}`, {
          fieldMappings: [{ field: 'requestedMeetingTime', output: 'meeting' }],
        })
        .expect(200);
      expect(fixed.body.warnings).toEqual([]);
      const newLeads = await t
        .as(sellerA.apiKey)
        .patch(`/v1/endpoints/${res.body.id}`, {
          type: 'new_leads',
          fieldMappings: [{ field: 'email', output: 'email' }],
        })
        .expect(200);
      expect(newLeads.body.warnings).toEqual([]);
      const again = await t
        .as(sellerA.apiKey)
        .patch(`/v1/endpoints/${res.body.id}`, { type })
        .expect(200);
      expect(again.body.warnings).toHaveLength(1);
    },
  );

  test('header values are redacted in responses and encrypted at rest', async () => {
    const res = await t
      .as(sellerA.apiKey)
      .post(
        '/v1/endpoints',
        validEndpoint({
          headers: [
            { name: 'Authorization', value: 'Bearer abcdefghijklmnop' },
            { name: 'X-Short', value: 'short' },
          ],
        }),
      )
      .expect(201);
    expect(res.body.headers).toEqual([
      { name: 'Authorization', value: '••••mnop' },
      { name: 'X-Short', value: '••••' },
    ]);
    const { rows } = await t.testDb.db.query<{
      headers: Array<{ value: string }>;
      signing_secret: string;
    }>('SELECT headers, signing_secret FROM endpoints WHERE id = $1', [res.body.id]);
    expect(JSON.stringify(rows[0])).not.toContain('abcdefghijklmnop');
    expect(rows[0].signing_secret).toMatch(/^enc:v1:/);
    expect(rows[0].signing_secret).not.toContain(res.body.signingSecret);
  });

  test.each([
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ url: 'ftp://example.com/x' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: '/relative/path' }, 'url'],
    [{ format: 'yaml' }, 'format'],
    [{ type: 'everything' }, 'type'],
    [{ timeoutMs: 999 }, 'timeoutMs'],
    [{ timeoutMs: 30001 }, 'timeoutMs'],
    [{ timeoutMs: 1500.5 }, 'timeoutMs'],
    [{ enabled: 'yes' }, 'enabled'],
    [{ headers: [{ name: 'Host', value: 'evil.example' }] }, 'headers.0.name'],
    [
      {
        headers: [
          { name: 'X-Ok', value: 'a' },
          { name: 'Bad Name', value: 'b' },
        ],
      },
      'headers.1.name',
    ],
    [{ headers: [{ name: 'X-Inject', value: 'a\r\nX-Evil: 1' }] }, 'headers.0.value'],
    [{ headers: [{ name: 'X-Ok' }] }, 'headers.0.value'],
    [
      {
        fieldMappings: [
          { field: 'email', output: 'a' },
          { field: 'nope', output: 'b' },
        ],
      },
      'fieldMappings.1.field',
    ],
    [
      {
        fieldMappings: [
          { field: 'email', output: 'contact' },
          { field: 'phone', output: 'x' },
          { field: 'firstName', output: 'contact.email' },
        ],
      },
      'fieldMappings.2.output',
    ],
    [{ fieldMappings: [{ field: 'email', output: 'a..b' }] }, 'fieldMappings.0.output'],
    [{ fieldMappings: [{ field: 'email', output: '__proto__.x' }] }, 'fieldMappings.0.output'],
    [
      { format: 'xml', fieldMappings: [{ field: 'email', output: '1bad' }] },
      'fieldMappings.0.output',
    ],
    [
      {
        constants: [{ key: 'email', value: 'x' }],
        fieldMappings: [{ field: 'email', output: 'email' }],
      },
      'constants.0.key',
    ],
    [{ leadOrderIds: ['lo_unknown'] }, 'leadOrderIds.0'],
    [{ unknownSetting: true }, 'unknownSetting'],
  ])('refuses %j with 400 naming %s', async (override, path) => {
    const res = await t
      .as(sellerA.apiKey)
      .post('/v1/endpoints', validEndpoint(override))
      .expect(400);
    expectErrorShape(res.body, 'validation_failed');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  test("refuses another seller's lead order", async () => {
    const res = await t
      .as(sellerA.apiKey)
      .post('/v1/endpoints', validEndpoint({ leadOrderIds: [orderA, orderB] }))
      .expect(400);
    expect(res.body.error.details).toEqual([
      { path: 'leadOrderIds.1', message: expect.stringContaining(orderB) },
    ]);
  });

  test('reports every problem at once', async () => {
    const res = await t
      .as(sellerA.apiKey)
      .post('/v1/endpoints', {
        name: 'Many',
        url: 'gopher://x',
        headers: [{ name: 'Content-Length', value: '1' }],
        fieldMappings: [{ field: 'zzz', output: 'a' }],
      })
      .expect(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(
      ['fieldMappings.0.field', 'headers.0.name', 'url'].sort(),
    );
  });

  test('a missing body is a 400 naming the body', async () => {
    const res = await t.as(sellerA.apiKey).post('/v1/endpoints').expect(400);
    expectErrorShape(res.body, 'validation_failed');
    expect(res.body.error.details[0].path).toBe('body');
  });
});

describe('bad bodies', () => {
  test('malformed JSON is a 400 JSON error', async () => {
    const res = await request(t.app)
      .post('/v1/endpoints')
      .set('Authorization', `Bearer ${sellerA.apiKey}`)
      .set('Content-Type', 'application/json')
      .send('{"name": "x",')
      .expect(400);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expectErrorShape(res.body, 'invalid_json');
  });

  test('a body over 1 MB is a 413 JSON error', async () => {
    const res = await request(t.app)
      .post('/v1/endpoints')
      .set('Authorization', `Bearer ${sellerA.apiKey}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x', url: 'https://a.example', pad: 'x'.repeat(1_100_000) }))
      .expect(413);
    expectErrorShape(res.body, 'payload_too_large');
  });

  test('a non-JSON body is a 415 JSON error', async () => {
    const res = await request(t.app)
      .post('/v1/endpoints')
      .set('Authorization', `Bearer ${sellerA.apiKey}`)
      .set('Content-Type', 'text/plain')
      .send('name=x')
      .expect(415);
    expectErrorShape(res.body, 'unsupported_media_type');
  });

  test('a JSON array body is a 400', async () => {
    const res = await t.as(sellerA.apiKey).post('/v1/endpoints', [1, 2]).expect(400);
    expectErrorShape(res.body, 'validation_failed');
  });
});

describe('authentication', () => {
  test('no key → 401 with the error shape', async () => {
    const res = await request(t.app).get('/v1/endpoints').expect(401);
    expectErrorShape(res.body, 'unauthorized');
  });

  test('a wrong key → 401', async () => {
    const res = await t.as('ld_sk_not-a-real-key').get('/v1/endpoints').expect(401);
    expectErrorShape(res.body, 'unauthorized');
  });

  test('a malformed Authorization header → 401', async () => {
    const res = await request(t.app)
      .get('/v1/endpoints')
      .set('Authorization', sellerA.apiKey)
      .expect(401);
    expectErrorShape(res.body, 'unauthorized');
  });

  test('a seller key on a provider route → 403', async () => {
    const res = await t.as(sellerA.apiKey).post('/v1/sellers', { name: 'x' }).expect(403);
    expectErrorShape(res.body, 'forbidden');
  });

  test('the provider key on a seller route → 403', async () => {
    const res = await t.as(PROVIDER_KEY).get('/v1/endpoints').expect(403);
    expectErrorShape(res.body, 'forbidden');
  });

  test('auth is checked before the body', async () => {
    await request(t.app).post('/v1/endpoints').send({}).expect(401);
  });
});

describe('GET /v1/endpoints and /v1/endpoints/:id', () => {
  test("lists only the seller's own endpoints, oldest first", async () => {
    const b1 = await t
      .as(sellerB.apiKey)
      .post('/v1/endpoints', validEndpoint({ name: 'B1' }))
      .expect(201);
    const b2 = await t
      .as(sellerB.apiKey)
      .post('/v1/endpoints', validEndpoint({ name: 'B2' }))
      .expect(201);
    const res = await t.as(sellerB.apiKey).get('/v1/endpoints').expect(200);
    expect(res.body.items.map((e: { id: string }) => e.id)).toEqual([b1.body.id, b2.body.id]);
    expect(res.body.items[0].signingSecret).toBeUndefined();
    const listA = await t.as(sellerA.apiKey).get('/v1/endpoints').expect(200);
    expect(listA.body.items.map((e: { id: string }) => e.id)).not.toContain(b1.body.id);
  });

  test('lastDelivery shows the newest attempt', async () => {
    const ep = await t
      .as(sellerA.apiKey)
      .post('/v1/endpoints', validEndpoint({ name: 'With history' }))
      .expect(201);
    const insert = (id: string, startedAt: string, status: string, http: number | null) =>
      t.testDb.db.query(
        `INSERT INTO attempts (id, delivery_id, seller_id, endpoint_id, lead_id, message_type, test,
           attempt_number, started_at, duration_ms, status, http_status)
         VALUES ($1, 'msg_x', $2, $3, 'lead_x', 'new_lead', false, 1, $4, 10, $5, $6)`,
        [id, sellerA.id, ep.body.id, startedAt, status, http],
      );
    await insert('att_1', '2026-01-01T10:00:00Z', 'success', 200);
    await insert('att_2', '2026-01-01T11:00:00Z', 'failure', 500);
    const res = await t.as(sellerA.apiKey).get(`/v1/endpoints/${ep.body.id}`).expect(200);
    expect(res.body.lastDelivery).toEqual({
      status: 'failure',
      at: '2026-01-01T11:00:00.000Z',
      httpStatus: 500,
    });
    const list = await t.as(sellerA.apiKey).get('/v1/endpoints').expect(200);
    const listed = list.body.items.find((e: { id: string }) => e.id === ep.body.id);
    expect(listed.lastDelivery).toEqual(res.body.lastDelivery);
  });

  test('an unknown id is a 404 JSON error', async () => {
    const res = await t.as(sellerA.apiKey).get('/v1/endpoints/ep_nope').expect(404);
    expectErrorShape(res.body, 'not_found');
  });
});

describe('tenancy: seller B cannot touch seller A’s endpoint', () => {
  let endpointId: string;
  beforeAll(async () => {
    const res = await t
      .as(sellerA.apiKey)
      .post('/v1/endpoints', validEndpoint({ name: 'A private' }))
      .expect(201);
    endpointId = res.body.id;
  });

  test.each([
    ['get', (id: string) => t.as(sellerB.apiKey).get(`/v1/endpoints/${id}`)],
    ['patch', (id: string) => t.as(sellerB.apiKey).patch(`/v1/endpoints/${id}`, { name: 'taken' })],
    ['delete', (id: string) => t.as(sellerB.apiKey).delete(`/v1/endpoints/${id}`)],
    ['test', (id: string) => t.as(sellerB.apiKey).post(`/v1/endpoints/${id}/test`)],
    ['history', (id: string) => t.as(sellerB.apiKey).get(`/v1/endpoints/${id}/history`)],
  ])('%s → 404', async (_name, call) => {
    const res = await call(endpointId).expect(404);
    expectErrorShape(res.body, 'not_found');
  });

  test('and the endpoint is unchanged', async () => {
    const res = await t.as(sellerA.apiKey).get(`/v1/endpoints/${endpointId}`).expect(200);
    expect(res.body.name).toBe('A private');
    expect(t.delivery.calls.map((e) => e.id)).not.toContain(endpointId);
  });
});

describe('PATCH /v1/endpoints/:id', () => {
  let endpoint: { id: string; signingSecret: string };
  beforeAll(async () => {
    const res = await t
      .as(sellerA.apiKey)
      .post(
        '/v1/endpoints',
        validEndpoint({
          name: 'Patchable',
          headers: [{ name: 'X-Api-Key', value: 'key-value-0000-9999' }],
          fieldMappings: [{ field: 'email', output: 'contact.email' }],
        }),
      )
      .expect(201);
    endpoint = res.body;
  });

  test('merges the given fields and keeps the rest', async () => {
    const res = await t
      .as(sellerA.apiKey)
      .patch(`/v1/endpoints/${endpoint.id}`, { name: 'Renamed', timeoutMs: 20000 })
      .expect(200);
    expect(res.body).toMatchObject({
      name: 'Renamed',
      timeoutMs: 20000,
      url: 'https://crm.example.com/hooks/leads',
      fieldMappings: [{ field: 'email', output: 'contact.email' }],
    });
    expect(res.body.signingSecret).toBeUndefined();
  });

  test('re-validates the merged endpoint as a whole', async () => {
    // contact.email is fine alone; adding a constant "contact" collides with it (R3).
    const res = await t
      .as(sellerA.apiKey)
      .patch(`/v1/endpoints/${endpoint.id}`, { constants: [{ key: 'contact', value: 'x' }] })
      .expect(400);
    expectErrorShape(res.body, 'validation_failed');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(
      'constants.0.key',
    );
    // switching to XML makes the dotted name fine but the format change is validated too
    await t.as(sellerA.apiKey).patch(`/v1/endpoints/${endpoint.id}`, { format: 'xml' }).expect(200);
    await t
      .as(sellerA.apiKey)
      .patch(`/v1/endpoints/${endpoint.id}`, { format: 'json' })
      .expect(200);
  });

  test('a header sent back redacted keeps its stored value; a new value replaces it', async () => {
    const got = await t.as(sellerA.apiKey).get(`/v1/endpoints/${endpoint.id}`).expect(200);
    const headers = [...got.body.headers, { name: 'X-Extra', value: 'extra-value-123456' }];
    await t.as(sellerA.apiKey).patch(`/v1/endpoints/${endpoint.id}`, { headers }).expect(200);
    const stored = await getEndpoint(
      t.testDb.db,
      createSecretBox(t.config.secretsKey),
      sellerA.id,
      endpoint.id,
    );
    expect(stored!.headers).toEqual([
      { name: 'X-Api-Key', value: 'key-value-0000-9999' },
      { name: 'X-Extra', value: 'extra-value-123456' },
    ]);
  });

  test('unknown fields and bad values are 400s naming them', async () => {
    const res = await t
      .as(sellerA.apiKey)
      .patch(`/v1/endpoints/${endpoint.id}`, { signingSecret: 'whsec_x' })
      .expect(400);
    expect(res.body.error.details).toEqual([
      { path: 'signingSecret', message: expect.any(String) },
    ]);
    const res2 = await t
      .as(sellerA.apiKey)
      .patch(`/v1/endpoints/${endpoint.id}`, { url: 'mailto:a@b.c' })
      .expect(400);
    expect(res2.body.error.details.map((d: { path: string }) => d.path)).toEqual(['url']);
  });

  test('re-enabling an endpoint enqueues its held (pending) deliveries', async () => {
    const ep = await t
      .as(sellerA.apiKey)
      .post(
        '/v1/endpoints',
        validEndpoint({ name: 'Held', enabled: false, leadOrderIds: [orderA] }),
      )
      .expect(201);
    const lead = await t.provider
      .post('/v1/leads', { leadOrderId: orderA, lead: { email: 'held@example.com' } })
      .expect(202);
    const held = lead.body.deliveries.find(
      (d: { endpointId: string }) => d.endpointId === ep.body.id,
    );
    expect(held).toBeDefined();
    const before = await countJobs(t.testDb);
    await t
      .as(sellerA.apiKey)
      .patch(`/v1/endpoints/${ep.body.id}`, { name: 'Still held' })
      .expect(200);
    expect(await countJobs(t.testDb)).toBe(before);
    await t.as(sellerA.apiKey).patch(`/v1/endpoints/${ep.body.id}`, { enabled: true }).expect(200);
    expect(await countJobs(t.testDb)).toBe(before + 1);
  });
});

describe('DELETE /v1/endpoints/:id', () => {
  test('deletes, then the endpoint is gone', async () => {
    const ep = await t
      .as(sellerA.apiKey)
      .post('/v1/endpoints', validEndpoint({ name: 'Doomed' }))
      .expect(201);
    await t.as(sellerA.apiKey).delete(`/v1/endpoints/${ep.body.id}`).expect(204);
    await t.as(sellerA.apiKey).get(`/v1/endpoints/${ep.body.id}`).expect(404);
    const again = await t.as(sellerA.apiKey).delete(`/v1/endpoints/${ep.body.id}`).expect(404);
    expectErrorShape(again.body, 'not_found');
  });
});

describe('POST /v1/endpoints/:id/test', () => {
  test('calls the delivery service with the decrypted endpoint and answers its result', async () => {
    const ep = await t
      .as(sellerA.apiKey)
      .post(
        '/v1/endpoints',
        validEndpoint({
          name: 'Testable',
          headers: [{ name: 'X-Key', value: 'plain-secret-value' }],
        }),
      )
      .expect(201);
    t.delivery.result = {
      success: false,
      httpStatus: 500,
      durationMs: 33,
      error: 'HTTP 500 Internal Server Error',
      responseExcerpt: 'oops',
      payload: '{"a":1}',
      contentType: 'application/json',
      cause: 'http_5xx',
    };
    const res = await t.as(sellerA.apiKey).post(`/v1/endpoints/${ep.body.id}/test`).expect(200);
    const { cause: _cause, ...shown } = t.delivery.result;
    expect(res.body).toEqual({
      ...shown,
      troubleshooting: {
        issue: 'http_error',
        title: 'HTTP error codes',
        solution: expect.stringContaining('notification history'),
      },
    });
    const called = t.delivery.calls.at(-1)!;
    expect(called.id).toBe(ep.body.id);
    expect(called.headers).toEqual([{ name: 'X-Key', value: 'plain-secret-value' }]);
    expect(called.signingSecret).toBe(ep.body.signingSecret);
  });

  test('an unknown endpoint is a 404', async () => {
    await t.as(sellerA.apiKey).post('/v1/endpoints/ep_missing/test').expect(404);
  });
});

describe('routing', () => {
  test('an unknown route is a 404 JSON error, never HTML', async () => {
    const res = await request(t.app).get('/v1/nope').expect(404);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expectErrorShape(res.body, 'not_found');
  });

  test('a known path with another method is a 405 JSON error with Allow', async () => {
    const res = await t.as(sellerA.apiKey).patch('/v1/endpoints', {}).expect(405);
    expect(res.headers.allow).toContain('GET');
    expectErrorShape(res.body, 'method_not_allowed');
  });
});
