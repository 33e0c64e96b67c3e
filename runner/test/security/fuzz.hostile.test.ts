/**
 * Property-based fuzz (fast-check) of what sellers, the provider and receivers can send, through
 * the real runner (API, pg-boss worker, n8n-core WorkflowExecute, PostgreSQL, HTTP):
 *
 * - every API route's body, path and query, built from hostile pieces (NUL, lone surrogates,
 *   n8n expressions, CR/LF, markup, prototype keys, 10 KB strings), arbitrary JSON and bytes that
 *   are not UTF-8: only 2xx and 4xx answers, a 4xx writes nothing, a 2xx stores what was sent;
 * - every receiver response shape (status, headers and bodies with NUL, invalid UTF-8, encoded
 *   surrogates, CR/LF, expressions, 1 MB, binary, a hang), for deliveries and Send test: each
 *   delivery is recorded, its history is readable, and another seller's receiver gets each of its
 *   deliveries exactly once;
 * - and n8n evaluates no expression at all meanwhile.
 *
 * A failure prints fast-check's seed and the shrunk counterexample; FUZZ_RUNS scales the runs.
 */
import fc from 'fast-check';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { PROVIDER_KEY } from '../helpers/app';
import { spyOnExpressions, type ExpressionSpy } from '../helpers/expressionSpy';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, readJson, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, type EndpointBody, type Scenario } from '../helpers/scenario';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1);
const runs = (count: number) => Math.max(1, Math.round(count * RUNS));

jest.setTimeout(240_000);

// ---------------------------------------------------------------------------- hostile values

const PIECES = [
  '\u0000',
  '\ud800',
  '\udfff',
  '\ud83d\ude00',
  '={{ 6*7 }}',
  '={{ $env.HOME }}',
  '={{ $workflow.id }}',
  '{{ $json.email }}',
  '$execution.id',
  '\r\n',
  'X-Injected: 1',
  '<a>&amp;</a>',
  '__proto__',
  'constructor',
  '.',
  ' ',
  'é',
  '\u2028',
  '\ufffd',
  '%00',
];

const hostileUnit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PIECES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }) },
);

const hostileString = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: hostileUnit, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(10_001), '='.repeat(9_000)) },
);

/** Hostile text short enough for a URL. */
const shortHostile = fc.string({ unit: hostileUnit, maxLength: 8 });

/**
 * Text the runner must accept and keep exactly as sent: n8n expressions, markup, prototype names,
 * any script. It is stored, shown and delivered byte for byte, never evaluated.
 */
const legalText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('={{ 6*7 }}', '{{ $json.email }}', '$workflow.id', '<a>&amp;</a>', '__proto__'),
    fc.constantFrom('x', 'é', '😀', ' ', '"', "'", '\\', '/', '%'),
  ),
  minLength: 1,
  maxLength: 6,
});

/** Mostly what a field may hold, sometimes anything hostile. */
function mostly<T, H = string>(
  valid: fc.Arbitrary<T>,
  hostile: fc.Arbitrary<H> = hostileString as unknown as fc.Arbitrary<H>,
): fc.Arbitrary<T | H> {
  return fc.oneof(
    { weight: 12, arbitrary: valid as fc.Arbitrary<T | H> },
    { weight: 1, arbitrary: hostile as fc.Arbitrary<T | H> },
  );
}

/** Instants, some of them out of range (offsets past ±14:00, years outside 0001–9999). */
const hostileInstant = fc.oneof(
  fc.constantFrom(
    '2026-04-22T19:45:00Z',
    '2026-04-22T19:45:00+25:00',
    '2026-04-22T19:45:00+99:00',
    '-000001-04-22T19:45:00Z',
    '+012345-04-22T19:45:00Z',
    '2026-02-30T10:00:00Z',
    '2026-04-22T24:00:00Z',
    '2026-04-22T19:45:00',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59-12:00',
  ),
  hostileString,
);

// ---------------------------------------------------------------------------- the runner

let testDb: TestDb;
let runner: TestRunner;
let expressions: ExpressionSpy;

