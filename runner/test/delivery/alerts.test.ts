/**
 * Issue 20 point 7: alerts to the seller's alert URL, through the API and the real worker, to
 * real local receivers: the setting (R9-checked, secret shown once), a test alert, a delivery that
 * fails for good, a circuit that opens and recovers, each signed with the seller's alert secret;
 * and a hanging alert URL holds back neither the seller's leads nor another seller's alerts.
 */
import type { ServerResponse } from 'node:http';
import { verifySignature } from '../../../core/signing.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { testResolver } from '../helpers/dns.js';
import { eventually, readJson, startTestRunner, type TestRunner } from '../helpers/runner.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';

let testDb: TestDb;
let runner: TestRunner;
/** The DNS the R9 guard sees, at save and at connection time; a test may change its answers. */
const dns = testResolver();
const receivers: Receiver[] = [];

async function receiver(): Promise<Receiver> {
  const started = await startReceiver();
  receivers.push(started);
  return started;
}

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(
    testDb,
    {
      CIRCUIT_BREAKER_THRESHOLD: '2',
      CIRCUIT_BREAKER_COOLDOWN: '1s',
      RETRY_SCHEDULE: '100ms,100ms',
    },
    { resolve: dns },
  );
});
afterAll(async () => {
  for (const r of receivers) await r.close();
  await runner.stop();
  await testDb.drop();
});

interface AlertBody {
  type: string;
  timestamp: string;
  data: Record<string, unknown> & {
    endpoint?: { id: string; name: string; url: string };
    delivery?: { id: string; leadId: string; attempts: number; lastError: string | null };
    circuit?: { state: string; consecutiveFailures?: number };
  };
}

async function alertsOn(scenario: Scenario, url: string): Promise<string> {
  const res = await scenario.call('PATCH', '/v1/alerts', { url });
  expect(res.status).toBe(200);
  const body = await readJson<{ signingSecret?: string }>(res);
  expect(body.signingSecret).toMatch(/^whsec_/);
  return body.signingSecret!;
}

function verified(request: ReceivedRequest, secret: string): AlertBody {
  expect(
    verifySignature({ body: request.body, headers: request.headers, secrets: [secret] }),
  ).toEqual({ ok: true });
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers['webhook-id']).toMatch(/^alert_/);
  return JSON.parse(request.body) as AlertBody;
}

const refuse400 = (_request: ReceivedRequest, response: ServerResponse) => {
  response.writeHead(400, { 'content-type': 'application/json' });
  response.end('{"error":"bad lead"}');
};

test('the alert URL is R9-checked, its secret shown once; a test alert arrives signed', async () => {
  const scenario = await createScenario(runner, 'Alert settings');
  const inbox = await receiver();
  expect(await readJson(await scenario.call('GET', '/v1/alerts'))).toEqual({
    url: null,
    signingSecretPrefix: null,
    types: ['circuit.opened', 'delivery.failed', 'endpoint.recovered', 'alert.test'],
  });
  // No URL yet: nothing to test.
  expect((await scenario.call('POST', '/v1/alerts/test')).status).toBe(409);
  // A private address is refused by the same guard as endpoint URLs, naming the field.
  const refused = await scenario.call('PATCH', '/v1/alerts', { url: 'http://10.0.0.5/alerts' });
  expect(refused.status).toBe(400);
  const problem = await readJson<{ error: { details: Array<{ path: string; message: string }> } }>(
    refused,
  );
  expect(problem.error.details).toEqual([
    { path: 'url', message: expect.stringContaining('10.0.0.5') },
  ]);

  const secret = await alertsOn(scenario, inbox.url);
  // Set again: the secret stays, and is not shown again.
  const again = await readJson<Record<string, unknown>>(
    await scenario.call('PATCH', '/v1/alerts', { url: inbox.url }),
  );
  expect(again).toEqual({
    url: inbox.url,
    signingSecretPrefix: `${secret.slice(0, 10)}…`,
    types: expect.any(Array),
  });

  const sent = await readJson<{ success: boolean; httpStatus: number; payload: string }>(
    await scenario.call('POST', '/v1/alerts/test'),
  );
  expect(sent).toEqual(expect.objectContaining({ success: true, httpStatus: 200 }));
  const [request] = await inbox.waitFor(1);
  const alert = verified(request, secret);
  expect(alert.type).toBe('alert.test');
  expect(request.body).toBe(sent.payload);

  // Rotation: the new secret signs from then on.
  const rotated = await readJson<{ signingSecret: string }>(
    await scenario.call('POST', '/v1/alerts/secret/rotate'),
  );
  expect(rotated.signingSecret).not.toBe(secret);
  await scenario.call('POST', '/v1/alerts/test');
  const [, second] = await inbox.waitFor(2);
  verified(second, rotated.signingSecret);

  // Off: null clears the URL.
  const off = await readJson<{ url: string | null }>(
    await scenario.call('PATCH', '/v1/alerts', { url: null }),
  );
  expect(off.url).toBeNull();
});

