/**
 * R9 SSRF guard at connection time, end to end (real API, worker, engine, Webhook Deliver node,
 * local receivers): a delivery connects only to addresses checked when it connects, so an
 * endpoint whose name re-resolves to a private address after it was saved (DNS rebinding), or a
 * private literal saved while it was allowed, is refused without any connection and recorded as
 * a permanent failure. Redirects are never followed. A local receiver works only when allowed.
 */
import type { LookupAddress } from 'node:dns';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { sendWebhook } from '../../../core/deliver';
import { STANDARD_MAPPINGS } from '../../../core/mapping';
import { installDeliveryGuard, createGuardedLookup } from '../../src/security/guardedTransport';
import { insertEndpoint } from '../../src/store/endpoints';
import { createSecretBox } from '../../src/store/secretBox';
import { newId } from '../../src/ids';
import { SECRETS_KEY_HEX } from '../helpers/app';
import { createTestDb, type TestDb } from '../helpers/db';
import { PUBLIC_TEST_ADDRESS, testResolver } from '../helpers/dns';
import {
  eventually,
  readJson,
  startTestRunner,
  type SellerCreated,
  type TestRunner,
} from '../helpers/runner';

let testDb: TestDb;
let receiver: Receiver;

beforeAll(async () => {
  testDb = await createTestDb();
  receiver = await startReceiver('/hook');
});

afterAll(async () => {
  await receiver.close();
  await testDb.drop();
});

interface Attempt {
  status: string;
  attempt: number;
  httpStatus: number | null;
  error: string | null;
}

async function setUpSeller(runner: TestRunner) {
  const seller = await readJson<SellerCreated>(
    await runner.provider('/v1/sellers', { name: 'Guarded seller' }),
  );
  const order = await readJson<{ id: string }>(
    await runner.provider('/v1/lead-orders', { sellerId: seller.id, name: 'Orders' }),
  );
  return { seller, leadOrderId: order.id };
}

async function postLead(runner: TestRunner, leadOrderId: string) {
  const response = await runner.provider('/v1/leads', {
    leadOrderId,
    lead: { firstName: 'Jane', email: 'jane@example.com' },
  });
  expect(response.status).toBe(202);
  return readJson<{ deliveries: Array<{ id: string; endpointId: string }> }>(response);
}

async function attemptsOf(runner: TestRunner, apiKey: string, endpointId: string, count: number) {
  return eventually(async () => {
    const response = await runner.seller(apiKey, 'GET', `/v1/endpoints/${endpointId}/history`);
    const page = await readJson<{ items: Attempt[] }>(response);
    return page.items.length >= count ? page.items : undefined;
  });
}

const deliveryTo = (
  intake: { deliveries: Array<{ id: string; endpointId: string }> },
  endpointId: string,
) => intake.deliveries.find((d) => d.endpointId === endpointId)!.id;

async function deliveryRow(id: string) {
  const { rows } = await testDb.db.query<{ status: string; attempt_count: number }>(
    'SELECT status, attempt_count FROM deliveries WHERE id = $1',
    [id],
  );
  return rows[0];
}

describe('with ALLOWED_PRIVATE_TARGETS=127.0.0.1,::1 (tests, the quick start)', () => {
  let runner: TestRunner;
  let apiKey: string;
  let leadOrderId: string;

  beforeAll(async () => {
    runner = await startTestRunner(testDb, { ALLOWED_PRIVATE_TARGETS: '127.0.0.1,::1' });
    const setUp = await setUpSeller(runner);
    apiKey = setUp.seller.apiKey;
    leadOrderId = setUp.leadOrderId;
  });
  afterAll(() => runner.stop());

  test('a real delivery to 127.0.0.1 succeeds', async () => {
    const created = await runner.seller(apiKey, 'POST', '/v1/endpoints', {
      name: 'Local',
      url: receiver.url,
    });
    expect(created.status).toBe(201);
    const endpoint = await readJson<{ id: string }>(created);
    const before = receiver.requests.length;
    const intake = await postLead(runner, leadOrderId);
    await receiver.waitFor(before + 1);
    const [attempt] = await attemptsOf(runner, apiKey, endpoint.id, 1);
    expect(attempt).toMatchObject({ status: 'success', httpStatus: 200, error: null });
    expect(await deliveryRow(deliveryTo(intake, endpoint.id))).toEqual({
      status: 'succeeded',
      attempt_count: 1,
    });
  });

  test('R5: a redirect is not followed, even to an allowed address: failed at once', async () => {
    const trap = await startReceiver('/trap');
    const redirecting = await startReceiver('/hook');
    redirecting.reply((_request, response) =>
      response.writeHead(302, { location: trap.url }).end(),
    );
    try {
      const created = await runner.seller(apiKey, 'POST', '/v1/endpoints', {
        name: 'Redirecting',
        url: redirecting.url,
      });
      const endpoint = await readJson<{ id: string }>(created);
      const intake = await postLead(runner, leadOrderId);
      const [attempt] = await attemptsOf(runner, apiKey, endpoint.id, 1);
      expect(attempt).toMatchObject({
        status: 'failure',
        httpStatus: 302,
        error: `HTTP 302 Found (redirect to ${trap.url}, not followed)`,
      });
      expect(await deliveryRow(deliveryTo(intake, endpoint.id))).toEqual({
        status: 'failed',
        attempt_count: 1,
      });
      expect(redirecting.requests).toHaveLength(1);
      expect(trap.requests).toHaveLength(0);
    } finally {
      await trap.close();
      await redirecting.close();
    }
  });
});

