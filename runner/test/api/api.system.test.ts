/** GET /v1/fields, /healthz, /metrics and the OpenAPI document. */
import request from 'supertest';
import { LEAD_FIELDS } from '../../../core/catalogue.js';
import { apiRoutes } from '../../src/api/app.js';
import { openApiPath } from '../../src/api/openapi.js';
import { attemptDuration, deliveriesTotal } from '../../src/metrics.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

test('GET /v1/fields needs a seller key (the n8n credential test relies on it)', async () => {
  await request(t.app).get('/v1/fields').expect(401);
  await request(t.app).get('/v1/fields').set('authorization', 'Bearer ld_sk_wrong').expect(401);
});

test('GET /v1/fields lists the R1 catalogue', async () => {
  const seller = await t.createSeller();
  const res = await request(t.app)
    .get('/v1/fields')
    .set('authorization', `Bearer ${seller.apiKey}`)
    .expect(200);
  expect(res.body).toEqual({
    fields: LEAD_FIELDS.map((f) => ({ key: f.key, label: f.label, example: f.example })),
  });
  expect(res.body.fields.map((f: { key: string }) => f.key)).toEqual(
    expect.arrayContaining([
      'leadId',
      'email',
      'requestedMeetingTime',
      'formattedRequestedMeetingTime',
    ]),
  );
});

test('GET /healthz answers {ok, db}', async () => {
  await request(t.app).get('/healthz').expect(200, { ok: true, db: true });
});

test('GET /metrics exposes the delivery counter, attempt histogram and queue depth', async () => {
  deliveriesTotal.inc({ outcome: 'succeeded' });
  attemptDuration.observe({ status: 'success' }, 0.2);
  const res = await request(t.app).get('/metrics').expect(200);
  expect(res.headers['content-type']).toMatch(/text\/plain/);
  expect(res.text).toMatch(/lead_delivery_deliveries_total\{outcome="succeeded"\} [1-9]/);
  expect(res.text).toContain('lead_delivery_deliveries_total{outcome="failed"} 0');
  expect(res.text).toContain('lead_delivery_attempt_duration_seconds_bucket');
  expect(res.text).toMatch(/lead_delivery_queue_depth\{state="ready"\} \d+/);
});

describe('GET /v1/openapi.json', () => {
  let doc: {
    openapi: string;
    paths: Record<
      string,
      Record<string, { security: unknown[]; requestBody?: unknown; parameters: unknown[] }>
    >;
    components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  };
  beforeAll(async () => {
    doc = (await request(t.app).get('/v1/openapi.json').expect(200)).body;
  });

  test('is OpenAPI 3.1 with bearer security schemes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.sellerKey).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(doc.components.securitySchemes.providerKey).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
  });

  test('lists every route of the API', () => {
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(listed.sort()).toEqual(
      [
        'GET /v1/fields',
        'GET /v1/history',
        'POST /v1/endpoints',
        'GET /v1/endpoints',
        'GET /v1/endpoints/{id}',
        'PATCH /v1/alerts',
        'PATCH /v1/endpoints/{id}',
        'POST /v1/alerts/secret/rotate',
        'POST /v1/alerts/test',
        'DELETE /v1/endpoints/{id}',
        'POST /v1/endpoints/{id}/test',
        'GET /v1/endpoints/{id}/history',
        'POST /v1/deliveries/{id}/resend',
        'POST /v1/endpoints/{id}/secret/rotate',
        'POST /v1/endpoints/{id}/replay',
        'POST /v1/endpoints/{id}/backfill',
        'GET /v1/deliveries/{id}',
        'GET /v1/lead-orders',
        'POST /v1/lead-orders',
        'POST /v1/sellers',
        'POST /v1/leads',
        'POST /v1/leads/{id}/meeting',
        'GET /healthz',
        'GET /metrics',
        'GET /v1/alerts',
        'GET /v1/openapi.json',
      ].sort(),
    );
    expect(listed.sort()).toEqual(
      apiRoutes()
        .map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`)
        .sort(),
    );
  });

  test('documents bodies, parameters and security from the zod schemas', () => {
    const create = doc.paths['/v1/endpoints'].post as unknown as {
      security: unknown[];
      requestBody: {
        content: {
          'application/json': {
            schema: { properties: Record<string, unknown>; required: string[] };
          };
        };
      };
    };
    expect(create.security).toEqual([{ sellerKey: [] }]);
    const schema = create.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'name',
        'url',
        'format',
        'headers',
        'constants',
        'leadOrderIds',
        'fieldMappings',
        'type',
        'enabled',
        'timeoutMs',
      ]),
    );
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'url']));
    expect(doc.paths['/v1/leads'].post.security).toEqual([{ providerKey: [] }]);
    expect(doc.paths['/v1/fields'].get.security).toEqual([{ sellerKey: [] }]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    // Authenticated routes read the database, so each documents the 503 of an outage.
    const responses = (method: string, path: string) =>
      Object.keys((doc.paths[path][method] as unknown as { responses: object }).responses);
    expect(responses('post', '/v1/leads')).toContain('503');
    expect(responses('get', '/v1/fields')).toContain('503');
    expect(responses('get', '/metrics')).not.toContain('503');
    const history = doc.paths['/v1/endpoints/{id}/history'].get.parameters as Array<{
      name: string;
      in: string;
    }>;
    expect(history.map((p) => `${p.in}:${p.name}`)).toEqual([
      'path:id',
      'query:status',
      'query:messageType',
      'query:leadId',
      'query:test',
      'query:from',
      'query:to',
      'query:cursor',
      'query:limit',
    ]);
  });
});
