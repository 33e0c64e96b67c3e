/**
 * Seller values are data, never code: an endpoint's name, URL, headers, constants and mapping
 * outputs, and a lead's values, reach the receiver byte for byte as typed, in every format and in
 * Send test, through the real path (API, pg-boss worker, n8n-core WorkflowExecute, HTTP). n8n
 * evaluates any node parameter string that starts with `=`; the runner hands a seller's settings
 * to the nodes as data, so no expression is evaluated at all while delivering.
 */

import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { spyOnExpressions, type ExpressionSpy } from '../helpers/expressionSpy';
import { createTestDb, type TestDb } from '../helpers/db';
import { eventually, readJson, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, type Scenario } from '../helpers/scenario';

/** Texts n8n would evaluate (or that look like it) if they were parameter text. */
const SPIN =
  "={{ (() => { const end = Date.now() + 2000; while (Date.now() < end) {} return 'spun'; })() }}";
const HOSTILE = {
  arithmetic: '={{ 6*7 }}',
  workflowId: '={{ $workflow.id }}',
  env: '={{ $env.HOME }}',
  spin: SPIN,
  template: '{{ $json.email }}',
  json: '$json.firstName',
  execution: '=$execution.id',
  otherNode: '={{ $("Lead Trigger").item.json.email }}',
};

let testDb: TestDb;
let runner: TestRunner;
let hostileReceiver: Receiver;
let plainReceiver: Receiver;
let hostile: Scenario;
let plain: Scenario;
let expressions: ExpressionSpy;

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb);
  hostile = await createScenario(runner, HOSTILE.workflowId);
  plain = await createScenario(runner, 'Plain Seller');
  expressions = spyOnExpressions();
});

afterAll(async () => {
  expressions.restore();
  await runner.stop();
  await testDb.drop();
});

beforeEach(async () => {
  hostileReceiver = await startReceiver('/hook');
  plainReceiver = await startReceiver('/hook');
  expressions.evaluated.length = 0;
});

afterEach(async () => {
  await hostileReceiver.close();
  await plainReceiver.close();
});

const hostileLead = {
  firstName: HOSTILE.arithmetic,
  lastName: HOSTILE.otherNode,
  email: 'jane@example.com',
  company: HOSTILE.env,
  message: HOSTILE.template,
  jobTitle: HOSTILE.spin,
  city: HOSTILE.execution,
};

const hostileHeaders = [
  { name: 'X-Calc', value: '={{ 1+1 }}' },
  { name: 'X-Env', value: HOSTILE.env },
  { name: 'X-Template', value: HOSTILE.template },
];

test('a constant "={{ 6*7 }}" and a header "={{ 1+1 }}" arrive as typed, not as 42 and 2', async () => {
  await hostile.createEndpoint({
    url: hostileReceiver.url,
    headers: [{ name: 'X-Calc', value: '={{ 1+1 }}' }],
    constants: [{ key: 'answer', value: HOSTILE.arithmetic }],
    fieldMappings: [{ field: 'firstName', output: 'firstName' }],
  });
  await hostile.postLead({ firstName: 'Jane' });
  const [request] = await hostileReceiver.waitFor(1);
  expect(JSON.parse(request.body)).toEqual({
    messageType: 'new_lead',
    firstName: 'Jane',
    answer: '={{ 6*7 }}',
  });
  expect(request.headers['x-calc']).toBe('={{ 1+1 }}');
  expect(expressions.evaluated).toEqual([]);
});

test('JSON: constants, mapping outputs, headers, URL, name and lead values arrive as typed; another seller is untouched', async () => {
  const endpoint = await hostile.createEndpoint({
    name: HOSTILE.workflowId,
    url: `${hostileReceiver.url}?calc={{1+1}}&wf=$workflow.id`,
    headers: hostileHeaders,
    constants: [
      { key: '={{ $workflow }}', value: HOSTILE.arithmetic },
      { key: 'wf', value: HOSTILE.workflowId },
      { key: 'spin', value: SPIN },
      { key: 'json', value: HOSTILE.json },
      { key: 'execution', value: HOSTILE.execution },
    ],
    fieldMappings: [
      { field: 'firstName', output: '={{ 1+1 }}' },
      { field: 'lastName', output: 'lastName' },
      { field: 'company', output: 'company' },
      { field: 'message', output: 'message' },
      { field: 'jobTitle', output: 'jobTitle' },
      { field: 'city', output: 'city' },
    ],
  });
  const other = await plain.createEndpoint({ url: plainReceiver.url });

  const intakes = [];
  for (let index = 0; index < 3; index++) {
    intakes.push(await hostile.postLead(hostileLead));
    intakes.push(await plain.postLead({ firstName: `Plain ${index}` }));
  }
  const [request] = await hostileReceiver.waitFor(3);
  expect(JSON.parse(request.body)).toEqual({
    messageType: 'new_lead',
    '={{ 1+1 }}': HOSTILE.arithmetic,
    lastName: HOSTILE.otherNode,
    company: HOSTILE.env,
    message: HOSTILE.template,
    jobTitle: SPIN,
    city: HOSTILE.execution,
    '={{ $workflow }}': HOSTILE.arithmetic,
    wf: HOSTILE.workflowId,
    spin: SPIN,
    json: HOSTILE.json,
    execution: HOSTILE.execution,
  });
  expect(request.headers['x-calc']).toBe('={{ 1+1 }}');
  expect(request.headers['x-env']).toBe(HOSTILE.env);
  expect(request.headers['x-template']).toBe(HOSTILE.template);
  expect(request.path).toBe('/hook?calc={{1+1}}&wf=$workflow.id');

  const plainRequests = await plainReceiver.waitFor(3);
  const plainIds = plainRequests.map((received) => received.headers['webhook-id']);
  expect(new Set(plainIds).size).toBe(3);
  expect(plainRequests.map((received) => JSON.parse(received.body).firstName).sort()).toEqual([
    'Plain 0',
    'Plain 1',
    'Plain 2',
  ]);
  // Every delivery is recorded once, and nothing was sent again.
  await eventually(async () =>
    (await hostile.historyCount(endpoint.id)) === 3 && (await plain.historyCount(other.id)) === 3
      ? true
      : undefined,
  );
  expect(hostileReceiver.requests).toHaveLength(3);
  expect(plainReceiver.requests).toHaveLength(3);

  const shown = await readJson<{ name: string; constants: unknown[] }>(
    await hostile.call('GET', `/v1/endpoints/${endpoint.id}`),
  );
  expect(shown.name).toBe(HOSTILE.workflowId);
  expect(expressions.evaluated).toEqual([]);
});

