/**
 * R4–R7 end to end: real API, pg-boss worker, n8n-core engine, PostgreSQL and local receivers.
 */
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { verifySignature } from '../../../core/signing';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, readJson, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, type Scenario } from '../helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
let scenario: Scenario;
let apiKey: string;

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb);
});

afterAll(async () => {
  await runner.stop();
  await testDb.drop();
});

beforeEach(async () => {
  receiver = await startReceiver('/hook');
  scenario = await createScenario(runner, 'Acme Seller');
  apiKey = scenario.apiKey;
});

afterEach(async () => {
  await receiver.close();
});

/** An endpoint to this test's receiver (the scenario checks the 201). */
async function createEndpoint(overrides: Record<string, unknown> = {}) {
  const endpoint = await scenario.createEndpoint({ url: receiver.url, ...overrides });
  return endpoint as typeof endpoint & { signingSecret: string };
}

const postLead = (lead: Record<string, unknown> = {}) => scenario.postLead(lead);

async function history(endpointId: string, query = '') {
  const response = await runner.seller(
    apiKey,
    'GET',
    `/v1/endpoints/${endpointId}/history${query}`,
  );
  expect(response.status).toBe(200);
  return (await response.json()) as {
    items: Array<Record<string, unknown>>;
    nextCursor: string | null;
  };
}

async function attemptsOf(endpointId: string, count: number) {
  return eventually(async () => {
    const page = await history(endpointId);
    return page.items.length >= count ? page.items : undefined;
  });
}

test('R5: a new lead arrives signed, with webhook-id = delivery id, and is recorded as success', async () => {
  const endpoint = await createEndpoint();
  const intake = await postLead();
  expect(intake.deliveries).toEqual([
    { id: expect.stringMatching(/^msg_/), endpointId: endpoint.id, messageType: 'new_lead' },
  ]);
  const [request] = await receiver.waitFor(1);
  expect(JSON.parse(request.body)).toEqual({
    messageType: 'new_lead',
    firstName: 'Jane',
    lastName: 'Doe',
    email: 'jane@example.com',
    phone: null,
  });
  expect(request.headers['webhook-id']).toBe(intake.deliveries[0].id);
  expect(
    verifySignature({
      body: request.body,
      headers: request.headers as Record<string, string>,
      secrets: [endpoint.signingSecret],
    }),
  ).toEqual({ ok: true });

  const [attempt] = await attemptsOf(endpoint.id, 1);
  expect(attempt).toMatchObject({
    deliveryId: intake.deliveries[0].id,
    endpointId: endpoint.id,
    leadId: intake.leadId,
    messageType: 'new_lead',
    test: false,
    attempt: 1,
    status: 'success',
    httpStatus: 200,
    error: null,
  });
});

test('R5: fails twice then succeeds: three attempts, one webhook-id', async () => {
  let calls = 0;
  receiver.reply((_request, response) => {
    calls += 1;
    response.writeHead(calls <= 2 ? 500 : 200).end(calls <= 2 ? 'boom' : 'ok');
  });
  const endpoint = await createEndpoint();
  const intake = await postLead();
  await receiver.waitFor(3);
  const items = await attemptsOf(endpoint.id, 3);
  expect(items.map((item) => [item.attempt, item.status, item.httpStatus])).toEqual([
    [3, 'success', 200],
    [2, 'failure', 500],
    [1, 'failure', 500],
  ]);
  expect(items[2].error).toBe('HTTP 500 Internal Server Error');
  expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(
    new Set([intake.deliveries[0].id]),
  );
});

test('R5: a 4xx other than 408/425/429 fails at once: one attempt, failed', async () => {
  receiver.reply((_request, response) => response.writeHead(422).end('{"error":"bad"}'));
  const endpoint = await createEndpoint();
  await postLead();
  const [attempt] = await attemptsOf(endpoint.id, 1);
  expect(attempt).toMatchObject({ status: 'failure', httpStatus: 422, attempt: 1 });
  expect(attempt.responseExcerpt).toBe('{"error":"bad"}');
  // No second try comes: the delivery is failed for good.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(receiver.requests).toHaveLength(1);
  expect((await history(endpoint.id)).items).toHaveLength(1);
});

test('R5: Retry-After is honoured over a shorter schedule', async () => {
  receiver.reply((request, response) => {
    if (receiver.requests.length === 1) response.writeHead(429, { 'retry-after': '1' }).end();
    else response.writeHead(200).end('ok');
  });
  await createEndpoint();
  await postLead();
  const [first, second] = await receiver.waitFor(2);
  expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1000);
});

test('R5/R6: a slow receiver is recorded as "timeout after N ms"', async () => {
  receiver.reply(() => {
    // never answers
  });
  const endpoint = await createEndpoint({ timeoutMs: 1000 });
  await postLead();
  const [attempt] = await attemptsOf(endpoint.id, 1);
  expect(attempt).toMatchObject({
    status: 'failure',
    httpStatus: null,
    error: 'timeout after 1000 ms',
  });
});

