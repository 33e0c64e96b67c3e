/**
 * The Lead Delivery node (the runner's API inside n8n) against a real runner: its API on a port
 * of its own, PostgreSQL, the worker, a local CRM. Each operation is the node's execute() with the
 * Lead Delivery API credential, its requests authenticated the way the credential says (its
 * `authenticate` header, applied here as n8n's request helper applies it). Two sellers: the node
 * with seller A's key never sees or touches seller B's endpoints and deliveries.
 */
import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';

import { LeadDeliveryApi } from '../../../credentials/LeadDeliveryApi.credentials';
import { LeadDelivery } from '../../../nodes/LeadDelivery/LeadDelivery.node';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { executeContext, type FakeOptions, type Loose } from '../../../test/nodes/fakeContext';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, type Scenario } from '../helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
let crm: Receiver;
let sellerA: Scenario;
let sellerB: Scenario;
let crmUp = false;
const requestsSent: Array<{ method: string; url: string; authorization: string | null }> = [];

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb, { RETRY_SCHEDULE: '50ms' });
  crm = await startReceiver('/crm');
  crm.reply((_request, response) =>
    response.writeHead(crmUp ? 200 : 500).end(crmUp ? '{"ok":true}' : '{"error":"down"}'),
  );
  sellerA = await createScenario(runner, 'Seller A');
  sellerB = await createScenario(runner, 'Seller B');
});

afterAll(async () => {
  await crm.close();
  await runner.stop();
  await testDb.drop();
});

/** `{{$credentials.x}}` in the credential's authenticate headers, as n8n resolves it. */
function authenticatedHeaders(credentials: IDataObject): Record<string, string> {
  const headers = new LeadDeliveryApi().authenticate.properties.headers ?? {};
  return Object.fromEntries(
    Object.entries(headers).map(([name, template]) => [
      name,
      String(template)
        .replace(/^=/, '')
        .replace(/\{\{\s*\$credentials\.(\w+)\s*\}\}/g, (_m, key: string) =>
          String(credentials[key]),
        ),
    ]),
  );
}

async function runNode(
  apiKey: string,
  parameters: FakeOptions['parameters'],
  continueOnFail = false,
) {
  const credentials = { baseUrl: `${runner.baseUrl}/`, apiKey };
  const { context } = executeContext({
    items: [{}],
    parameters,
    continueOnFail,
    credentials: { leadDeliveryApi: credentials },
  });
  (context.helpers as Loose).httpRequestWithAuthentication = async (
    credentialType: string,
    options: IHttpRequestOptions,
  ) => {
    expect(credentialType).toBe('leadDeliveryApi');
    const url = new URL(options.url);
    for (const [key, value] of Object.entries(options.qs ?? {})) {
      url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      ...authenticatedHeaders(credentials),
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    };
    requestsSent.push({
      method: String(options.method),
      url: url.href,
      authorization: headers.Authorization ?? null,
    });
    const response = await fetch(url, {
      method: options.method,
      headers,
      body: options.body ? JSON.stringify(options.body) : undefined,
    });
    const text = await response.text();
    return { statusCode: response.status, body: text ? JSON.parse(text) : null, headers: {} };
  };
  const node = new LeadDelivery();
  const [output] = await node.execute.call(context);
  return output.map((item) => item.json as Loose);
}

async function failedDelivery(scenario: Scenario): Promise<string> {
  const id = (await scenario.postLead({ firstName: 'Failing' })).deliveries[0].id;
  await eventually(async () =>
    (await scenario.delivery(id)).status === 'failed' ? true : undefined,
  );
  return id;
}

test("list endpoints: the seller's own, through the credential's base URL and key", async () => {
  const endpointA = await sellerA.createEndpoint({ name: 'A CRM', url: crm.url });
  await sellerB.createEndpoint({ name: 'B CRM', url: crm.url });
  const listed = await runNode(sellerA.apiKey, { operation: 'listEndpoints' });
  expect(listed.map((e: Loose) => [e.id, e.name])).toEqual([[endpointA.id, 'A CRM']]);
  // The trailing slash of the base URL does not double; the key goes as a bearer token.
  expect(requestsSent.at(-1)).toEqual({
    method: 'GET',
    url: `${runner.baseUrl}/v1/endpoints`,
    authorization: `Bearer ${sellerA.apiKey}`,
  });
});

test('send test, history, resend and replay against a CRM that fails, then recovers', async () => {
  crmUp = false;
  const endpoint = (await runNode(sellerA.apiKey, { operation: 'listEndpoints' }))[0];

  const test = await runNode(sellerA.apiKey, { operation: 'sendTest', endpointId: endpoint.id });
  expect(test).toEqual([
    expect.objectContaining({
      success: false,
      httpStatus: 500,
      error: 'HTTP 500 Internal Server Error',
    }),
  ]);

  const first = await failedDelivery(sellerA);
  const second = await failedDelivery(sellerA);

  const failures = await runNode(sellerA.apiKey, {
    operation: 'getHistory',
    endpointId: endpoint.id,
    status: 'failure',
    returnAll: true,
  });
  // Two leads, two attempts each (RETRY_SCHEDULE has one retry), and the test.
  expect(failures).toHaveLength(5);
  expect(failures.every((a: Loose) => a.status === 'failure')).toBe(true);
  expect(new Set(failures.map((a: Loose) => a.deliveryId))).toEqual(
    new Set([first, second, failures.find((a: Loose) => a.test).deliveryId]),
  );
  const limited = await runNode(sellerA.apiKey, {
    operation: 'getHistory',
    endpointId: endpoint.id,
    status: 'all',
    returnAll: false,
    limit: 2,
  });
  expect(limited).toHaveLength(2);

  crmUp = true;
  const resent = await runNode(sellerA.apiKey, { operation: 'resendDelivery', deliveryId: first });
  expect(resent).toEqual([{ id: first, status: 'pending' }]);
  await eventually(async () =>
    (await sellerA.delivery(first)).status === 'succeeded' ? true : undefined,
  );
  expect((await sellerA.delivery(second)).status).toBe('failed');

  const replayed = await runNode(sellerA.apiKey, {
    operation: 'replayFailed',
    endpointId: endpoint.id,
    from: '2020-01-01T00:00:00',
    to: '',
  });
  expect(replayed).toEqual([{ count: 1 }]);
  await eventually(async () =>
    (await sellerA.delivery(second)).status === 'succeeded' ? true : undefined,
  );
});

test("the runner's refusal is the node's error; another seller's delivery is not found", async () => {
  crmUp = false;
  const delivery = await failedDelivery(sellerA);
  await expect(
    runNode(sellerB.apiKey, { operation: 'resendDelivery', deliveryId: delivery }),
  ).rejects.toThrow(/The Lead Delivery runner answered 404: .*no delivery/);
  expect((await sellerA.delivery(delivery)).status).toBe('failed');

  const [errorItem] = await runNode(
    sellerA.apiKey,
    { operation: 'replayFailed', endpointId: 'ep_unknown', from: '2020-01-01T00:00:00Z', to: '' },
    true,
  );
  expect(errorItem.error).toMatch(/answered 404/);

  await expect(runNode('ld_sk_wrong', { operation: 'listEndpoints' })).rejects.toThrow(
    /answered 401/,
  );
});
