/**
 * R9 "bad input anywhere gets a clear 4xx naming the field; never a 500, never a half-written
 * record", case by case, through a real runner on PostgreSQL over HTTP: instants outside the one
 * rule of core/instant.ts, lone UTF-16 surrogates, bodies that are not UTF-8, query strings that
 * are not percent-encoded UTF-8, numbers JSON can only make Infinity of, made-up history cursors,
 * an endpoint URL on port 0, huge arrays of wrong values.
 * Each case answers its exact error and leaves every table as it was. (The generated requests of
 * fault.badRequests.test.ts send the same kinds of input at random to every route.)
 */
import * as http from 'node:http';
import { PROVIDER_KEY } from '../helpers/app.js';
import { countJobs, countRows, createTestDb, type TestDb } from '../helpers/db.js';
import { eventually, startTestRunner, type TestRunner } from '../helpers/runner.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';

let testDb: TestDb;
let runner: TestRunner;
let scenario: Scenario;
let endpointId: string;
let leadId: string;

beforeAll(async () => {
  testDb = await createTestDb();
  runner = await startTestRunner(testDb);
  scenario = await createScenario(runner, 'Hostile input');
  endpointId = (
    await scenario.createEndpoint({
      url: 'https://crm.example.com/in',
      type: 'both',
      // Disabled: its deliveries wait, so the worker writes nothing while the cases count rows.
      enabled: false,
      fieldMappings: [{ field: 'requestedMeetingTime', output: 'meetingAt' }],
    })
  ).id;
  leadId = (await scenario.postLead()).leadId;
  // Once the worker has fetched the lead's job and held its delivery, nothing changes by itself.
  await eventually(async () => ((await countJobs(testDb)) === 0 ? true : undefined));
});

afterAll(async () => {
  await runner.stop();
  await testDb.drop();
});

interface Answer {
  status: number;
  body: unknown;
}

