/**
 * The circuit breaker's scope end to end (issue 18): a receiver that refuses some leads' payloads
 * (422 for a bad email) fails those leads alone and keeps receiving the others; a receiver that
 * refuses our credentials (401 for everything) pauses the endpoint, and its leads wait instead of
 * failing (a 401 is retried: the seller corrects the credential).
 *
 * The cool-down is an hour, so a circuit that opened would hold the good leads for the whole test:
 * whether they arrive says whether it opened, without any assumption about timing.
 */
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, type DeliveryBody, type Scenario } from '../helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
let scenario: Scenario;
const receivers: Receiver[] = [];

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb, {
    RETRY_SCHEDULE: '100ms,100ms,100ms',
    CIRCUIT_BREAKER_THRESHOLD: '3',
    CIRCUIT_BREAKER_COOLDOWN: '1h',
  });
});

// A seller of its own per test: every lead goes to all of a seller's endpoints.
beforeEach(async () => {
  scenario = await createScenario(runner);
});

afterAll(async () => {
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await runner.stop();
  await testDb.drop();
});

async function receiver(): Promise<Receiver> {
  const started = await startReceiver('/hook');
  receivers.push(started);
  return started;
}

const MAPPINGS = [
  { field: 'firstName', output: 'firstName' },
  { field: 'email', output: 'email' },
];

/** Waits until every delivery has ended (succeeded or failed for good) and returns them. */
async function settled(ids: readonly string[]): Promise<DeliveryBody[]> {
  return eventually(async () => {
    const all = await Promise.all(ids.map((id) => scenario.delivery(id)));
    return all.every((d) => d.status === 'succeeded' || d.status === 'failed') ? all : undefined;
  });
}

test('leads the CRM refuses for their data fail alone; the good leads after them are delivered', async () => {
  const crm = await receiver();
  // A CRM that validates each lead: an address at bounce.example is refused, as HubSpot refuses
  // an INVALID_EMAIL, and every other lead is taken.
  crm.reply((request, response) => {
    const { email } = JSON.parse(request.body) as { email: string };
    if (email.endsWith('@bounce.example')) {
      response.writeHead(422, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ errors: [{ message: 'Email is not valid', errorType: 'INVALID_EMAIL' }] }),
      );
    } else {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }
  });
  const endpoint = await scenario.createEndpoint({ url: crm.url, fieldMappings: MAPPINGS });

  // Five bad leads, more than the threshold of three, each delivered and refused in turn.
  const bad: string[] = [];
  for (let i = 0; i < 5; i++) {
    const intake = await scenario.postLead({
      firstName: `Bad${i}`,
      email: `lead${i}@bounce.example`,
    });
    bad.push(intake.deliveries[0].id);
  }
  const refused = await settled(bad);
  expect(refused.map((d) => d.status)).toEqual(Array(5).fill('failed'));
  expect(refused.map((d) => d.lastError)).toEqual(
    Array(5).fill('HTTP 422 Unprocessable Entity: INVALID_EMAIL (the email address is not valid)'),
  );

  // Then good leads: sent at once, not held behind a paused endpoint.
  const good: string[] = [];
  for (let i = 0; i < 2; i++) {
    const intake = await scenario.postLead({ firstName: `Good${i}`, email: `lead${i}@ok.example` });
    good.push(intake.deliveries[0].id);
  }
  const delivered = await settled(good);
  expect(delivered.map((d) => d.status)).toEqual(['succeeded', 'succeeded']);

  // The receiver saw the five bad leads once each, then the two good ones.
  const seen = crm.requests.map((r) => String(r.headers['webhook-id']));
  expect(new Set(seen.slice(0, 5))).toEqual(new Set(bad));
  expect(new Set(seen.slice(5))).toEqual(new Set(good));
  expect(seen).toHaveLength(7);
  const circuit = (await scenario.getEndpoint(endpoint.id)).circuit;
  expect(circuit).toEqual({
    state: 'closed',
    cause: null,
    lastError: null,
    openedAt: null,
    consecutiveFailures: 0,
    nextProbeAt: null,
  });
});

test('an endpoint that refuses our credentials (401 for everything) is paused; its leads wait for the fix', async () => {
  const crm = await receiver();
  // The CRM takes only the right key; the seller first set a mistyped one.
  crm.reply((request, response) => {
    if (request.headers['x-api-key'] === 'right-key-0000') {
      response.writeHead(200).end('{"ok":true}');
    } else {
      response.writeHead(401).end('{"message":"invalid api key"}');
    }
  });
  const endpoint = await scenario.createEndpoint({
    url: crm.url,
    fieldMappings: MAPPINGS,
    headers: [{ name: 'X-Api-Key', value: 'wrong-key-0000' }],
  });

  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    ids.push((await scenario.postLead({ firstName: `Lead${i}` })).deliveries[0].id);
  }
  const opened = await eventually(async () => {
    const body = await scenario.getEndpoint(endpoint.id);
    return body.circuit.state === 'open' ? body.circuit : undefined;
  });
  expect(opened).toMatchObject({
    cause: 'http_4xx',
    lastError: 'HTTP 401 Unauthorized',
    consecutiveFailures: 3,
  });

  // A 401 is the endpoint's setting, not the lead's: retried, so no lead failed for good; the
  // open circuit holds them (no attempts used) until the seller fixes the credential.
  const waiting = await Promise.all(ids.map((id) => scenario.delivery(id)));
  expect(waiting.map((d) => d.status)).toEqual(['pending', 'pending', 'pending']);

  // The seller corrects the key: new headers reset the circuit (its cool-down here is an hour),
  // and every held lead goes out.
  const patched = await scenario.call('PATCH', `/v1/endpoints/${endpoint.id}`, {
    headers: [{ name: 'X-Api-Key', value: 'right-key-0000' }],
  });
  expect(patched.status).toBe(200);
  const delivered = await settled(ids);
  expect(delivered.map((d) => d.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  expect((await scenario.getEndpoint(endpoint.id)).circuit.state).toBe('closed');
});

test('a credential the seller fixes within the retry window loses no lead', async () => {
  const crm = await receiver();
  // Refused twice (the seller's token mistyped), then taken (the seller fixed it).
  let answered = 0;
  crm.reply((_request, response) => {
    answered += 1;
    if (answered <= 2) response.writeHead(401).end('{"message":"invalid api key"}');
    else response.writeHead(200).end('{"ok":true}');
  });
  await scenario.createEndpoint({ url: crm.url, fieldMappings: MAPPINGS });
  const id = (await scenario.postLead({ firstName: 'Kept' })).deliveries[0].id;

  const [delivered] = await settled([id]);
  expect(delivered.status).toBe('succeeded');
  // The same delivery each time (same webhook-id), first refused and then taken.
  expect(crm.requests.map((r) => String(r.headers['webhook-id']))).toEqual([id, id, id]);
});