test('a delivery that fails for good is alerted, with its endpoint and error', async () => {
  const scenario = await createScenario(runner, 'Failing seller');
  const inbox = await receiver();
  const crm = await receiver();
  crm.reply(refuse400);
  const secret = await alertsOn(scenario, inbox.url);
  const endpoint = await scenario.createEndpoint({ url: crm.url, name: 'Picky CRM' });
  const intake = await scenario.postLead({ firstName: 'Refused' });
  const [request] = await inbox.waitFor(1);
  const alert = verified(request, secret);
  expect(alert).toEqual({
    type: 'delivery.failed',
    timestamp: expect.stringMatching(/\+00:00$/),
    data: {
      endpoint: { id: endpoint.id, name: 'Picky CRM', url: crm.url },
      delivery: {
        id: intake.deliveries[0].id,
        leadId: intake.leadId,
        messageType: 'new_lead',
        attempts: 1,
        lastHttpStatus: 400,
        lastError: 'HTTP 400 Bad Request',
      },
      message: expect.stringContaining('failed for good'),
    },
  });
  // A Send test that fails is the seller looking at it: no alert.
  await scenario.call('POST', `/v1/endpoints/${endpoint.id}/test`);
  await scenario.postLead({ firstName: 'Second' });
  const [, next] = await inbox.waitFor(2);
  expect(JSON.parse(next.body).data.delivery.leadId).not.toBe(intake.leadId);
  expect(inbox.requests.map((r) => JSON.parse(r.body).type)).toEqual([
    'delivery.failed',
    'delivery.failed',
  ]);
});

test('a circuit that opens is alerted once, and its recovery after', async () => {
  const scenario = await createScenario(runner, 'Flaky seller');
  const inbox = await receiver();
  const crm = await receiver();
  let up = false;
  crm.reply((_request, response) => {
    response.writeHead(up ? 200 : 503, { 'content-type': 'application/json' });
    response.end('{}');
  });
  const secret = await alertsOn(scenario, inbox.url);
  const endpoint = await scenario.createEndpoint({ url: crm.url, name: 'Flaky CRM' });
  await scenario.postLead({ firstName: 'One' });
  await scenario.postLead({ firstName: 'Two' });
  const [opened] = await inbox.waitFor(1);
  const alert = verified(opened, secret);
  expect(alert.type).toBe('circuit.opened');
  expect(alert.data.endpoint).toEqual({ id: endpoint.id, name: 'Flaky CRM', url: crm.url });
  expect(alert.data.circuit).toEqual(
    expect.objectContaining({ state: 'open', cause: 'http_5xx', consecutiveFailures: 2 }),
  );
  up = true;
  const [, recovered] = await inbox.waitFor(2);
  expect(verified(recovered, secret).type).toBe('endpoint.recovered');
  // Both leads are delivered after the recovery; no delivery failed, so no other alert.
  await eventually(async () =>
    crm.requests.filter((_, i) => i >= 2).length >= 2 ? true : undefined,
  );
  expect(inbox.requests.map((r) => JSON.parse(r.body).type)).toEqual([
    'circuit.opened',
    'endpoint.recovered',
  ]);
});

test("a hanging alert URL holds back neither the seller's leads nor another seller's alerts", async () => {
  const hanging = await receiver();
  hanging.reply(() => {}); // never answers
  const a = await createScenario(runner, 'Seller with a hanging alert URL');
  await alertsOn(a, hanging.url);
  const aCrm = await receiver();
  aCrm.reply(refuse400);
  await a.createEndpoint({ url: aCrm.url, name: 'A refusing CRM' });
  await a.postLead({ firstName: 'A1' });
  await a.postLead({ firstName: 'A2' });
  // A's first alert is in flight, and hangs.
  await hanging.waitFor(1);

  // Meanwhile A's leads to a good endpoint go out.
  const aGood = await receiver();
  await a.createEndpoint({ url: aGood.url, name: 'A good CRM' });
  await a.postLead({ firstName: 'A3' });
  await aGood.waitFor(1);

  // And another seller's alert arrives while A's still hangs.
  const b = await createScenario(runner, 'Other seller');
  const bInbox = await receiver();
  const bSecret = await alertsOn(b, bInbox.url);
  const bCrm = await receiver();
  bCrm.reply(refuse400);
  await b.createEndpoint({ url: bCrm.url, name: 'B refusing CRM' });
  await b.postLead({ firstName: 'B1' });
  const [bAlert] = await bInbox.waitFor(1);
  expect(verified(bAlert, bSecret).type).toBe('delivery.failed');
  // A's alerts go one at a time: the second waits behind the first, which is still unanswered.
  expect(hanging.requests).toHaveLength(1);
});

test('an alert URL whose name turns private after it was saved is refused when sending (R9)', async () => {
  const scenario = await createScenario(runner, 'Rebinding seller');
  dns.table['alerts.rebind.example'] = ['93.184.215.14'];
  await alertsOn(scenario, 'http://alerts.rebind.example/in');
  // The name now resolves to a private address: the connection-time guard refuses it.
  dns.table['alerts.rebind.example'] = ['10.0.0.5'];
  const sent = await readJson<{ success: boolean; error: string }>(
    await scenario.call('POST', '/v1/alerts/test'),
  );
  expect(sent.success).toBe(false);
  expect(sent.error).toMatch(/^blocked: 10\.0\.0\.5 is a private address/);
});
