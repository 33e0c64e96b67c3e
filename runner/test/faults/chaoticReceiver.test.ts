/**
 * Fault test (c): a chaotic receiver. Every delivery meets a seeded, reproducible mix of failures
 * before it is accepted: HTTP 500, a connection reset, or a hang past the endpoint's 1 s timeout.
 * The retry schedule (and the circuit breaker, which trips on the way) must bring every delivery
 * to succeeded within its attempts, and history must hold exactly the tries the receiver saw,
 * each with the outcome the receiver gave it.
 *
 * One deviation is allowed and counted: an answer the receiver gave at once recorded as a timeout.
 * The receiver and the worker share jest's process here; when that process stalls past the 1 s
 * deadline (coverage, a full GC on a loaded machine) between the worker's send and the
 * receiver's read, the deadline rightly ends the attempt first, and the next try is sent. That
 * try must then be the receiver's next answer, so the plan still holds try by try.
 */
import type { ServerResponse } from 'node:http';

import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db';
import { hashSeed, mulberry32 } from '../helpers/prng';
import { eventually, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, traced, TRACE_MAPPINGS } from '../helpers/scenario';

const SEED = 'lead-delivery-chaos-1';
const LEADS = 150;
const SCHEDULE = '100ms,200ms,300ms,400ms,500ms,600ms,700ms,800ms';
const MAX_ATTEMPTS = SCHEDULE.split(',').length + 1;

type Step = 'http_500' | 'reset' | 'hang' | 'ok';

/** The answers one delivery gets, in order: 0–4 failures of mixed kinds, then 200. */
function plan(key: string): Step[] {
  const random = mulberry32(hashSeed(`${SEED}|${key}`));
  const failures = Math.floor(random() * 5);
  const steps: Step[] = [];
  for (let i = 0; i < failures; i++) {
    const r = random();
    steps.push(r < 0.45 ? 'http_500' : r < 0.75 ? 'reset' : 'hang');
  }
  return [...steps, 'ok'];
}

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
const hung: ServerResponse[] = [];

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb, {
    RETRY_SCHEDULE: SCHEDULE,
    CIRCUIT_BREAKER_COOLDOWN: '200ms',
  });
  receiver = await startReceiver('/hook');
});

afterAll(async () => {
  await receiver.close();
  await runner.stop();
  await testDb.drop();
});

