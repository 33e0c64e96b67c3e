/**
 * Replay (failed deliveries of an endpoint over a time range, sent again) and backfill (past leads
 * to a newly added endpoint, never twice), end to end and seller-scoped.
 */
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, readJson, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, traced, TRACE_MAPPINGS, type Scenario } from '../helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
let scenario: Scenario;

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
  scenario = await createScenario(runner);
});

afterEach(async () => {
  await receiver.close();
});

async function statuses(ids: string[]) {
  return Promise.all(ids.map(async (id) => (await scenario.delivery(id)).status));
}

const until = async (ids: string[], status: string) =>
  eventually(async () => ((await statuses(ids)).every((s) => s === status) ? true : undefined));

test('replay: the failed deliveries of a time range go out again; nothing else does', async () => {
  let accept = false;
  receiver.reply((_request, response) => response.writeHead(accept ? 200 : 422).end());
  const endpoint = await scenario.createEndpoint({ url: receiver.url });
  const before = new Date(Date.now() - 1000).toISOString();
  const failed: string[] = [];
  for (let i = 0; i < 3; i++) {
    failed.push((await scenario.postLead({ firstName: `F${i}` })).deliveries[0].id);
  }
  await until(failed, 'failed');
  const between = new Date().toISOString();
  accept = true;
  const later = (await scenario.postLead({ firstName: 'Later' })).deliveries[0].id;
  await until([later], 'succeeded');

  const path = `/v1/endpoints/${endpoint.id}/replay`;
  const none = await scenario.call('POST', path, { status: 'failed', from: between });
  expect(none.status).toBe(202);
  expect(await none.json()).toEqual({ count: 0 });

  const replay = await scenario.call('POST', path, { status: 'failed', from: before });
  expect(replay.status).toBe(202);
  expect(await replay.json()).toEqual({ count: 3 });
  await until(failed, 'succeeded');
  // 3 refused + 1 later + 3 replayed, each replayed one once.
  expect(receiver.requests).toHaveLength(7);
  const replayed = receiver.requests.slice(4).map((r) => String(r.headers['webhook-id']));
  expect(new Set(replayed)).toEqual(new Set(failed));
  const again = await scenario.call('POST', path, { status: 'failed', from: before });
  expect(await again.json()).toEqual({ count: 0 });
});