test('R5: a failed delivery is resent by hand', async () => {
  let accept = false;
  receiver.reply((_request, response) => response.writeHead(accept ? 200 : 400).end());
  const endpoint = await createEndpoint();
  const intake = await postLead();
  await attemptsOf(endpoint.id, 1);
  accept = true;
  const resend = await runner.seller(
    apiKey,
    'POST',
    `/v1/deliveries/${intake.deliveries[0].id}/resend`,
  );
  expect(resend.status).toBe(202);
  const items = await attemptsOf(endpoint.id, 2);
  expect(items[0]).toMatchObject({ status: 'success', httpStatus: 200 });
  expect(receiver.requests[1].headers['webhook-id']).toBe(intake.deliveries[0].id);
  // Succeeded, it can be sent again too (a receiver that lost it): same webhook-id, attempt #3.
  const again = await runner.seller(
    apiKey,
    'POST',
    `/v1/deliveries/${intake.deliveries[0].id}/resend`,
  );
  expect(again.status).toBe(202);
  const after = await attemptsOf(endpoint.id, 3);
  expect(after[0]).toMatchObject({ status: 'success', attempt: 3 });
  expect(receiver.requests[2].headers['webhook-id']).toBe(intake.deliveries[0].id);
});

test('R7: Send test goes through the real path and is recorded as a test', async () => {
  const endpoint = await createEndpoint({
    fieldMappings: [
      { field: 'firstName', output: 'contact.name.first' },
      { field: 'email', output: 'contact.email' },
    ],
    constants: [{ key: 'source', value: 'top-provider' }],
    headers: [{ name: 'X-Api-Key', value: 'secret-token-1234567890' }],
  });
  const response = await runner.seller(apiKey, 'POST', `/v1/endpoints/${endpoint.id}/test`);
  expect(response.status).toBe(200);
  const result = await readJson<{ payload: string }>(response);
  expect(result).toMatchObject({ success: true, httpStatus: 200, error: null });
  const [request] = await receiver.waitFor(1);
  expect(result.payload).toBe(request.body);
  expect(JSON.parse(request.body)).toEqual({
    messageType: 'new_lead',
    contact: { name: { first: 'Jane' }, email: 'jane@example.com' },
    source: 'top-provider',
  });
  expect(request.headers['x-api-key']).toBe('secret-token-1234567890');
  const [attempt] = (await history(endpoint.id)).items;
  expect(attempt).toMatchObject({ test: true, status: 'success' });
  expect(JSON.stringify(attempt.requestHeaders)).not.toContain('secret-token-1234567890');
});

test('R4: a meeting request re-delivers the lead as lead_update with both meeting fields', async () => {
  const endpoint = await createEndpoint({
    type: 'both',
    fieldMappings: [
      { field: 'firstName', output: 'firstName' },
      { field: 'lastName', output: 'lastName' },
      { field: 'email', output: 'email' },
      { field: 'requestedMeetingTime', output: 'requestedMeetingTime' },
      { field: 'formattedRequestedMeetingTime', output: 'formattedRequestedMeetingTime' },
    ],
  });
  const intake = await postLead({ timeZone: 'America/New_York' });
  await receiver.waitFor(1);
  const meeting = await runner.provider(`/v1/leads/${intake.leadId}/meeting`, {
    requestedMeetingTime: '2026-04-22T15:45:00-04:00',
  });
  expect(meeting.status).toBe(202);
  const update = await readJson<{ deliveries: unknown[] }>(meeting);
  expect(update.deliveries).toEqual([
    { id: expect.any(String), endpointId: endpoint.id, messageType: 'lead_update' },
  ]);
  const [, second] = await receiver.waitFor(2);
  expect(second.body).toBe(
    JSON.stringify({
      messageType: 'lead_update',
      firstName: 'Jane',
      lastName: 'Doe',
      email: 'jane@example.com',
      requestedMeetingTime: '2026-04-22T19:45:00+00:00',
      formattedRequestedMeetingTime: 'Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time',
    }),
  );
});

test('R5: a disabled endpoint holds its deliveries and sends them when enabled again', async () => {
  const endpoint = await createEndpoint({ enabled: false });
  await postLead();
  await new Promise((resolve) => setTimeout(resolve, 700));
  expect(receiver.requests).toHaveLength(0);
  const enable = await runner.seller(apiKey, 'PATCH', `/v1/endpoints/${endpoint.id}`, {
    enabled: true,
  });
  expect(enable.status).toBe(200);
  await receiver.waitFor(1);
  const [attempt] = await attemptsOf(endpoint.id, 1);
  expect(attempt).toMatchObject({ status: 'success', attempt: 1 });
});

test('an endpoint edited between two leads: the next delivery goes out with its new settings', async () => {
  const endpoint = await createEndpoint({ headers: [{ name: 'X-Team', value: 'blue' }] });
  await postLead();
  const [first] = await receiver.waitFor(1);
  expect(first.headers['x-team']).toBe('blue');

  const moved = await startReceiver('/moved');
  try {
    const edit = await runner.seller(apiKey, 'PATCH', `/v1/endpoints/${endpoint.id}`, {
      url: moved.url,
      headers: [{ name: 'X-Team', value: 'green' }],
    });
    expect(edit.status).toBe(200);
    await postLead({ firstName: 'June' });
    const [second] = await moved.waitFor(1);
    expect(second.headers['x-team']).toBe('green');
    expect(JSON.parse(second.body)).toMatchObject({ firstName: 'June' });
    expect(receiver.requests).toHaveLength(1);
  } finally {
    await moved.close();
  }
});