test('chaos: 300 deliveries through 500s, resets and hangs all succeed, every try recorded', async () => {
  const started = Date.now();
  const seen = new Map<string, number>();
  /** The answers the receiver gave each delivery (by webhook-id), in order. */
  const answered = new Map<string, Step[]>();
  receiver.reply((request, response) => {
    const key = `${request.path}|${traced(request.body).firstName}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const step = plan(key)[n] ?? 'ok';
    const id = String(request.headers['webhook-id']);
    answered.set(id, [...(answered.get(id) ?? []), step]);
    // No keep-alive: every request on a fresh connection, so a reset here hits exactly the
    // request the plan meant and no pooled socket carries one step's state into the next.
    response.shouldKeepAlive = false;
    if (step === 'http_500') response.writeHead(500).end('chaos');
    else if (step === 'reset') response.socket?.destroy();
    else if (step === 'hang') hung.push(response);
    else response.writeHead(200).end('ok');
  });
  const scenario = await createScenario(runner);
  const endpoints = await Promise.all(
    ['a', 'b'].map((name) =>
      scenario.createEndpoint({
        name,
        url: `${receiver.url}?e=${name}`,
        timeoutMs: 1000,
        fieldMappings: TRACE_MAPPINGS,
      }),
    ),
  );
  const expected = new Map<string, Step[]>(); // delivery id → its plan
  for (let i = 0; i < LEADS; i++) {
    const intake = await scenario.postLead({ firstName: `L${i}` });
    for (const delivery of intake.deliveries) {
      const name = endpoints.findIndex((e) => e.id === delivery.endpointId) === 0 ? 'a' : 'b';
      expected.set(delivery.id, plan(`/hook?e=${name}|L${i}`));
    }
  }
  expect(expected.size).toBe(2 * LEADS);

  const rows = await eventually(async () => {
    const result = await testDb.db.query<{ id: string; status: string; attempt_count: number }>(
      `SELECT id, status, attempt_count FROM deliveries WHERE NOT test`,
    );
    return result.rows.every((row) => row.status === 'succeeded') ? result.rows : undefined;
  }, 90_000);
  const tookMs = Date.now() - started;

  const plannedTries = [...expected.values()].reduce((sum, steps) => sum + steps.length, 0);
  expect(rows).toHaveLength(2 * LEADS);

  const attempts = await testDb.db.query<{
    delivery_id: string;
    attempt_number: number;
    status: string;
    http_status: number | null;
    error: string | null;
  }>(
    `SELECT delivery_id, attempt_number, status, http_status, error FROM attempts
      ORDER BY attempt_number`,
  );
  const kindOf = (row: (typeof attempts.rows)[number]): Step => {
    if (row.status === 'success') return 'ok';
    if (row.http_status === 500) return 'http_500';
    if (row.error === 'timeout after 1000 ms') return 'hang';
    return 'reset';
  };
  const recorded = new Map<string, Step[]>();
  for (const row of attempts.rows) {
    recorded.set(row.delivery_id, [...(recorded.get(row.delivery_id) ?? []), kindOf(row)]);
  }
  // Tries whose immediate answer the stalled process read only after the deadline (see the top):
  // recorded as a timeout, answered at once, and not the last try.
  const isStall = (id: string, i: number) => {
    const steps = recorded.get(id) ?? [];
    return steps[i] === 'hang' && answered.get(id)?.[i] === 'ok' && i < steps.length - 1;
  };
  const stalled = new Map<string, number>();
  for (const [id, steps] of recorded) {
    const count = steps.filter((_, i) => isStall(id, i)).length;
    if (count > 0) stalled.set(id, count);
  }
  // History holds exactly the tries the receiver saw, each as it was answered.
  const asRecorded = new Map(
    [...answered].map(([id, steps]) => [
      id,
      steps.map((step, i) => (isStall(id, i) ? 'hang' : step)),
    ]),
  );
  expect(recorded).toEqual(asRecorded);
  // The receiver followed each plan try by try: a stalled try only repeats its answer.
  const planWithStalls = new Map(
    [...expected].map(([id, steps]) => [
      id,
      [...steps, ...Array<Step>(stalled.get(id) ?? 0).fill('ok')],
    ]),
  );
  const offPlan = rows.filter(
    (row) =>
      row.attempt_count !== planWithStalls.get(row.id)!.length ||
      JSON.stringify(answered.get(row.id)) !== JSON.stringify(planWithStalls.get(row.id)),
  );
  if (offPlan.length > 0) {
    // What each such delivery went through, to tell a try the receiver never saw from a repeat.
    const { rows: tries } = await testDb.db.query(
      `SELECT delivery_id, attempt_number, status, http_status, error, duration_ms FROM attempts
        WHERE delivery_id = ANY($1::text[]) ORDER BY delivery_id, attempt_number`,
      [offPlan.map((row) => row.id)],
    );
    throw new Error(
      `deliveries off their plan: ${JSON.stringify(
        offPlan.map((row) => ({ ...row, plan: expected.get(row.id) })),
      )}; their attempts: ${JSON.stringify(tries)}; receiver requests: ${
        receiver.requests.length
      } of ${plannedTries} planned`,
    );
  }
  for (const row of rows) expect(row.attempt_count).toBeLessThanOrEqual(MAX_ATTEMPTS);
  const stalls = [...stalled.values()].reduce((sum, n) => sum + n, 0);
  expect(receiver.requests).toHaveLength(plannedTries + stalls);
  expect(attempts.rows).toHaveLength(plannedTries + stalls);
  const count = (step: Step) => [...expected.values()].flat().filter((s) => s === step).length;
  process.stderr.write(
    `chaos: ${2 * LEADS} deliveries, ${plannedTries} tries (${count('http_500')} × 500, ` +
      `${count('reset')} resets, ${count('hang')} hangs) all recorded; ${stalls} answers read ` +
      `after the deadline by a stalled process; done in ${tookMs} ms\n`,
  );
}, 120_000);