test('replay: validated, and another seller gets 404', async () => {
  const endpoint = await scenario.createEndpoint({ url: receiver.url });
  const path = `/v1/endpoints/${endpoint.id}/replay`;
  const cases: Array<[unknown, string]> = [
    [{ status: 'succeeded', from: '2026-01-01T00:00:00Z' }, 'status'],
    [{ status: 'failed' }, 'from'],
    [{ status: 'failed', from: 'yesterday' }, 'from'],
    [{ status: 'failed', from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from'],
    [{ status: 'failed', from: '2026-01-01T00:00:00Z', extra: 1 }, 'extra'],
  ];
  for (const [body, field] of cases) {
    const response = await scenario.call('POST', path, body);
    expect(response.status).toBe(400);
    const error = await readJson<{ error: { details: Array<{ path: string }> } }>(response);
    expect(error.error.details.map((d) => d.path).join(' ')).toContain(field);
  }
  const other = await createScenario(runner, 'Other seller');
  const stranger = await other.call('POST', path, {
    status: 'failed',
    from: '2026-01-01T00:00:00Z',
  });
  expect(stranger.status).toBe(404);
  const backfill = await other.call('POST', `/v1/endpoints/${endpoint.id}/backfill`, {
    from: '2026-01-01T00:00:00Z',
  });
  expect(backfill.status).toBe(404);
});

test('backfill: past leads of the endpoint’s lead orders, once, even when asked twice at once', async () => {
  const secondOrder = await readJson<{ id: string }>(
    await runner.provider('/v1/lead-orders', { sellerId: scenario.sellerId, name: 'Second' }),
  );
  const from = new Date(Date.now() - 1000).toISOString();
  const past: string[] = [];
  for (let i = 0; i < 4; i++) past.push((await scenario.postLead({ firstName: `P${i}` })).leadId);
  await scenario.postLead({ firstName: 'Elsewhere' }, secondOrder.id);

  const endpoint = await scenario.createEndpoint({
    url: receiver.url,
    leadOrderIds: [scenario.leadOrderId],
    fieldMappings: TRACE_MAPPINGS,
  });
  // A lead taken in after the endpoint exists reaches it by intake; backfill must skip it.
  const fresh = await scenario.postLead({ firstName: 'Fresh' });
  await receiver.waitFor(1);

  const path = `/v1/endpoints/${endpoint.id}/backfill`;
  const [a, b] = await Promise.all([
    scenario.call('POST', path, { from }),
    scenario.call('POST', path, { from }),
  ]);
  expect([a.status, b.status]).toEqual([202, 202]);
  const counts = [
    (await readJson<{ count: number }>(a)).count,
    (await readJson<{ count: number }>(b)).count,
  ];
  expect(counts[0] + counts[1]).toBe(4);
  await receiver.waitFor(5);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const got = receiver.requests.map((r) => traced(r.body));
  expect(got.map((body) => body.messageType)).toEqual(Array(5).fill('new_lead'));
  expect(got.map((body) => body.leadId).sort()).toEqual([...past, fresh.leadId].sort());

  const again = await scenario.call('POST', path, { from });
  expect(await again.json()).toEqual({ count: 0 });
  const { rows } = await testDb.db.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM deliveries WHERE endpoint_id = $1`,
    [endpoint.id],
  );
  expect(rows[0].count).toBe(5);
});

test('backfill: a lead order outside the endpoint is refused, an updates-only endpoint too', async () => {
  const secondOrder = await readJson<{ id: string }>(
    await runner.provider('/v1/lead-orders', { sellerId: scenario.sellerId, name: 'Second' }),
  );
  const endpoint = await scenario.createEndpoint({
    url: receiver.url,
    leadOrderIds: [scenario.leadOrderId],
  });
  const from = '2026-01-01T00:00:00Z';
  const outside = await scenario.call('POST', `/v1/endpoints/${endpoint.id}/backfill`, {
    from,
    leadOrderId: secondOrder.id,
  });
  expect(outside.status).toBe(400);
  const notMine = await scenario.call('POST', `/v1/endpoints/${endpoint.id}/backfill`, {
    from,
    leadOrderId: 'lo_nope',
  });
  expect(notMine.status).toBe(400);
  const updates = await scenario.createEndpoint({
    url: receiver.url,
    type: 'lead_updates',
    fieldMappings: TRACE_MAPPINGS,
  });
  const refused = await scenario.call('POST', `/v1/endpoints/${updates.id}/backfill`, { from });
  expect(refused.status).toBe(409);
});

test('replay dry run: counts what a replay would send, and sends nothing', async () => {
  receiver.reply((_request, response) => response.writeHead(422).end());
  const endpoint = await scenario.createEndpoint({ url: receiver.url });
  const before = new Date(Date.now() - 1000).toISOString();
  const failed = [
    (await scenario.postLead({ firstName: 'A' })).deliveries[0].id,
    (await scenario.postLead({ firstName: 'B' })).deliveries[0].id,
  ];
  await until(failed, 'failed');
  const path = `/v1/endpoints/${endpoint.id}/replay`;
  const count = await scenario.call('POST', path, { status: 'failed', from: before, dryRun: true });
  expect(count.status).toBe(200);
  expect(await count.json()).toEqual({ count: 2, dryRun: true });
  expect(await statuses(failed)).toEqual(['failed', 'failed']);
  expect(receiver.requests).toHaveLength(2);
});

interface HistoryItemBody {
  deliveryId: string;
  attempt: number;
  status: string;
  payload: string | null;
  contentType: string | null;
  payloadTruncated: boolean;
  resendable: boolean;
  deliveryStatus: string | null;
  troubleshooting: { issue: string } | null;
  requestHeaders: Record<string, string>;
}

async function history(endpointId: string): Promise<HistoryItemBody[]> {
  const response = await scenario.call('GET', `/v1/endpoints/${endpointId}/history`);
  return ((await response.json()) as { items: HistoryItemBody[] }).items;
}

test('resend of a succeeded delivery: same webhook-id, attempt numbers run on, body kept per attempt', async () => {
  let answer = 422;
  receiver.reply((_request, response) => response.writeHead(answer).end());
  const endpoint = await scenario.createEndpoint({ url: receiver.url });
  const id = (await scenario.postLead({ firstName: 'Resent' })).deliveries[0].id;
  await until([id], 'failed');
  const [failure] = await history(endpoint.id);
  expect(failure).toMatchObject({
    attempt: 1,
    status: 'failure',
    resendable: true,
    deliveryStatus: 'failed',
    troubleshooting: { issue: 'field_mapping' },
  });

  answer = 200;
  expect((await scenario.call('POST', `/v1/deliveries/${id}/resend`)).status).toBe(202);
  await until([id], 'succeeded');
  // A succeeded delivery is resent too: its receiver lost it.
  expect((await scenario.call('POST', `/v1/deliveries/${id}/resend`)).status).toBe(202);
  await eventually(async () => ((await history(endpoint.id)).length === 3 ? true : undefined));
  await until([id], 'succeeded');

  const items = await history(endpoint.id);
  expect(items.map((item) => item.attempt)).toEqual([3, 2, 1]);
  // Only the newest attempt of the delivery offers Resend: the old failure no longer does.
  expect(items.map((item) => item.resendable)).toEqual([true, false, false]);
  expect(receiver.requests).toHaveLength(3);
  expect(new Set(receiver.requests.map((r) => String(r.headers['webhook-id'])))).toEqual(
    new Set([id]),
  );
  receiver.requests.forEach((request, index) => {
    const item = items[items.length - 1 - index];
    expect(item.payload).toBe(request.body);
    expect(item.contentType).toBe(request.headers['content-type']);
    expect(item.payloadTruncated).toBe(false);
    expect(request.headers['webhook-test']).toBeUndefined();
  });
});

test('Send test is marked webhook-test: true, shown in history, with advice when it fails', async () => {
  receiver.reply((_request, response) => response.writeHead(401).end());
  const endpoint = await scenario.createEndpoint({ url: receiver.url });
  const response = await scenario.call('POST', `/v1/endpoints/${endpoint.id}/test`);
  const result = (await response.json()) as {
    success: boolean;
    contentType: string;
    troubleshooting: { issue: string; title: string };
  };
  expect(result).toMatchObject({
    success: false,
    contentType: 'application/json',
    troubleshooting: { issue: 'authentication', title: 'Authentication errors' },
  });
  expect(receiver.requests).toHaveLength(1);
  expect(receiver.requests[0].headers['webhook-test']).toBe('true');
  const [item] = await history(endpoint.id);
  expect(item.requestHeaders['webhook-test']).toBe('true');
  expect(item.payload).toBe(receiver.requests[0].body);
});

test('a resend restarts the retry schedule while its attempt numbers run on', async () => {
  // The schedule (3 retries) is used up before the resend; after it, the first try fails again
  // and must be retried, not failed for good as a delivery past its schedule would be.
  let refusals = 5;
  receiver.reply((_request, response) => response.writeHead(refusals-- > 0 ? 503 : 200).end());
  const endpoint = await scenario.createEndpoint({ url: receiver.url });
  const id = (await scenario.postLead({ firstName: 'Retry' })).deliveries[0].id;
  await until([id], 'failed');
  expect(receiver.requests).toHaveLength(4);
  expect((await scenario.call('POST', `/v1/deliveries/${id}/resend`)).status).toBe(202);
  await until([id], 'succeeded');
  expect(receiver.requests).toHaveLength(6);
  const items = await history(endpoint.id);
  expect(items.map((item) => item.attempt)).toEqual([6, 5, 4, 3, 2, 1]);
});
