/**
 * R9 fault test: 2,000 generated bad API requests (seeded, so every run sends the same ones),
 * sent over real HTTP to a real runner (API, queue, worker), covering every route of the app's
 * route table. Every answer is a 4xx in the API's JSON error shape — never a 5xx — and afterwards
 * no table has a row more or less (pg-boss jobs included), and no row of the core tables changed.
 */
import * as http from 'node:http';
import { apiRoutes } from '../../src/api/app.js';
import { PROVIDER_KEY } from '../helpers/app.js';
import { createBadRequestGenerator, type BadRequest } from '../helpers/badRequests.js';
import { countRows, createTestDb, type TestDb } from '../helpers/db.js';
import {
  readJson,
  startTestRunner,
  type SellerCreated,
  type TestRunner,
} from '../helpers/runner.js';

const REQUESTS = 2000;
const SEED = 0x5eed_0004;
const CONCURRENCY = 16;

let testDb: TestDb;
let runner: TestRunner;
let seller: SellerCreated;
let endpointId: string;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb);
  seller = await readJson<SellerCreated>(await runner.provider('/v1/sellers', { name: 'Target' }));
  await runner.provider('/v1/lead-orders', { sellerId: seller.id, name: 'Orders' });
  const created = await runner.seller(seller.apiKey, 'POST', '/v1/endpoints', {
    name: 'Target CRM',
    url: 'https://crm.example.com/in',
    headers: [{ name: 'X-Api-Key', value: 'target-secret-value' }],
  });
  expect(created.status).toBe(201);
  endpointId = (await readJson<{ id: string }>(created)).id;
});

afterAll(async () => {
  agent.destroy();
  await runner.stop();
  await testDb.drop();
});

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

function send(baseUrl: string, bad: BadRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const url = new URL(baseUrl);
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: bad.method,
        // The path as generated: malformed percent-escapes included.
        path: bad.path,
        // An explicit length: GET and DELETE bodies are not chunked by default.
        headers:
          bad.body === undefined
            ? bad.headers
            : { ...bad.headers, 'content-length': String(Buffer.byteLength(bad.body)) },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', (error) => resolve({ status: -1, contentType: '', body: String(error) }));
    req.end(bad.body);
  });
}

/** The content of the tables a bad request could have touched. */
async function contents(): Promise<string> {
  const parts: string[] = [];
  for (const table of ['sellers', 'api_keys', 'lead_orders', 'endpoints', 'leads', 'deliveries']) {
    const { rows } = await testDb.db.query<{ row: string }>(
      `SELECT t::text AS row FROM ${table} t ORDER BY id`,
    );
    parts.push(`${table}:\n${rows.map((r) => r.row).join('\n')}`);
  }
  return parts.join('\n');
}

test('2,000 generated bad API requests get no 5xx and leave no partial rows', async () => {
  const routes = apiRoutes();
  const next = createBadRequestGenerator(
    routes,
    {
      sellerKey: seller.apiKey,
      providerKey: PROVIDER_KEY,
      endpointId,
      sampleBodies: {
        'POST /v1/endpoints': { name: 'Probe', url: 'https://crm.example.com/x' },
        'PATCH /v1/endpoints/:id': { name: 'Renamed' },
        'POST /v1/sellers': { name: 'Nobody' },
        'POST /v1/lead-orders': { sellerId: 'sel_nobody', name: 'Nothing' },
        'POST /v1/leads': {
          leadOrderId: 'lo_nobody',
          lead: {
            email: 'x@example.com',
            createdAt: '2026-04-20T14:03:12+00:00',
            requestedMeetingTime: '2026-04-22T15:45:00-04:00',
          },
        },
        'POST /v1/leads/:id/meeting': { requestedMeetingTime: '2026-04-22T19:45:00Z' },
        'POST /v1/endpoints/:id/replay': {
          status: 'failed',
          from: '2020-01-01T00:00:00Z',
          to: '2030-01-01T00:00:00+14:00',
        },
        'POST /v1/endpoints/:id/backfill': { from: '2020-01-01T00:00:00-12:00' },
      },
    },
    SEED,
  );
  const requests = Array.from({ length: REQUESTS }, next);
  const before = { counts: await countRows(testDb), contents: await contents() };

  const answers: Answer[] = new Array(requests.length);
  let index = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (index < requests.length) {
        const mine = index++;
        answers[mine] = await send(runner.baseUrl, requests[mine]);
      }
    }),
  );

  const wrong = requests.flatMap((bad, i) => {
    const answer = answers[i];
    let shaped = false;
    try {
      const body = JSON.parse(answer.body);
      shaped =
        typeof body.error?.code === 'string' &&
        typeof body.error?.message === 'string' &&
        Array.isArray(body.error?.details);
    } catch {
      shaped = false;
    }
    const ok =
      answer.status >= 400 &&
      answer.status < 500 &&
      answer.contentType.startsWith('application/json') &&
      shaped;
    return ok
      ? []
      : [
          `${bad.kind} ${bad.method} ${bad.path.slice(0, 120)} → ${answer.status} ${answer.body.slice(0, 200)}`,
        ];
  });
  expect(wrong).toEqual([]);

  // Every route was exercised, and every kind of fault.
  const routesHit = new Set(
    requests.map(
      (bad) =>
        routes.find((r) => new RegExp(`^${r.path.replace(':id', '[^/]*')}(\\?|$)`).test(bad.path))
          ?.path,
    ),
  );
  for (const route of routes) expect(routesHit).toContain(route.path);
  expect(new Set(requests.map((bad) => bad.kind))).toEqual(
    new Set([
      'auth',
      'id',
      'query',
      'body',
      'instant',
      'invalid-json',
      'utf8',
      'oversized',
      'charset',
      'encoding',
      'content-type',
      'method',
      'path',
    ]),
  );
  const statuses = new Set(answers.map((a) => a.status));
  for (const status of [400, 401, 403, 404, 405, 413, 415]) expect(statuses).toContain(status);

  expect(await countRows(testDb)).toEqual(before.counts);
  expect(await contents()).toBe(before.contents);
});
