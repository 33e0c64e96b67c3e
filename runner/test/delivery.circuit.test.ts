/**
 * The circuit breaker end to end: consecutive failures pause an endpoint with their cause (shown
 * in the API); while paused nothing is sent and nothing is dropped; a failed probe re-opens with a
 * doubled cool-down; a successful one closes the circuit and sends what was held.
 */
import { nextCircuit, type BreakerSettings } from '../src/worker/circuitBreaker';
import { closedFlow } from '../src/store/flow';
import { startReceiver, type Receiver } from '../../test/helpers/receiver';
import { createTestDb, type TestDb } from './helpers/db';
import { eventually, startTestRunner, type TestRunner } from './helpers/runner';
import { createScenario, type EndpointBody, type Scenario } from './helpers/scenario';

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
      closedFlow('ep'),
      [fail('a', 1), ok('b', 2), fail('c', 3), fail('d', 4)],
      settings,
      now,
    );
    expect(change.opened).toBe(false);
    expect(change.flow).toMatchObject({ circuitState: 'closed', consecutiveFailures: 2 });
  });

  test('workflow errors (our side) are not counted', () => {
    const change = nextCircuit(
      closedFlow('ep'),
      [fail('a', 1, 'workflow'), fail('b', 2, 'workflow'), fail('c', 3, 'workflow')],
      settings,
      now,
    );
    expect(change.flow.consecutiveFailures).toBe(0);
  });

  test('the cool-down doubles per failed probe and stops at one hour', () => {
    let flow = nextCircuit(
      closedFlow('ep'),
      [1, 2, 3].map((i) => fail(`d${i}`, i)),
      settings,
      now,
    ).flow;
    const spans: number[] = [];
    for (let i = 0; i < 14; i++) {
      spans.push(flow.nextProbeAt!.getTime() - flow.openedAt!.getTime());
      flow = nextCircuit(
        { ...flow, circuitState: 'half_open', probeDeliveryId: 'probe' },
        [fail('probe', 10)],
        settings,
        now,
      ).flow;
    }
    expect(spans.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(spans[13]).toBe(3_600_000);
  });

  test('half-open: only the probe decides; threshold 0 closes on any success', () => {
    const half = { ...closedFlow('ep'), circuitState: 'half_open' as const, probeDeliveryId: 'p' };
    expect(nextCircuit(half, [fail('other', 1)], settings, now).flow.circuitState).toBe(
      'half_open',
    );
    expect(nextCircuit(half, [ok('p', 1)], settings, now)).toMatchObject({ closed: true });
    const open = { ...closedFlow('ep'), circuitState: 'open' as const };
    expect(nextCircuit(open, [ok('x', 1)], { ...settings, threshold: 0 }, now).closed).toBe(true);
  });
});
