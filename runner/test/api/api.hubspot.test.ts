/**
 * Issue 20 point 8 through the API: a hubspot endpoint starts from HubSpot's internal names, output
 * names are checked as internal names (400 naming the field), context and legal consent are set,
 * stored, shown and cleared per endpoint; and a real delivery carries them, with HubSpot's error
 * answers in words in the history.
 */
import type { ServerResponse } from 'node:http';
import { createTestApp, expectErrorShape, type TestApp } from '../helpers/app.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { eventually, readJson, startTestRunner, type TestRunner } from '../helpers/runner.js';
import { createScenario } from '../helpers/scenario.js';

// An example host: the tests' resolver answers those without the network (R9 at save).
const HUBSPOT_URL = 'https://forms.example.com/submissions/v3/integration/submit/123/abc';
const CONSENT = {
  consent: {
    consentToProcess: true,
    text: 'I agree to allow Acme to store and process my personal data.',
    communications: [{ value: true, subscriptionTypeId: 999, text: 'Marketing emails' }],
  },
};

describe('hubspot endpoints through the API', () => {
  let t: TestApp;
  let seller: { id: string; apiKey: string };
  beforeAll(async () => {
    t = await createTestApp();
    seller = await t.createSeller('HubSpot seller');
  });
  afterAll(() => t.close());

  test('created without mappings, a hubspot endpoint has HubSpot internal names', async () => {
    const res = await t
      .as(seller.apiKey)
      .post('/v1/endpoints', { name: 'HubSpot', url: HUBSPOT_URL, format: 'hubspot' })
      .expect(201);
    expect(res.body.fieldMappings).toEqual([
      { field: 'firstName', output: 'firstname' },
      { field: 'lastName', output: 'lastname' },
      { field: 'email', output: 'email' },
      { field: 'phone', output: 'phone' },
      { field: 'company', output: 'company' },
      { field: 'jobTitle', output: 'jobtitle' },
    ]);
    expect(res.body.hubspot).toBeNull();
    // A json endpoint keeps the catalogue's names.
    const json = await t
      .as(seller.apiKey)
      .post('/v1/endpoints', { name: 'JSON', url: 'https://crm.example.com/in' })
      .expect(201);
    expect(json.body.fieldMappings.map((m: { output: string }) => m.output)).toEqual([
      'firstName',
      'lastName',
      'email',
      'phone',
    ]);
  });

  test('a camelCase output name is a 400 naming the field; nothing is written', async () => {
    const res = await t
      .as(seller.apiKey)
      .post('/v1/endpoints', {
        name: 'Bad names',
        url: HUBSPOT_URL,
        format: 'hubspot',
        fieldMappings: [
          { field: 'email', output: 'email' },
          { field: 'firstName', output: 'firstName' },
        ],
      })
      .expect(400);
    expectErrorShape(res.body, 'validation_failed');
    expect(res.body.error.details).toEqual([
      {
        path: 'fieldMappings.1.output',
        message: expect.stringContaining(
          'output name "firstName" is not a HubSpot internal name: use lower case letters, digits and underscores (such as "firstname")',
        ),
      },
    ]);
    const list = await t.as(seller.apiKey).get('/v1/endpoints').expect(200);
    expect(list.body.items.map((e: { name: string }) => e.name)).not.toContain('Bad names');
  });

  test('switching a json endpoint to hubspot checks its names then', async () => {
    const created = await t
      .as(seller.apiKey)
      .post('/v1/endpoints', { name: 'Switch', url: HUBSPOT_URL })
      .expect(201);
    const res = await t
      .as(seller.apiKey)
      .patch(`/v1/endpoints/${created.body.id}`, { format: 'hubspot' })
      .expect(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      'fieldMappings.0.output',
      'fieldMappings.1.output',
    ]);
  });

  test('context and legal consent are set, shown, changed and cleared', async () => {
    const created = await t
      .as(seller.apiKey)
      .post('/v1/endpoints', {
        name: 'Consent',
        url: HUBSPOT_URL,
        format: 'hubspot',
        hubspot: {
          context: { pageUri: 'https://example.com/quote', pageName: 'Quote request' },
          legalConsentOptions: CONSENT,
        },
      })
      .expect(201);
    expect(created.body.hubspot).toEqual({
      context: { pageUri: 'https://example.com/quote', pageName: 'Quote request' },
      legalConsentOptions: CONSENT,
    });
    const id = created.body.id as string;
    const interest = {
      legitimateInterest: {
        value: true,
        subscriptionTypeId: 12,
        legalBasis: 'LEAD',
        text: 'We contact leads who asked for a quote.',
      },
    };
    const patched = await t
      .as(seller.apiKey)
      .patch(`/v1/endpoints/${id}`, { hubspot: { legalConsentOptions: interest } })
      .expect(200);
    expect(patched.body.hubspot).toEqual({ legalConsentOptions: interest });
    // A PATCH without `hubspot` keeps it.
    await t.as(seller.apiKey).patch(`/v1/endpoints/${id}`, { name: 'Consent 2' }).expect(200);
    expect((await t.as(seller.apiKey).get(`/v1/endpoints/${id}`)).body.hubspot).toEqual({
      legalConsentOptions: interest,
    });
    const cleared = await t
      .as(seller.apiKey)
      .patch(`/v1/endpoints/${id}`, { hubspot: null })
      .expect(200);
    expect(cleared.body.hubspot).toBeNull();
  });

  test('malformed context and consent are 400s naming the field', async () => {
    const bad = await t
      .as(seller.apiKey)
      .post('/v1/endpoints', {
        name: 'Bad consent',
        url: HUBSPOT_URL,
        format: 'hubspot',
        hubspot: {
          context: { pageUri: 'javascript:alert(1)', hutk: 'x' },
        },
      })
      .expect(400);
    const paths = bad.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['hubspot.context.pageUri']));
    expect(paths.some((p: string) => p.startsWith('hubspot.context'))).toBe(true);
    const consent = await t
      .as(seller.apiKey)
      .post('/v1/endpoints', {
        name: 'Bad consent',
        url: HUBSPOT_URL,
        format: 'hubspot',
        hubspot: { legalConsentOptions: { consent: { consentToProcess: 'yes', text: '' } } },
      })
      .expect(400);
    expect(
      consent.body.error.details.every((d: { path: string }) =>
        d.path.startsWith('hubspot.legalConsentOptions'),
      ),
    ).toBe(true);
  });
});