beforeAll(async () => {
  testDb = await createTestDb();
  // The circuit breaker off: a run of failing answers would otherwise pause the hostile endpoint
  // and hold its later leads for a cool-down, which is the breaker's job, not what is fuzzed here.
  runner = await startTestRunner(testDb, {
    RETRY_SCHEDULE: '100ms,100ms,100ms',
    CIRCUIT_BREAKER_THRESHOLD: '0',
  });
  expressions = spyOnExpressions();
});

afterAll(async () => {
  expressions.restore();
  await runner.stop();
  await testDb.drop();
});

interface Answer {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

/** A request with a JSON body, or exactly these bytes. */
async function send(
  key: string,
  method: string,
  path: string,
  body?: unknown,
  raw?: Uint8Array,
): Promise<Answer> {
  const response = await fetch(`${runner.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body:
      raw !== undefined ? Buffer.from(raw) : body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text, and judged below
  }
  return { status: response.status, body: parsed, retryAfter: response.headers.get('retry-after') };
}

/** Row counts of every table an API call writes: a refused call must leave them all as they were. */
async function tableCounts(): Promise<Record<string, number>> {
  const { rows } = await testDb.db.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM sellers) AS sellers, (SELECT count(*) FROM api_keys) AS api_keys,
       (SELECT count(*) FROM lead_orders) AS lead_orders, (SELECT count(*) FROM endpoints) AS endpoints,
       (SELECT count(*) FROM leads) AS leads, (SELECT count(*) FROM deliveries) AS deliveries`,
  );
  return Object.fromEntries(Object.entries(rows[0]).map(([name, count]) => [name, Number(count)]));
}

function expectAnswered(answer: Answer, what: string): void {
  if (answer.status >= 500) {
    throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  // Node's HTTP parser answers a request line or headers past its 16 KB limit itself, before the
  // app sees the request: a 431 without a body.
  if (answer.status === 431) return;
  if (answer.status >= 400) {
    const error = (answer.body as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof error?.code !== 'string' || typeof error.message !== 'string') {
      throw new Error(`${what} answered ${answer.status} without the error shape`);
    }
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isWellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);

/** Text as the runner may store and show it: no NUL, no lone surrogate. */
const wellFormedText = (value: unknown): boolean =>
  typeof value !== 'string' || (isWellFormed(value) && !value.includes('\u0000'));

// ---------------------------------------------------------------------------- API bodies

describe('every API route, fuzzed', () => {
  let sink: Receiver;
  let fuzz: Scenario;
  let fuzzEndpoint: EndpointBody;
  let leadId: string;

  beforeAll(async () => {
    sink = await startReceiver('/sink');
    fuzz = await createScenario(runner, 'Fuzz Seller');
    fuzzEndpoint = await fuzz.createEndpoint({ url: sink.url, type: 'both' });
    leadId = (await fuzz.postLead()).leadId;
  });

  afterAll(async () => {
    await sink.close();
  });

  /** The endpoint as the seller set it (what the worker changes, its last delivery and circuit, left out). */
  async function settingsOf(id: string): Promise<Record<string, unknown>> {
    const {
      lastDelivery: _delivery,
      circuit: _circuit,
      ...settings
    } = (await fuzz.getEndpoint(id)) as unknown as Record<string, unknown>;
    return settings;
  }

  const endpointSettings = () =>
    fc.record(
      {
        name: mostly(legalText.map((text) => `CRM ${text}`)),
        url: mostly(
          fc.oneof(
            fc.constant(sink.url),
            legalText.map((text) => `${sink.url}?q=${encodeURIComponent(text)}`),
          ),
        ),
        format: mostly(fc.constantFrom('json', 'form', 'hubspot')),
        headers: fc.array(
          fc.record({
            name: mostly(fc.constantFrom('X-Api-Key', 'X-Calc', 'Authorization')),
            value: mostly(legalText),
          }),
          { maxLength: 3 },
        ),
        constants: fc.uniqueArray(
          fc.record({
            key: mostly(fc.constantFrom('source', 'calc', 'meta.kind', '={{ 1 }}')),
            value: mostly(legalText),
          }),
          { maxLength: 3, selector: (constant) => constant.key },
        ),
        fieldMappings: fc.uniqueArray(
          fc.record({
            field: mostly(fc.constantFrom('firstName', 'email', 'requestedMeetingTime')),
            output: mostly(fc.constantFrom('first', 'contact.email', 'when', '={{ $json }}')),
          }),
          { minLength: 1, maxLength: 3, selector: (mapping) => mapping.output },
        ),
        type: mostly(fc.constantFrom('new_leads', 'both')),
        timeoutMs: mostly(fc.constantFrom(1000, 10000), fc.oneof(fc.double(), fc.integer())),
      },
      { requiredKeys: ['name', 'url'] },
    );

  const leadFields = () =>
    fc
      .dictionary(
        mostly(fc.constantFrom('firstName', 'lastName', 'email', 'company', 'message', 'timeZone')),
        mostly(
          fc.oneof(legalText, fc.constant(null), fc.integer(), fc.boolean()),
          fc.oneof(hostileString, fc.double()),
        ),
        { maxKeys: 5 },
      )
      .map((lead) => lead as Record<string, unknown>);

  /** A path segment: well-formed text percent-encoded, or raw escapes that are not UTF-8 or hold NUL. */
  const pathSegment = () =>
    fc.oneof(
      fc.constantFrom('%00', '%ED%A0%80', '%FF', '%E0%A4%A', '..', '%2F', `ep_${'x'.repeat(200)}`),
      shortHostile.filter((text) => isWellFormed(text)).map((text) => encodeURIComponent(text)),
    );

  type Call = {
    key: 'seller' | 'provider';
    method: string;
    path: string;
    body?: unknown;
    raw?: Uint8Array;
  };

  const calls = (): fc.Arbitrary<Call> => {
    const body = <T>(shaped: fc.Arbitrary<T>) =>
      fc.oneof(
        { weight: 6, arbitrary: shaped as fc.Arbitrary<unknown> },
        { weight: 1, arbitrary: fc.jsonValue() },
      );
    return fc.oneof(
      body(endpointSettings()).map((b): Call => ({
        key: 'seller',
        method: 'POST',
        path: '/v1/endpoints',
        body: b,
      })),
      body(endpointSettings().map((settings) => ({ ...settings, name: undefined }))).map(
        (b): Call => ({
          key: 'seller',
          method: 'PATCH',
          path: `/v1/endpoints/${fuzzEndpoint.id}`,
          body: b,
        }),
      ),
      body(
        fc.record({
          leadOrderId: mostly(fc.constant(fuzz.leadOrderId)),
          lead: fc
            .tuple(
              leadFields(),
              fc.option(mostly(fc.constant('2026-04-22T19:45:00Z'), hostileInstant)),
            )
            .map(([fields, when]) =>
              when === null ? fields : { ...fields, requestedMeetingTime: when },
            ),
        }),
      ).map((b): Call => ({ key: 'provider', method: 'POST', path: '/v1/leads', body: b })),
      fc
        .tuple(
          fc.oneof(fc.constant(leadId), pathSegment()),
          body(
            fc.record({
              requestedMeetingTime: fc.option(
                mostly(
                  fc.constantFrom('2026-04-22T19:45:00Z', '2026-05-01T08:00:00-04:00'),
                  hostileInstant,
                ),
              ),
            }),
          ),
        )
        .map(([id, b]): Call => ({
          key: 'provider',
          method: 'POST',
          path: `/v1/leads/${id}/meeting`,
          body: b,
        })),
      fc
        .tuple(
          fc.constantFrom('replay', 'backfill'),
          body(
            fc.record(
              {
                from: mostly(fc.constant('2026-01-01T00:00:00Z'), hostileInstant),
                to: mostly(fc.constant('2030-01-01T00:00:00+14:00'), hostileInstant),
              },
              { requiredKeys: ['from'] },
            ),
          ),
        )
        .map(([action, b]): Call => ({
          key: 'seller',
          method: 'POST',
          path: `/v1/endpoints/${fuzzEndpoint.id}/${action}`,
          // Replay takes the deliveries' status; backfill has none.
          body:
            action === 'replay' && typeof b === 'object' && b !== null && !Array.isArray(b)
              ? { status: 'failed', ...b }
              : b,
        })),
      body(fc.record({ name: mostly(legalText) })).map((b): Call => ({
        key: 'provider',
        method: 'POST',
        path: '/v1/sellers',
        body: b,
      })),
      body(
        fc.record({
          sellerId: mostly(fc.constant(fuzz.sellerId)),
          name: mostly(legalText),
        }),
      ).map((b): Call => ({ key: 'provider', method: 'POST', path: '/v1/lead-orders', body: b })),
      fc
        .tuple(
          pathSegment(),
          fc.constantFrom('resend', ''),
          fc.constantFrom('deliveries', 'endpoints'),
        )
        .map(([id, action, kind]): Call => ({
          key: 'seller',
          method: action ? 'POST' : 'GET',
          path: `/v1/${kind}/${id}${action ? `/${action}` : ''}`,
        })),
      fc
        .record(
          {
            status: mostly(fc.constantFrom('success', 'failure'), shortHostile),
            // Rarely there: a cursor the API did not hand out is refused whatever else is asked.
            cursor: fc.option(shortHostile, { freq: 6, nil: undefined }),
            limit: mostly(fc.integer({ min: 1, max: 200 }).map(String), shortHostile),
          },
          { requiredKeys: [] },
        )
        .map((query): Call => ({
          key: 'seller',
          method: 'GET',
          path: `/v1/endpoints/${fuzzEndpoint.id}/history?${Object.entries(query)
            .filter(([, value]) => value !== undefined)
            .map(
              ([name, value]) =>
                `${name}=${isWellFormed(String(value)) ? encodeURIComponent(String(value)) : '%ED%A0%80'}`,
            )
            .join('&')}`,
        })),
      fc
        .tuple(
          fc.constantFrom('/v1/endpoints', '/v1/leads', `/v1/endpoints/${fuzzEndpoint.id}/replay`),
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
        )
        .map(([path, bytes]): Call => ({
          key: path === '/v1/leads' ? 'provider' : 'seller',
          method: 'POST',
          path,
          // Valid JSON around bytes that are not UTF-8.
          raw: Buffer.concat([
            Buffer.from('{"name":"'),
            Buffer.from(bytes),
            Buffer.from([0xff, 0xfe]),
            Buffer.from('"}'),
          ]),
        })),
    );
  };

  test('answers 2xx or 4xx, writes nothing on a 4xx, and stores what it accepts as sent', async () => {
    const outcomes: Record<string, { accepted: number; refused: number }> = {};
    await fc.assert(
      fc.asyncProperty(calls(), async (call) => {
        const before = await tableCounts();
        const endpointBefore = await settingsOf(fuzzEndpoint.id);
        const key = call.key === 'provider' ? PROVIDER_KEY : fuzz.apiKey;
        const answer = await send(key, call.method, call.path, call.body, call.raw);
        expectAnswered(answer, `${call.method} ${call.path}`);
        const route = `${call.method} ${call.path.replace(/\/v1\/(\w[\w-]*)\/[^/?]+/, '/v1/$1/:id').replace(/\?.*/, '')}${call.raw ? ' (bytes)' : ''}`;
        const tally = (outcomes[route] ??= { accepted: 0, refused: 0 });
        if (answer.status < 400) tally.accepted += 1;
        else tally.refused += 1;
        if (answer.status >= 400) {
          expect(await tableCounts()).toEqual(before);
          expect(await settingsOf(fuzzEndpoint.id)).toEqual(endpointBefore);
          return;
        }
        const sent = call.body as Record<string, unknown> | undefined;
        if (call.method === 'POST' && call.path === '/v1/endpoints' && sent) {
          const created = answer.body as Record<string, unknown>;
          for (const name of ['constants', 'fieldMappings'] as const) {
            if (sent[name] !== undefined) expect(created[name]).toEqual(sent[name]);
          }
          const shown = await fuzz.getEndpoint(created.id as string);
          expect(shown).toMatchObject({
            constants: created.constants,
            fieldMappings: created.fieldMappings,
          });
          await fuzz.call('DELETE', `/v1/endpoints/${String(created.id)}`);
        }
      }),
      { numRuns: runs(400) },
    );
    // The fuzz reached both sides of every writing route: accepted writes as well as refusals.
    for (const route of ['POST /v1/endpoints', 'PATCH /v1/endpoints/:id', 'POST /v1/leads']) {
      expect(outcomes[route]?.accepted ?? 0).toBeGreaterThan(0);
      expect(outcomes[route]?.refused ?? 0).toBeGreaterThan(0);
    }
    expect(expressions.evaluated).toEqual([]);
  });
});

// ---------------------------------------------------------------------------- receiver answers

/** A response as raw bytes: whatever a hostile or broken receiver may write. */
interface ResponseShape {
  status: number;
  reason: string;
  headers: Array<[string, Buffer]>;
  body: Buffer;
  hang: boolean;
}

const bodyBytes = fc.oneof(
  fc.constant(Buffer.from('ok\u0000\u0000done')),
  fc.constant(Buffer.from([0x7b, 0xff, 0xfe, 0xc0, 0x80, 0x7d])),
  fc.constant(Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62])),
  fc.constant(Buffer.from('line one\r\nX-Injected: 1\r\n\r\nline two')),
  fc.constant(Buffer.from('={{ $env.HOME }} {{ $json.email }} $workflow.id')),
  fc.constant(Buffer.alloc(1024 * 1024, 0x41)),
  fc.uint8Array({ maxLength: 4096 }).map((bytes) => Buffer.from(bytes)),
  hostileString.filter((text) => text.length < 5000).map((text) => Buffer.from(text, 'utf8')),
);

const responseShapes: fc.Arbitrary<ResponseShape> = fc.record({
  status: fc.constantFrom(200, 201, 202, 204, 301, 400, 401, 404, 408, 422, 429, 500, 503),
  reason: fc.constantFrom('OK', '', 'Weird\u00ff', 'Server Error'),
  headers: fc.array(
    fc.tuple(
      fc.constantFrom('Retry-After', 'Location', 'Content-Type', 'X-Odd'),
      fc
        .oneof(
          fc.constantFrom(
            '5',
            '-1',
            '99999999999',
            'Wed, 21 Oct 2015 07:28:00 GMT',
            'http://127.0.0.1/elsewhere',
          ),
          fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes) =>
            // Header bytes without CR/LF: the rest is the receiver's choice, NUL and obs-text too.
            Buffer.from(bytes.map((byte) => (byte === 0x0d || byte === 0x0a ? 0x20 : byte))),
          ),
        )
        .map((value) => (typeof value === 'string' ? Buffer.from(value, 'latin1') : value)),
    ),
    { maxLength: 2 },
  ),
  body: bodyBytes,
  hang: fc.boolean().map((hang) => hang && Math.random() < 0.2),
});