describe('without ALLOWED_PRIVATE_TARGETS (as deployed)', () => {
  const resolver = testResolver({ 'rebind.test': [PUBLIC_TEST_ADDRESS] });
  let runner: TestRunner;
  let apiKey: string;
  let sellerId: string;
  let leadOrderId: string;

  beforeAll(async () => {
    runner = await startTestRunner(testDb, { ALLOWED_PRIVATE_TARGETS: '' }, { resolve: resolver });
    const setUp = await setUpSeller(runner);
    apiKey = setUp.seller.apiKey;
    sellerId = setUp.seller.id;
    leadOrderId = setUp.leadOrderId;
  });
  afterAll(() => runner.stop());

  test('the local receiver is refused at save', async () => {
    const response = await runner.seller(apiKey, 'POST', '/v1/endpoints', {
      name: 'Local',
      url: receiver.url,
    });
    expect(response.status).toBe(400);
    const body = await readJson<{ error: { details: Array<{ path: string; message: string }> } }>(
      response,
    );
    expect(body.error.details).toEqual([
      {
        path: 'url',
        message:
          'points to 127.0.0.1, a loopback address; endpoint URLs must be publicly reachable',
      },
    ]);
  });

  test('an endpoint saved while 127.0.0.1 was allowed is refused when it connects', async () => {
    // Saved under another configuration (the allow-list has since been removed).
    const endpoint = await insertEndpoint(
      testDb.db,
      createSecretBox(Buffer.from(SECRETS_KEY_HEX, 'hex')),
      {
        id: newId('endpoint'),
        sellerId,
        signingSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        settings: {
          name: 'Saved earlier',
          url: receiver.url,
          format: 'json',
          headers: [],
          constants: [],
          leadOrderIds: [],
          fieldMappings: STANDARD_MAPPINGS.map((m) => ({ ...m })),
          type: 'new_leads',
          enabled: true,
          timeoutMs: 5000,
        },
      },
    );
    const before = receiver.requests.length;
    const intake = await postLead(runner, leadOrderId);
    const [attempt] = await attemptsOf(runner, apiKey, endpoint.id, 1);
    expect(attempt).toMatchObject({
      status: 'failure',
      attempt: 1,
      httpStatus: null,
      error: 'blocked: 127.0.0.1 is a loopback address (R9)',
    });
    // Permanent: failed for good after one attempt, and nothing reached the receiver.
    expect(await deliveryRow(deliveryTo(intake, endpoint.id))).toEqual({
      status: 'failed',
      attempt_count: 1,
    });
    expect(receiver.requests).toHaveLength(before);

    // Send test takes the same path.
    const tested = await runner.seller(apiKey, 'POST', `/v1/endpoints/${endpoint.id}/test`);
    expect(await readJson(tested)).toMatchObject({
      success: false,
      httpStatus: null,
      error: 'blocked: 127.0.0.1 is a loopback address (R9)',
    });
    expect(receiver.requests).toHaveLength(before);
    await runner.seller(apiKey, 'DELETE', `/v1/endpoints/${endpoint.id}`);
  });

  test('DNS rebinding: public at save, 127.0.0.1 at send → refused at send and recorded', async () => {
    const port = new URL(receiver.url).port;
    resolver.table['rebind.test'] = [PUBLIC_TEST_ADDRESS];
    const created = await runner.seller(apiKey, 'POST', '/v1/endpoints', {
      name: 'Rebinding',
      url: `http://rebind.test:${port}/hook`,
    });
    expect(created.status).toBe(201);
    const endpoint = await readJson<{ id: string }>(created);
    const asked = resolver.calls.filter((name) => name === 'rebind.test').length;
    expect(asked).toBe(1);

    // The attacker's DNS now answers with the loopback address (and an IPv6 one next time).
    resolver.table['rebind.test'] = ['127.0.0.1'];
    const before = receiver.requests.length;
    const intake = await postLead(runner, leadOrderId);
    const [attempt] = await attemptsOf(runner, apiKey, endpoint.id, 1);
    expect(attempt).toMatchObject({
      status: 'failure',
      httpStatus: null,
      error: 'blocked: 127.0.0.1 is a loopback address (R9)',
    });
    expect(await deliveryRow(deliveryTo(intake, endpoint.id))).toEqual({
      status: 'failed',
      attempt_count: 1,
    });
    // Resolved again when connecting, and nothing reached the receiver.
    expect(resolver.calls.filter((name) => name === 'rebind.test').length).toBeGreaterThan(asked);
    expect(receiver.requests).toHaveLength(before);

    resolver.table['rebind.test'] = [PUBLIC_TEST_ADDRESS, '::ffff:10.0.0.7'];
    const tested = await runner.seller(apiKey, 'POST', `/v1/endpoints/${endpoint.id}/test`);
    expect(await readJson(tested)).toMatchObject({
      success: false,
      error: 'blocked: ::ffff:a00:7 (IPv4 10.0.0.7) is a private address (R9)',
    });
    expect(receiver.requests).toHaveLength(before);
  });
});

