/**
 * Fault test (c): a chaotic receiver. Every delivery meets a seeded, reproducible mix of failures
 * before it is accepted: HTTP 500, a connection reset, or a hang past the endpoint's 1 s timeout.
 * The retry schedule (and the circuit breaker, which trips on the way) must bring every delivery
 * to succeeded within its attempts, and history must hold exactly the tries the receiver saw.
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
  receiver.reply((request, response) => {
    const key = `${request.path}|${traced(request.body).firstName}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const step = plan(key)[n] ?? 'ok';
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
  const offPlan = rows.filter((row) => row.attempt_count !== expected.get(row.id)!.length);
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
  expect(receiver.requests).toHaveLength(plannedTries);

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
  expect(attempts.rows).toHaveLength(plannedTries);
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
  expect(recorded).toEqual(expected);
  const count = (step: Step) => [...expected.values()].flat().filter((s) => s === step).length;
  process.stderr.write(
    `chaos: ${2 * LEADS} deliveries, ${plannedTries} tries (${count('http_500')} × 500, ` +
      `${count('reset')} resets, ${count('hang')} hangs) all recorded; done in ${tookMs} ms\n`,
  );
}, 120_000);
