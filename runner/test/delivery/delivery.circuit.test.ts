/**
 * The circuit breaker end to end: consecutive failures pause an endpoint with their cause (shown
 * in the API); while paused nothing is sent and nothing is dropped; a failed probe re-opens with a
 * doubled cool-down; a successful one closes the circuit and sends what was held.
 */
import {
  classifyNetworkError,
  classifyResponse,
  type Classification,
} from '../../../core/classify';
import {
  circuitUnchanged,
  nextCircuit,
  type BreakerSettings,
  type CircuitOutcome,
} from '../../src/worker/circuitBreaker';
import { closedPacing } from '../../src/store/pacing';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, type EndpointBody, type Scenario } from '../helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
let scenario: Scenario;

beforeAll(async () => {
  testDb = await createTestDb();
  // Without the breaker a delivery would fail for good after 4 attempts within ~0.3 s.
  runner = await startTestRunner(testDb, {
    RETRY_SCHEDULE: '100ms,100ms,100ms',
    CIRCUIT_BREAKER_THRESHOLD: '3',
    CIRCUIT_BREAKER_COOLDOWN: '1s',
  });
  receiver = await startReceiver('/hook');
  scenario = await createScenario(runner);
});

afterAll(async () => {
  await receiver.close();
  await runner.stop();
  await testDb.drop();
});

const span = (circuit: EndpointBody['circuit']) =>
  Date.parse(circuit.nextProbeAt!) - Date.parse(circuit.openedAt!);

test('breaker: opens after 3 failures, holds, re-opens on a failed probe, closes on a good one', async () => {
  let up = false;
  receiver.reply((_request, response) => response.writeHead(up ? 200 : 503).end());
  // Created disabled so the five deliveries are queued together (one batch) when it is enabled.
  const endpoint = await scenario.createEndpoint({ url: receiver.url, enabled: false });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push((await scenario.postLead({ firstName: `Lead${i}` })).deliveries[0].id);
  }
  expect(
    (await scenario.call('PATCH', `/v1/endpoints/${endpoint.id}`, { enabled: true })).status,
  ).toBe(200);

  const opened = await eventually(async () => {
    const body = await scenario.getEndpoint(endpoint.id);
    return body.circuit.state === 'open' ? body.circuit : undefined;
  });
  expect(opened).toMatchObject({ cause: 'http_5xx', consecutiveFailures: 3 });
  expect(opened.lastError).toBe('HTTP 503 Service Unavailable');
  expect(span(opened)).toBe(1000);

  // The probe (one delivery) fails: open again, with twice the cool-down.
  const reopened = await eventually(async () => {
    const body = await scenario.getEndpoint(endpoint.id);
    return body.circuit.state === 'open' && body.circuit.openedAt !== opened.openedAt
      ? body.circuit
      : undefined;
  });
  expect(span(reopened)).toBe(2000);
  expect(reopened.consecutiveFailures).toBe(4);
  // Five first attempts and one probe: nothing else was sent, nothing was dropped.
  expect(receiver.requests).toHaveLength(6);
  expect(await scenario.historyCount(endpoint.id)).toBe(6);
  const statuses = await Promise.all(ids.map(async (id) => (await scenario.delivery(id)).status));
  expect(statuses).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);

  up = true;
  await eventually(async () => {
    const all = await Promise.all(ids.map((id) => scenario.delivery(id)));
    return all.every((d) => d.status === 'succeeded') ? all : undefined;
  }, 20000);
  const closed = (await scenario.getEndpoint(endpoint.id)).circuit;
  expect(closed).toEqual({
    state: 'closed',
    cause: null,
    lastError: null,
    openedAt: null,
    consecutiveFailures: 0,
    nextProbeAt: null,
  });
  // + the good probe + the four it released, each once.
  expect(receiver.requests).toHaveLength(11);
  const ok = receiver.requests.slice(6).map((r) => String(r.headers['webhook-id']));
  expect(new Set(ok)).toEqual(new Set(ids));
});