describe('the guarded transport on its own', () => {
  const allowNothing = { allowed: [], resolve: testResolver({ 'private.test': ['10.0.0.5'] }) };

  test('the guarded dispatcher refuses private literals (http, https, IPv6) before any connection', async () => {
    const guard = installDeliveryGuard(allowNothing);
    try {
      for (const url of ['http://10.0.0.5/hook', 'https://10.0.0.5/hook', 'https://[fd00::1]/']) {
        const result = await sendWebhook({
          url,
          body: '{}',
          contentType: 'application/json',
          timeoutMs: 5000,
          messageId: 'msg_1',
          dispatcher: guard.dispatcher,
        });
        expect({ url, ...result }).toMatchObject({
          url,
          success: false,
          outcome: 'permanent',
          cause: 'blocked',
          statusCode: null,
          error: expect.stringMatching(
            /^blocked: (10\.0\.0\.5|fd00::1) is a (private|unique-local)/,
          ),
        });
      }
    } finally {
      guard.uninstall();
    }
  });

  test('the lookup answers both callback shapes with the checked addresses only', async () => {
    const lookup = createGuardedLookup({
      allowed: [],
      resolve: testResolver({ 'ok.test': [PUBLIC_TEST_ADDRESS, '2606:4700::1111'] }),
    }) as unknown as (
      host: string,
      options: object,
      callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
    ) => void;
    const ask = (host: string, options: object) =>
      new Promise<unknown[]>((resolve) => lookup(host, options, (...args) => resolve(args)));
    expect(await ask('ok.test', { all: true })).toEqual([
      null,
      [
        { address: PUBLIC_TEST_ADDRESS, family: 4 },
        { address: '2606:4700::1111', family: 6 },
      ],
    ]);
    expect(await ask('ok.test', {})).toEqual([null, PUBLIC_TEST_ADDRESS, 4]);
    const [error] = await ask('private.test', { all: true });
    expect(error).toMatchObject({ code: 'ENOTFOUND' });
    const guarded = createGuardedLookup(allowNothing) as unknown as typeof lookup;
    const [blocked] = await new Promise<unknown[]>((resolve) =>
      guarded('private.test', {}, (...args) => resolve(args)),
    );
    expect(blocked).toMatchObject({
      code: 'ERR_SSRF_BLOCKED',
      message: 'blocked: 10.0.0.5 is a private address (R9)',
    });
  });
});