/** A receiver that writes each answer as raw bytes, the next shape set by the test. */
async function startRawReceiver(): Promise<{
  url: string;
  shape: (next: ResponseShape) => void;
  requests: () => number;
  close(): Promise<void>;
}> {
  let current: ResponseShape | undefined;
  let count = 0;
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const headerEnd = buffered.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const head = buffered.subarray(0, headerEnd).toString('latin1');
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < headerEnd + 4 + length) return;
      buffered = Buffer.alloc(0);
      count += 1;
      const shape = current;
      if (!shape || shape.hang) return;
      const lines = [`HTTP/1.1 ${shape.status} ${shape.reason}`];
      const head2 = Buffer.concat([
        Buffer.from(`${lines[0]}\r\n`, 'latin1'),
        ...shape.headers.map(([name, value]) =>
          Buffer.concat([Buffer.from(`${name}: `), value, Buffer.from('\r\n')]),
        ),
        Buffer.from(`Content-Length: ${shape.body.length}\r\nConnection: close\r\n\r\n`),
      ]);
      socket.end(Buffer.concat([head2, shape.body]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/raw`,
    shape: (next) => (current = next),
    requests: () => count,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('every receiver answer, fuzzed', () => {
  let raw: Awaited<ReturnType<typeof startRawReceiver>>;
  let bystanderReceiver: Receiver;
  let hostile: Scenario;
  let bystander: Scenario;
  let hostileEndpoint: EndpointBody;
  let bystanderEndpoint: EndpointBody;

  beforeAll(async () => {
    raw = await startRawReceiver();
    bystanderReceiver = await startReceiver('/bystander');
    hostile = await createScenario(runner, 'Hostile Receiver Seller');
    bystander = await createScenario(runner, 'Bystander Seller');
    hostileEndpoint = await hostile.createEndpoint({ url: raw.url, timeoutMs: 1000 });
    bystanderEndpoint = await bystander.createEndpoint({ url: bystanderReceiver.url });
  });

  afterAll(async () => {
    await raw.close();
    await bystanderReceiver.close();
  });

  test('deliveries and Send test are recorded whatever the receiver answers; the other seller gets each delivery once', async () => {
    const bystanderIds: string[] = [];
    const hostileIds: string[] = [];
    await fc.assert(
      fc.asyncProperty(responseShapes, fc.boolean(), async (shape, viaSendTest) => {
        raw.shape(shape);
        if (viaSendTest) {
          const answer = await send(
            hostile.apiKey,
            'POST',
            `/v1/endpoints/${hostileEndpoint.id}/test`,
          );
          expectAnswered(answer, 'Send test');
          expect(answer.status).toBe(200);
          const result = answer.body as Record<string, unknown>;
          expect(wellFormedText(result.responseExcerpt)).toBe(true);
          expect(wellFormedText(result.error)).toBe(true);
          return;
        }
        // Both leads in the same moment, so one worker batch can hold both deliveries.
        const [toHostile, toBystander] = await Promise.all([
          hostile.postLead(),
          bystander.postLead(),
        ]);
        hostileIds.push(toHostile.deliveries[0].id);
        bystanderIds.push(toBystander.deliveries[0].id);
        await eventually(async () => {
          const delivery = await hostile.delivery(toHostile.deliveries[0].id);
          return delivery.attemptCount > 0 || delivery.status !== 'pending' ? true : undefined;
        });
        await eventually(async () =>
          bystanderReceiver.requests.some(
            (request) => request.headers['webhook-id'] === toBystander.deliveries[0].id,
          )
            ? true
            : undefined,
        );
      }),
      { numRuns: runs(60) },
    );

    // Everything settles: no hostile delivery stays claimed, each has its attempt recorded (a
    // retry may be scheduled far ahead: Retry-After is the receiver's to choose).
    await eventually(async () => {
      const deliveries = await Promise.all(hostileIds.map((id) => hostile.delivery(id)));
      return deliveries.every(
        (delivery) => delivery.status !== 'sending' && delivery.attemptCount > 0,
      )
        ? true
        : undefined;
    }, 30_000);
    let cursor: string | null = null;
    let attempts = 0;
    do {
      const page = await send(
        hostile.apiKey,
        'GET',
        `/v1/endpoints/${hostileEndpoint.id}/history?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      const body = page.body as {
        items: Array<Record<string, unknown>>;
        nextCursor: string | null;
      };
      for (const item of body.items) {
        expect(wellFormedText(item.responseExcerpt)).toBe(true);
        expect(wellFormedText(item.error)).toBe(true);
      }
      attempts += body.items.length;
      cursor = body.nextCursor;
    } while (cursor);
    expect(attempts).toBeGreaterThanOrEqual(hostileIds.length);

    // The bystander's receiver got each of its deliveries exactly once, nothing else.
    await eventually(async () =>
      (await bystander.historyCount(bystanderEndpoint.id)) >= bystanderIds.length
        ? true
        : undefined,
    );
    const received = bystanderReceiver.requests.map((request) =>
      String(request.headers['webhook-id']),
    );
    expect(received.sort()).toEqual([...bystanderIds].sort());
    expect(expressions.evaluated).toEqual([]);
    const shown = await readJson<{ id: string }>(
      await bystander.call('GET', `/v1/endpoints/${bystanderEndpoint.id}`),
    );
    expect(shown.id).toBe(bystanderEndpoint.id);
  });
});
