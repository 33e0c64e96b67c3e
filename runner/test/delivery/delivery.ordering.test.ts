/**
 * R4 order and supersession, end to end (real API, pg-boss worker, engine, PostgreSQL, a local
 * receiver): per endpoint and lead, messages arrive in creation order across retries; updates
 * waiting behind an earlier message collapse to the latest; other leads are not held up.
 */
import type { ServerResponse } from 'node:http';

import { startReceiver, type ReceivedRequest, type Receiver } from '../../../test/helpers/receiver';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, traced, TRACE_MAPPINGS, type Scenario } from '../helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
let receiver: Receiver;
let scenario: Scenario;

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb, { RETRY_SCHEDULE: '100ms,100ms,100ms,100ms' });
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

/**
 * The receiver fails the new_lead of `slowLead` `failures` times, each answer 300 ms late (so
 * what the test posts meanwhile is created while that message is still open), then accepts.
 */
function failNewLeadOf(slowLead: () => string | undefined, failures: number): void {
  let failed = 0;
  receiver.reply((request: ReceivedRequest, response: ServerResponse) => {
    const body = traced(request.body);
    if (body.leadId === slowLead() && body.messageType === 'new_lead' && failed < failures) {
      failed += 1;
      setTimeout(() => response.writeHead(500).end('down'), 300);
      return;
    }
    response.writeHead(200).end('ok');
  });
}

const of = (leadId: string) =>
  receiver.requests
    .map((request) => traced(request.body))
    .filter((body) => body.leadId === leadId)
    .map((body) => `${body.messageType}@${body.requestedMeetingTime ?? '-'}`);

async function endpointForUpdates() {
  return scenario.createEndpoint({
    url: receiver.url,
    type: 'both',
    fieldMappings: TRACE_MAPPINGS,
  });
}

test('R4: an update waits for the earlier message of its lead across its retries; other leads go on', async () => {
  // The lead id is given at intake, so the receiver can fail it from the first try.
  const slow = 'lead-order-a';
  failNewLeadOf(() => slow, 2);
  await endpointForUpdates();
  const first = await scenario.postLead({ leadId: slow });
  const update = await scenario.changeMeeting(first.leadId, '2026-04-22T19:45:00Z');
  expect(update.deliveries).toHaveLength(1);
  const other = await scenario.postLead({ leadId: 'lead-order-b', firstName: 'Other' });

  await eventually(async () =>
    (await scenario.delivery(update.deliveries[0].id)).status === 'succeeded' ? true : undefined,
  );
  expect(of(first.leadId)).toEqual([
    'new_lead@-',
    'new_lead@-',
    'new_lead@-',
    'lead_update@2026-04-22T19:45:00+00:00',
  ]);
  // The other lead was delivered while the first one was still failing.
  const order = receiver.requests.map((r) => traced(r.body));
  const otherAt = order.findIndex((b) => b.leadId === other.leadId);
  const firstSuccessAt = order.map((b) => b.leadId).lastIndexOf(first.leadId) - 1;
  expect(otherAt).toBeGreaterThanOrEqual(0);
  expect(otherAt).toBeLessThan(firstSuccessAt);
  expect(await scenario.delivery(first.deliveries[0].id)).toMatchObject({
    status: 'succeeded',
    attemptCount: 3,
  });
  expect(await scenario.delivery(update.deliveries[0].id)).toMatchObject({
    status: 'succeeded',
    attemptCount: 1,
  });
});

test('R4: three updates queued behind a failing first message: only the last is sent, two superseded', async () => {
  const slow = 'lead-superseded';
  failNewLeadOf(() => slow, 2);
  const endpoint = await endpointForUpdates();
  const lead = await scenario.postLead({ leadId: slow });
  const times = ['2026-04-22T19:45:00Z', '2026-04-23T10:00:00Z', '2026-04-24T16:30:00Z'];
  const updates: string[] = [];
  for (const time of times) {
    const intake = await scenario.changeMeeting(lead.leadId, time);
    updates.push(intake.deliveries[0].id);
  }

  await eventually(async () =>
    (await scenario.delivery(updates[2])).status === 'succeeded' ? true : undefined,
  );
  expect(of(lead.leadId)).toEqual([
    'new_lead@-',
    'new_lead@-',
    'new_lead@-',
    'lead_update@2026-04-24T16:30:00+00:00',
  ]);
  for (const id of updates.slice(0, 2)) {
    // Each names the update that was newest when it was superseded; the chain ends at the last.
    let body = await scenario.delivery(id);
    expect(body).toMatchObject({ status: 'superseded', attemptCount: 0 });
    expect(updates.indexOf(body.supersededBy!)).toBeGreaterThan(updates.indexOf(id));
    while (body.status === 'superseded') body = await scenario.delivery(body.supersededBy!);
    expect(body).toMatchObject({ id: updates[2], status: 'succeeded' });
  }
  // History holds the HTTP tries only: three of the new lead, one of the last update.
  expect(await scenario.historyCount(endpoint.id)).toBe(4);
  // Nothing more arrives later (the superseded ones have no job left that could send them).
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(of(lead.leadId)).toHaveLength(4);
});

test('R4: an update whose newer successor was already sent is superseded when resent', async () => {
  receiver.reply((_request, response) => response.writeHead(200).end('ok'));
  await endpointForUpdates();
  const lead = await scenario.postLead({ leadId: 'lead-resend-old' });
  const older = await scenario.changeMeeting(lead.leadId, '2026-05-01T09:00:00Z');
  await eventually(async () =>
    (await scenario.delivery(older.deliveries[0].id)).status === 'succeeded' ? true : undefined,
  );
  const newer = await scenario.changeMeeting(lead.leadId, '2026-05-02T09:00:00Z');
  await eventually(async () =>
    (await scenario.delivery(newer.deliveries[0].id)).status === 'succeeded' ? true : undefined,
  );
  // Make the older one failed (as if it had failed for good) and resend it by hand.
  await testDb.db.query(`UPDATE deliveries SET status = 'failed' WHERE id = $1`, [
    older.deliveries[0].id,
  ]);
  const resend = await scenario.call('POST', `/v1/deliveries/${older.deliveries[0].id}/resend`);
  expect(resend.status).toBe(202);
  await eventually(async () => {
    const body = await scenario.delivery(older.deliveries[0].id);
    return body.status === 'superseded' ? body : undefined;
  });
  expect(of(lead.leadId)).toEqual([
    'new_lead@-',
    'lead_update@2026-05-01T09:00:00+00:00',
    'lead_update@2026-05-02T09:00:00+00:00',
  ]);
});