test.each([
  ['xml', (body: string) => body],
  ['form', (body: string) => Object.fromEntries(new URLSearchParams(body))],
  ['hubspot', (body: string) => JSON.parse(body)],
] as const)('%s: constants and lead values arrive as typed', async (format, parse) => {
  const endpoint = await hostile.createEndpoint({
    format,
    url: hostileReceiver.url,
    headers: hostileHeaders,
    constants: [
      { key: 'calc', value: HOSTILE.arithmetic },
      { key: 'wf', value: HOSTILE.workflowId },
    ],
    // HubSpot takes its internal names (lower case); the other formats keep the catalogue's.
    fieldMappings: [
      { field: 'firstName', output: format === 'hubspot' ? 'firstname' : 'firstName' },
      { field: 'lastName', output: format === 'hubspot' ? 'lastname' : 'lastName' },
      { field: 'message', output: 'message' },
    ],
    // The endpoint's HubSpot context and consent are seller values too: data, never parameters.
    ...(format === 'hubspot'
      ? {
          hubspot: {
            context: { pageUri: 'https://example.com/?q={{1+1}}', pageName: HOSTILE.arithmetic },
            legalConsentOptions: {
              consent: { consentToProcess: true, text: HOSTILE.workflowId },
            },
          },
        }
      : {}),
  });
  await hostile.postLead(hostileLead);
  const [request] = await hostileReceiver.waitFor(1);
  expect(request.headers['x-calc']).toBe('={{ 1+1 }}');
  const body = parse(request.body);
  if (format === 'xml') {
    const escaped = (text: string) =>
      text
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&apos;');
    for (const [name, value] of [
      ['firstName', HOSTILE.arithmetic],
      ['lastName', HOSTILE.otherNode],
      ['message', HOSTILE.template],
      ['calc', HOSTILE.arithmetic],
      ['wf', HOSTILE.workflowId],
    ]) {
      expect(body).toContain(`<${name}>${escaped(value)}</${name}>`);
    }
  } else if (format === 'form') {
    expect(body).toMatchObject({
      firstName: HOSTILE.arithmetic,
      lastName: HOSTILE.otherNode,
      message: HOSTILE.template,
      calc: HOSTILE.arithmetic,
      wf: HOSTILE.workflowId,
    });
  } else {
    expect(body).toEqual({
      fields: [
        { name: 'firstname', value: HOSTILE.arithmetic, objectTypeId: '0-1' },
        { name: 'lastname', value: HOSTILE.otherNode, objectTypeId: '0-1' },
        { name: 'message', value: HOSTILE.template, objectTypeId: '0-1' },
        { name: 'calc', value: HOSTILE.arithmetic, objectTypeId: '0-1' },
        { name: 'wf', value: HOSTILE.workflowId, objectTypeId: '0-1' },
      ],
      context: { pageUri: 'https://example.com/?q={{1+1}}', pageName: HOSTILE.arithmetic },
      legalConsentOptions: { consent: { consentToProcess: true, text: HOSTILE.workflowId } },
      WEBHOOKURL: hostileReceiver.url,
    });
  }
  await eventually(async () =>
    (await hostile.historyCount(endpoint.id)) === 1 ? true : undefined,
  );
  expect(expressions.evaluated).toEqual([]);
});

test('Send test sends the settings as typed and shows that payload', async () => {
  const endpoint = await hostile.createEndpoint({
    url: hostileReceiver.url,
    headers: hostileHeaders,
    constants: [{ key: 'calc', value: HOSTILE.arithmetic }],
    fieldMappings: [{ field: 'firstName', output: HOSTILE.arithmetic }],
  });
  const response = await hostile.call('POST', `/v1/endpoints/${endpoint.id}/test`);
  expect(response.status).toBe(200);
  const result = await readJson<{ success: boolean; payload: string }>(response);
  expect(result.success).toBe(true);
  const expected = {
    messageType: 'new_lead',
    [HOSTILE.arithmetic]: 'Jane',
    calc: HOSTILE.arithmetic,
  };
  expect(JSON.parse(result.payload)).toEqual(expected);
  const [request] = await hostileReceiver.waitFor(1);
  expect(JSON.parse(request.body)).toEqual(expected);
  expect(request.headers['x-calc']).toBe('={{ 1+1 }}');
  expect(expressions.evaluated).toEqual([]);
});