describe('a hubspot delivery to a real receiver', () => {
  let testDb: TestDb;
  let runner: TestRunner;
  let receiver: Receiver;
  beforeAll(async () => {
    testDb = await createTestDb();
    runner = await startTestRunner(testDb);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await runner.stop();
    await testDb.drop();
  });

  test('carries context and consent; HubSpot refusing it shows in history in words', async () => {
    const scenario = await createScenario(runner, 'HubSpot delivery');
    receiver.reply((_request, response: ServerResponse) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          status: 'error',
          message: 'The request is not valid',
          errors: [
            { message: 'Consent to process is required', errorType: 'MISSING_PROCESSING_CONSENT' },
          ],
        }),
      );
    });
    const endpoint = await scenario.createEndpoint({
      url: receiver.url,
      format: 'hubspot',
      hubspot: { context: { pageName: 'Quote request' }, legalConsentOptions: CONSENT },
    });
    await scenario.postLead({ firstName: 'George', lastName: 'Sanchez', company: 'Acme Corp' });
    const [request] = await receiver.waitFor(1);
    expect(JSON.parse(request.body)).toEqual({
      fields: [
        { name: 'firstname', value: 'George', objectTypeId: '0-1' },
        { name: 'lastname', value: 'Sanchez', objectTypeId: '0-1' },
        { name: 'email', value: 'jane@example.com', objectTypeId: '0-1' },
        { name: 'company', value: 'Acme Corp', objectTypeId: '0-1' },
      ],
      context: { pageName: 'Quote request' },
      legalConsentOptions: CONSENT,
      WEBHOOKURL: receiver.url,
    });
    const history = await eventually(async () => {
      const res = await scenario.call('GET', `/v1/endpoints/${endpoint.id}/history`);
      const body = await readJson<{ items: Array<{ error: string | null }> }>(res);
      return body.items.length > 0 ? body.items : undefined;
    });
    expect(history[0].error).toBe(
      'HTTP 400 Bad Request: MISSING_PROCESSING_CONSENT (the form requires consent to process, and none was sent)',
    );
  });
});