/** One request with the exact bytes and path given (fetch would re-encode both). */
function send(
  method: string,
  path: string,
  options: { key: string; body?: string | Buffer; contentType?: string },
): Promise<Answer> {
  const url = new URL(runner.baseUrl);
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.key}`,
    'content-type': options.contentType ?? 'application/json',
  };
  if (options.body !== undefined) {
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const validationFailed = (path: string, message: string) => ({
  error: {
    code: 'validation_failed',
    message: `${path}: ${message}`,
    details: [{ path, message }],
  },
});

const OFFSET = (zone: string) => `must have an offset from -14:00 to +14:00 (or Z), not ${zone}`;
const YEAR = 'must have a 4-digit year from 0001 to 9999';
const UTC_RANGE = 'must fall within the years 0001 to 9999 once moved to UTC';
const TIME = 'is not a time of day: hours run from 00 to 23, minutes and seconds from 00 to 59';
const FEBRUARY = (year: number, days: number) =>
  `is not a calendar date: February ${year} has ${days} days`;
const SURROGATE = 'must not contain a lone UTF-16 surrogate (U+D800 to U+DFFF unpaired)';
const INFINITE = 'must be a finite number (this one is too large to represent)';
const meeting = (text: string, problem: string) => `requestedMeetingTime "${text}" ${problem}`;

interface Case {
  name: string;
  method: string;
  path: () => string;
  auth: 'seller' | 'provider';
  body?: () => string | Buffer;
  contentType?: string;
  status: number;
  answer: () => unknown;
}

const replay = (body: object) => JSON.stringify({ status: 'failed', ...body });
const lead = (fields: object) =>
  JSON.stringify({ leadOrderId: scenario.leadOrderId, lead: fields });
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A body written out as JSON text, its `\ud800` escapes and all. */
const raw = (text: string) => () => text;

/** A meeting change (provider) to a time the one instant rule refuses: 400 naming the field. */
const badMeetingChange = (name: string, time: string, problem: string): Case => ({
  name,
  method: 'POST',
  path: () => `/v1/leads/${leadId}/meeting`,
  auth: 'provider',
  body: () => JSON.stringify({ requestedMeetingTime: time }),
  status: 400,
  answer: () => validationFailed('requestedMeetingTime', meeting(time, problem)),
});

const cases: Case[] = [
  // 1. Replay and backfill ranges: offsets, calendar dates, years (500 or accepted before).
  {
    name: 'replay from with the offset +25:00',
    method: 'POST',
    path: () => `/v1/endpoints/${endpointId}/replay`,
    auth: 'seller',
    body: () => replay({ from: '2026-01-01T00:00:00+25:00' }),
    status: 400,
    answer: () => validationFailed('from', OFFSET('+25:00')),
  },
  {
    name: 'replay to with the offset +25:00',
    method: 'POST',
    path: () => `/v1/endpoints/${endpointId}/replay`,
    auth: 'seller',
    body: () => replay({ from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00+25:00' }),
    status: 400,
    answer: () => validationFailed('to', OFFSET('+25:00')),
  },
  {
    name: 'backfill from with the offset +25:00',
    method: 'POST',
    path: () => `/v1/endpoints/${endpointId}/backfill`,
    auth: 'seller',
    body: () => JSON.stringify({ from: '2026-01-01T00:00:00+25:00' }),
    status: 400,
    answer: () => validationFailed('from', OFFSET('+25:00')),
  },
  {
    name: 'backfill to with the offset -14:01',
    method: 'POST',
    path: () => `/v1/endpoints/${endpointId}/backfill`,
    auth: 'seller',
    body: () => JSON.stringify({ from: '2020-01-01T00:00:00Z', to: '2030-01-01T00:00:00-14:01' }),
    status: 400,
    answer: () => validationFailed('to', OFFSET('-14:01')),
  },
  {
    name: 'replay from on February 29 of a common year',
    method: 'POST',
    path: () => `/v1/endpoints/${endpointId}/replay`,
    auth: 'seller',
    body: () => replay({ from: '2025-02-29T00:00:00Z' }),
    status: 400,
    answer: () => validationFailed('from', FEBRUARY(2025, 28)),
  },
  {
    name: 'replay from in the year 0000',
    method: 'POST',
    path: () => `/v1/endpoints/${endpointId}/replay`,
    auth: 'seller',
    body: () => replay({ from: '0000-06-01T00:00:00Z' }),
    status: 400,
    answer: () => validationFailed('from', YEAR),
  },
  // 2. Meeting times: expanded years (500 before), out-of-range offsets (accepted before).
  {
    name: 'a lead whose meeting time has the year -000001',
    method: 'POST',
    path: () => '/v1/leads',
    auth: 'provider',
    body: () => lead({ requestedMeetingTime: '-000001-04-22T19:45:00Z' }),
    status: 400,
    answer: () =>
      validationFailed('lead.requestedMeetingTime', meeting('-000001-04-22T19:45:00Z', YEAR)),
  },
  {
    name: 'a lead whose meeting time has the offset +99:00',
    method: 'POST',
    path: () => '/v1/leads',
    auth: 'provider',
    body: () => lead({ requestedMeetingTime: '2026-04-22T19:45:00+99:00' }),
    status: 400,
    answer: () =>
      validationFailed(
        'lead.requestedMeetingTime',
        meeting('2026-04-22T19:45:00+99:00', OFFSET('+99:00')),
      ),
  },
  badMeetingChange('a meeting change to the year -000001', '-000001-04-22T19:45:00Z', YEAR),
  badMeetingChange(
    'a meeting change to the expanded year +012345',
    '+012345-04-22T19:45:00Z',
    YEAR,
  ),
  badMeetingChange('a meeting change to the year 0000', '0000-04-22T19:45:00Z', YEAR),
  badMeetingChange(
    'a meeting change that falls in the year 10000 in UTC',
    '9999-12-31T23:59:59-12:00',
    UTC_RANGE,
  ),
  badMeetingChange(
    'a meeting change with the offset +99:00',
    '2026-04-22T19:45:00+99:00',
    OFFSET('+99:00'),
  ),
  badMeetingChange('a meeting change to 24:00', '2026-04-22T24:00:00Z', TIME),
  // The lead's creation time follows the same rule (accepted as another day before).
  {
    name: 'a lead created on February 30',
    method: 'POST',
    path: () => '/v1/leads',
    auth: 'provider',
    body: () => lead({ createdAt: '2026-02-30T10:00:00Z' }),
    status: 400,
    answer: () => validationFailed('lead.createdAt', FEBRUARY(2026, 28)),
  },
  {
    name: 'a lead created in the year -000001',
    method: 'POST',
    path: () => '/v1/leads',
    auth: 'provider',
    body: () => lead({ createdAt: '-000001-01-01T00:00:00Z' }),
    status: 400,
    answer: () => validationFailed('lead.createdAt', YEAR),
  },
  // 3. Lone surrogates in any string or key of any body (500, or stored as U+FFFD, before).
  {
    name: 'a lone high surrogate in a lead field',
    method: 'POST',
    path: () => '/v1/leads',
    auth: 'provider',
    body: () => `{"leadOrderId":"${scenario.leadOrderId}","lead":{"firstName":"Ja\\ud800"}}`,
    status: 400,
    answer: () => validationFailed('lead.firstName', SURROGATE),
  },
  {
    name: 'a lone low surrogate in a lead field',
    method: 'POST',
    path: () => '/v1/leads',
    auth: 'provider',
    body: () => `{"leadOrderId":"${scenario.leadOrderId}","lead":{"lastName":"\\udc00"}}`,
    status: 400,
    answer: () => validationFailed('lead.lastName', SURROGATE),
  },
  {
    name: 'a lone surrogate in an endpoint constant',
    method: 'POST',
    path: () => '/v1/endpoints',
    auth: 'seller',
    body: raw(
      '{"name":"C","url":"https://crm.example.com/c","constants":[{"key":"k","value":"\\ud800"}]}',
    ),
    status: 400,
    answer: () => validationFailed('constants.0.value', SURROGATE),
  },
  {
    name: 'a lone surrogate in a mapping output',
    method: 'PATCH',
    path: () => `/v1/endpoints/${endpointId}`,
    auth: 'seller',
    body: raw('{"fieldMappings":[{"field":"email","output":"mail\\udfff"}]}'),
    status: 400,
    answer: () => validationFailed('fieldMappings.0.output', SURROGATE),
  },
  {
    name: 'a lone surrogate in a header value',
    method: 'PATCH',
    path: () => `/v1/endpoints/${endpointId}`,
    auth: 'seller',
    body: raw('{"headers":[{"name":"X-Key","value":"\\ud800"}]}'),
    status: 400,
    answer: () => validationFailed('headers.0.value', SURROGATE),
  },
  {
    name: 'a lone surrogate in a seller name',
    method: 'POST',
    path: () => '/v1/sellers',
    auth: 'provider',
    body: raw('{"name":"Acme \\ud800"}'),
    status: 400,
    answer: () => validationFailed('name', SURROGATE),
  },
  {
    name: 'a lone surrogate in a lead order name',
    method: 'POST',
    path: () => '/v1/lead-orders',
    auth: 'provider',
    body: () => `{"sellerId":"${scenario.sellerId}","name":"\\udc00 Orders"}`,
    status: 400,
    answer: () => validationFailed('name', SURROGATE),
  },
  {
    name: 'a lone surrogate in an endpoint URL',
    method: 'POST',
    path: () => '/v1/endpoints',
    auth: 'seller',
    body: raw('{"name":"U","url":"https://crm.example.com/\\ud800"}'),
    status: 400,
    answer: () => validationFailed('url', SURROGATE),
  },
  {
    name: 'a lone surrogate in a key',
    method: 'POST',
    path: () => '/v1/leads',
    auth: 'provider',
    body: () => `{"leadOrderId":"${scenario.leadOrderId}","lead":{"\\ud800x":"y"}}`,
    status: 400,
    answer: () => validationFailed('lead.\ud800x', SURROGATE),
  },
  {
    name: 'a lone surrogate in a UTF-16 body',
    method: 'POST',
    path: () => '/v1/sellers',
    auth: 'provider',
    body: () => Buffer.from('{"name":"Acme \ud800"}', 'utf16le'),
    contentType: 'application/json; charset=utf-16le',
    status: 400,
    answer: () => validationFailed('name', SURROGATE),
  },
  // Query strings and paths whose percent-escapes are not UTF-8 (U+FFFD before).
  {
    name: 'a query value %ED%A0%80 (an encoded surrogate)',
    method: 'GET',
    path: () => `/v1/endpoints/${endpointId}/history?status=%ED%A0%80`,
    auth: 'seller',
    status: 400,
    answer: () => ({
      error: {
        code: 'invalid_query',
        message: 'the query string is not valid percent-encoded UTF-8',
        details: [{ path: 'status', message: 'must be percent-encoded UTF-8' }],
      },
    }),
  },
  {
    name: 'a query value %FF',
    method: 'GET',
    path: () => `/v1/endpoints/${endpointId}/history?limit=10&cursor=%FF`,
    auth: 'seller',
    status: 400,
    answer: () => ({
      error: {
        code: 'invalid_query',
        message: 'the query string is not valid percent-encoded UTF-8',
        details: [{ path: 'cursor', message: 'must be percent-encoded UTF-8' }],
      },
    }),
  },
  {
    name: 'a query value %FF after a second "?"',
    method: 'GET',
    path: () => `/v1/endpoints/${endpointId}/history?limit=10?x=%FF`,
    auth: 'seller',
    status: 400,
    answer: () => ({
      error: {
        code: 'invalid_query',
        message: 'the query string is not valid percent-encoded UTF-8',
        details: [{ path: 'limit', message: 'must be percent-encoded UTF-8' }],
      },
    }),
  },
  {
    name: 'a path id %ED%A0%80',
    method: 'POST',
    path: () => '/v1/leads/%ED%A0%80/meeting',
    auth: 'provider',
    body: () => JSON.stringify({ requestedMeetingTime: null }),
    status: 400,
    answer: () => ({
      error: {
        code: 'invalid_path',
        message: 'the URL path is not valid percent-encoded UTF-8',
        details: [{ path: 'params', message: "Failed to decode param '%ED%A0%80'" }],
      },
    }),
  },
  // 4. Bodies that are not UTF-8 (stored with U+FFFD before).
  ...[
    ['a stray byte', [0xff]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ].map(([what, bytes]): Case => ({
    name: `a body that is not UTF-8: ${what as string}`,
    method: 'POST',
    path: () => '/v1/sellers',
    auth: 'provider',
    body: () =>
      Buffer.concat([
        Buffer.from('{"name":"Acme '),
        Buffer.from(bytes as number[]),
        Buffer.from('"}'),
      ]),
    status: 400,
    answer: () => ({
      error: {
        code: 'invalid_body',
        message: 'the request body is not valid UTF-8',
        details: [{ path: 'body', message: 'must be valid UTF-8' }],
      },
    }),
  })),
  // 6. Numbers JSON can only make Infinity of ("expected number, received number" before).
  {
    name: 'a timeout of 1e400',
    method: 'PATCH',
    path: () => `/v1/endpoints/${endpointId}`,
    auth: 'seller',
    body: raw('{"timeoutMs":1e400}'),
    status: 400,
    answer: () => validationFailed('timeoutMs', INFINITE),
  },
  {
    name: 'a lead field of -1e400',
    method: 'POST',
    path: () => '/v1/leads',
    auth: 'provider',
    body: () => `{"leadOrderId":"${scenario.leadOrderId}","lead":{"companySize":-1e400}}`,
    status: 400,
    answer: () => validationFailed('lead.companySize', INFINITE),
  },
  // A huge array of wrong values: a problem each, but the answer lists the first 100 (it was
  // about 40 times the size of the request).
  {
    name: 'an array of 1,000 numbers where constants belong',
    method: 'POST',
    path: () => '/v1/endpoints',
    auth: 'seller',
    body: () =>
      JSON.stringify({
        name: 'A',
        url: 'https://crm.example.com/a',
        constants: Array(1000).fill(1),
      }),
    status: 400,
    answer: () => ({
      error: {
        code: 'validation_failed',
        message: '1001 problems in the request (the first 100 in details)',
        details: Array.from({ length: 100 }, (_, i) => ({
          path: `constants.${i}`,
          message: 'Invalid input: expected object, received number',
        })),
      },
    }),
  },
  // An endpoint URL on port 0, where nothing can listen (saved before).
  {
    name: 'an endpoint URL on port 0',
    method: 'POST',
    path: () => '/v1/endpoints',
    auth: 'seller',
    body: () => JSON.stringify({ name: 'P', url: 'https://crm.example.com:0/in' }),
    status: 400,
    answer: () => validationFailed('url', 'must not use port 0'),
  },
  // History cursors the API never wrote, naming days or ids PostgreSQL refuses (500 before).
  ...[
    ['a day the calendar lacks', ['2026-02-30T10:00:00.000000Z', 'att_01']],
    ['the year 0000', ['0000-01-01T00:00:00.000000Z', 'att_01']],
    ['a NUL in the id', ['2026-01-01T10:00:00.000000Z', 'att\u0000']],
  ].map(([what, value]): Case => ({
    name: `a history cursor with ${what as string}`,
    method: 'GET',
    path: () => `/v1/endpoints/${endpointId}/history?cursor=${cursor(value)}`,
    auth: 'seller',
    status: 400,
    answer: () => validationFailed('cursor', 'cursor is not a cursor this API returned'),
  })),
];

test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
  const before = await countRows(testDb);
  const answer = await send(c.method, c.path(), {
    key: c.auth === 'seller' ? scenario.apiKey : PROVIDER_KEY,
    body: c.body?.(),
    contentType: c.contentType,
  });
  expect(answer).toEqual({ status: c.status, body: c.answer() });
  expect(await countRows(testDb)).toEqual(before);
});

test('instants at the edges of the rule are accepted, and normalised the same way everywhere', async () => {
  const replayed = await send('POST', `/v1/endpoints/${endpointId}/replay`, {
    key: scenario.apiKey,
    body: replay({ from: '0001-01-01T14:00:00+14:00', to: '9999-12-31T11:59:59-12:00' }),
  });
  expect(replayed).toEqual({ status: 202, body: { count: 0 } });

  const accepted = await send('POST', '/v1/leads', {
    key: PROVIDER_KEY,
    body: lead({
      createdAt: '20240229T235959-1400',
      requestedMeetingTime: '2026-04-23T09:45+14:00',
      timeZone: 'America/New_York',
    }),
  });
  expect(accepted.status).toBe(202);
  const { rows } = await testDb.db.query<{ data: Record<string, string> }>(
    'SELECT data FROM leads WHERE id = $1',
    [(accepted.body as { leadId: string }).leadId],
  );
  expect(rows[0].data).toMatchObject({
    createdAt: '2024-03-01T13:59:59+00:00',
    requestedMeetingTime: '2026-04-22T19:45:00+00:00',
    formattedRequestedMeetingTime: 'Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time',
  });

  const changed = await send('POST', `/v1/leads/${leadId}/meeting`, {
    key: PROVIDER_KEY,
    body: JSON.stringify({ requestedMeetingTime: '2026-04-22T05:45:00-14:00' }),
  });
  expect(changed.status).toBe(202);
  expect((changed.body as { deliveries: unknown[] }).deliveries).toHaveLength(1);
});