describe('nextCircuit', () => {
  const settings: BreakerSettings = { threshold: 3, cooldownMs: 1000 };
  const now = new Date('2026-01-01T00:00:00Z');
  const fail = (id: string, endedAt: number, cause = 'timeout') => ({
    deliveryId: id,
    success: false,
    cause,
    error: 'timeout after 1000 ms',
    endedAt,
  });
  const ok = (id: string, endedAt: number) => ({
    deliveryId: id,
    success: true,
    cause: null,
    error: null,
    endedAt,
  });

  test('counts in the order attempts ended; a success in between resets the count', () => {
    const change = nextCircuit(
      closedPacing('ep'),
      [fail('a', 1), ok('b', 2), fail('c', 3), fail('d', 4)],
      settings,
      now,
    );
    expect(change.opened).toBe(false);
    expect(change.pacing).toMatchObject({ circuitState: 'closed', consecutiveFailures: 2 });
  });

  test('workflow errors (our side) are not counted', () => {
    const change = nextCircuit(
      closedPacing('ep'),
      [fail('a', 1, 'workflow'), fail('b', 2, 'workflow'), fail('c', 3, 'workflow')],
      settings,
      now,
    );
    expect(change.pacing.consecutiveFailures).toBe(0);
  });

  test('the cool-down doubles per failed probe and stops at one hour', () => {
    let pacing = nextCircuit(
      closedPacing('ep'),
      [1, 2, 3].map((i) => fail(`d${i}`, i)),
      settings,
      now,
    ).pacing;
    const spans: number[] = [];
    for (let i = 0; i < 14; i++) {
      spans.push(pacing.nextProbeAt!.getTime() - pacing.openedAt!.getTime());
      pacing = nextCircuit(
        { ...pacing, circuitState: 'half_open', probeDeliveryId: 'probe' },
        [fail('probe', 10)],
        settings,
        now,
      ).pacing;
    }
    expect(spans.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(spans[13]).toBe(3_600_000);
  });

  test('half-open: only the probe decides; threshold 0 closes on any success', () => {
    const half = {
      ...closedPacing('ep'),
      circuitState: 'half_open' as const,
      probeDeliveryId: 'p',
    };
    expect(nextCircuit(half, [fail('other', 1)], settings, now).pacing.circuitState).toBe(
      'half_open',
    );
    expect(nextCircuit(half, [ok('p', 1)], settings, now)).toMatchObject({ closed: true });
    const open = { ...closedPacing('ep'), circuitState: 'open' as const };
    expect(nextCircuit(open, [ok('x', 1)], { ...settings, threshold: 0 }, now).closed).toBe(true);
  });
});

/**
 * What counts towards the circuit: failures of the endpoint itself, never one lead's rejected
 * payload. The outcomes are built from core's classification of real answers, as the worker does.
 */
describe("nextCircuit: the endpoint's failures count, a lead's rejected payload does not", () => {
  const settings: BreakerSettings = { threshold: 3, cooldownMs: 1000 };
  const now = new Date('2026-01-01T00:00:00Z');
  const hubSpotInvalidEmail = JSON.stringify({
    status: 'error',
    message: 'The request is not valid',
    errors: [{ message: "Error in 'fields.email'.", errorType: 'INVALID_EMAIL' }],
  });
  const outcome = (classified: Classification, id: string, endedAt: number): CircuitOutcome => ({
    deliveryId: id,
    success: classified.outcome === 'success',
    cause: classified.cause,
    error: classified.error,
    endedAt,
  });
  const answer = (statusCode: number, body?: string) => (id: string, endedAt: number) =>
    outcome(classifyResponse({ statusCode, headers: {}, body }), id, endedAt);
  const timeout = (id: string, endedAt: number) =>
    outcome(
      classifyNetworkError(Object.assign(new Error('t'), { code: 'ETIMEDOUT' }), 1000),
      id,
      endedAt,
    );
  const refused = (id: string, endedAt: number) =>
    outcome(
      classifyNetworkError(Object.assign(new Error('r'), { code: 'ECONNREFUSED' }), 1000),
      id,
      endedAt,
    );
  const times = (n: number, make: (id: string, endedAt: number) => CircuitOutcome) =>
    Array.from({ length: n }, (_, i) => make(`d${i}`, i + 1));

  test.each([
    ['400', answer(400)],
    ['422', answer(422, '{"error":"email is not valid"}')],
    ['HubSpot 400 INVALID_EMAIL', answer(400, hubSpotInvalidEmail)],
    ['409', answer(409)],
    ['413', answer(413)],
  ])('%s for more leads than the threshold: the circuit stays closed', (_name, make) => {
    const change = nextCircuit(closedPacing('ep'), times(10, make), settings, now);
    expect(change.opened).toBe(false);
    expect(change.pacing).toMatchObject({
      circuitState: 'closed',
      consecutiveFailures: 0,
      lastCause: null,
    });
    expect(circuitUnchanged(closedPacing('ep'), times(10, make))).toBe(true);
  });

  test.each([
    ['401', answer(401), 'http_4xx', 'HTTP 401 Unauthorized'],
    ['403', answer(403), 'http_4xx', 'HTTP 403 Forbidden'],
    ['404', answer(404), 'http_4xx', 'HTTP 404 Not Found'],
    ['405', answer(405), 'http_4xx', 'HTTP 405 Method Not Allowed'],
    ['410', answer(410), 'http_4xx', 'HTTP 410 Gone'],
    ['415', answer(415), 'http_4xx', 'HTTP 415 Unsupported Media Type'],
    ['408', answer(408), 'http_4xx', 'HTTP 408 Request Timeout'],
    ['429', answer(429), 'http_4xx', 'HTTP 429 Too Many Requests'],
    ['500', answer(500), 'http_5xx', 'HTTP 500 Internal Server Error'],
    ['301', answer(301), 'http_3xx', 'HTTP 301 Moved Permanently (redirect not followed)'],
    ['a timeout', timeout, 'timeout', 'timeout after 1000 ms'],
    ['a refused connection', refused, 'connect', 'connection refused'],
  ])('%s three times in a row opens the circuit', (_name, make, cause, error) => {
    const change = nextCircuit(closedPacing('ep'), times(3, make), settings, now);
    expect(change.opened).toBe(true);
    expect(change.pacing).toMatchObject({
      circuitState: 'open',
      consecutiveFailures: 3,
      lastCause: cause,
      lastError: error,
    });
  });

  test('a rejected payload between failures of the endpoint resets the count, as a success does', () => {
    const change = nextCircuit(
      closedPacing('ep'),
      [
        answer(500)('a', 1),
        timeout('b', 2),
        answer(422)('c', 3),
        answer(401)('d', 4),
        answer(404)('e', 5),
      ],
      settings,
      now,
    );
    expect(change.opened).toBe(false);
    expect(change.pacing).toMatchObject({
      circuitState: 'closed',
      consecutiveFailures: 2,
      lastCause: 'http_4xx',
      lastError: 'HTTP 404 Not Found',
    });
  });

  test('bad leads among good ones never add up: ten rejections, then endpoint failures count from zero', () => {
    const outcomes = [
      ...times(10, answer(400, hubSpotInvalidEmail)),
      answer(500)('x', 11),
      answer(500)('y', 12),
    ];
    const change = nextCircuit(closedPacing('ep'), outcomes, settings, now);
    expect(change.pacing).toMatchObject({ circuitState: 'closed', consecutiveFailures: 2 });
  });

  test('a half-open probe whose payload is rejected closes the circuit: the endpoint answered', () => {
    const half = {
      ...closedPacing('ep'),
      circuitState: 'half_open' as const,
      consecutiveFailures: 3,
      probeDeliveryId: 'p',
    };
    const change = nextCircuit(half, [answer(422)('p', 1)], settings, now);
    expect(change).toMatchObject({ closed: true, opened: false });
    expect(change.pacing).toMatchObject({ circuitState: 'closed', consecutiveFailures: 0 });
    // A probe answered 401 is the endpoint's failure: open again.
    expect(nextCircuit(half, [answer(401)('p', 1)], settings, now).pacing.circuitState).toBe(
      'open',
    );
  });
});
