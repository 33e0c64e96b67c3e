/**
 * R9 under a database outage: while PostgreSQL cannot be reached (a proxy in front of it cut, or
 * the API's connection terminated under a request) the API answers 503 with Retry-After in its
 * JSON error shape, never a 500, and writes nothing; once the database is back the same request
 * succeeds.
 */
import pg from 'pg';

import { DB_UNAVAILABLE_RETRY_AFTER_SECONDS } from '../../src/api/errors';
import { createPostgresDb, type PostgresDb } from '../../src/db/postgres';
import { testConfig } from '../helpers/app';
import { countRows, createTestDb, type TestDb } from '../helpers/db';
import { eventually, readJson } from '../helpers/runner';
import { createScenario, type Scenario } from '../helpers/scenario';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy';
import { startApi, type Api } from './harness';

let testDb: TestDb;
let proxy: TcpProxy;
let apiDb: PostgresDb;
let api: Api;
let scenario: Scenario;
let leadId: string;
const appName = `ld_fault_outage_${process.pid}_${Date.now().toString(36)}`;

beforeAll(async () => {
  testDb = await createTestDb();
  if (testDb.kind !== 'postgres') return;
  const server = new URL(testDb.connectionString!);
  proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  // The API's pool and its queue's connections go through the proxy; the test reads directly.
  apiDb = await createPostgresDb({
    connectionString: proxy.urlThrough(testDb.connectionString!),
    schema: testDb.schema,
    applicationName: appName,
    max: 4,
  });
  api = await startApi({ ...testDb, db: apiDb }, testConfig());
  scenario = await createScenario(api, 'Outage seller');
  // Maps the meeting time, so a meeting change makes one lead_update.
  await scenario.createEndpoint({
    url: 'http://127.0.0.1:9/hook',
    type: 'both',
    fieldMappings: [{ field: 'requestedMeetingTime', output: 'meetingAt' }],
  });
  leadId = (await scenario.postLead()).leadId;
});

// A test that fails while the proxy is cut must not leave the next one without a database.
afterEach(async () => {
  if (testDb.kind === 'postgres') await proxy.restore();
});

afterAll(async () => {
  if (testDb.kind === 'postgres') {
    await api.stop();
    await apiDb.close();
    await proxy.close();
  }
  await testDb.drop();
});

/** The calls the outage must not break: a seller's, and the provider's lead intake. */
const calls = {
  createEndpoint: () =>
    scenario.call('POST', '/v1/endpoints', { name: 'During outage', url: 'http://127.0.0.1:9/b' }),
  postLead: () =>
    api.provider('/v1/leads', {
      leadOrderId: scenario.leadOrderId,
      lead: { firstName: 'Outage', email: 'outage@example.com' },
    }),
  changeMeeting: () =>
    api.provider(`/v1/leads/${leadId}/meeting`, {
      requestedMeetingTime: '2026-04-22T19:45:00Z',
    }),
};

async function expectUnavailable(response: Response): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe(String(DB_UNAVAILABLE_RETRY_AFTER_SECONDS));
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await response.json()).toEqual({
    error: {
      code: 'database_unavailable',
      message: 'the database is unavailable; try again shortly',
      details: [],
    },
  });
}

test.each([
  ['closes every connection (connection terminated)', false],
  ['refuses connections (ECONNREFUSED)', true],
])(
  'while the database %s: 503 with Retry-After, nothing written, and the same calls succeed after',
  async (_label, refuse) => {
    if (testDb.kind !== 'postgres') return;
    const before = await countRows(testDb);

    await proxy.cut({ refuse });
    await expectUnavailable(await calls.createEndpoint());
    await expectUnavailable(await calls.postLead());
    await expectUnavailable(await calls.changeMeeting());
    await proxy.restore();

    expect(await countRows(testDb)).toEqual(before);
    expect((await calls.createEndpoint()).status).toBe(201);
    expect((await calls.postLead()).status).toBe(202);
    const changed = await calls.changeMeeting();
    expect(changed.status).toBe(202);
    expect((await readJson<{ deliveries: unknown[] }>(changed)).deliveries).toHaveLength(1);
    // Withdrawn again, so that the next test changes it too.
    expect(
      (await api.provider(`/v1/leads/${leadId}/meeting`, { requestedMeetingTime: null })).status,
    ).toBe(202);
  },
);

test('a connection terminated under a request (57P01): 503, the transaction rolled back', async () => {
  if (testDb.kind !== 'postgres') return;
  const admin = new pg.Client({ connectionString: testDb.connectionString });
  await admin.connect();
  try {
    const before = await countRows(testDb);
    // Hold the lead's row, so the meeting change waits on it inside its transaction.
    await admin.query('BEGIN');
    await admin.query(`SELECT 1 FROM ${testDb.schema}.leads WHERE id = $1 FOR UPDATE`, [leadId]);
    const pending = calls.changeMeeting();
    const pid = await eventually(async () => {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [appName],
      );
      return rows[0]?.pid;
    });
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await expectUnavailable(await pending);
    await admin.query('ROLLBACK');

    expect(await countRows(testDb)).toEqual(before);
    const { rows } = await admin.query<{ meeting: string | null }>(
      `SELECT data->>'requestedMeetingTime' AS meeting FROM ${testDb.schema}.leads WHERE id = $1`,
      [leadId],
    );
    expect(rows[0].meeting).toBeNull();
    const again = await calls.changeMeeting();
    expect(again.status).toBe(202);
    expect((await readJson<{ deliveries: unknown[] }>(again)).deliveries).toHaveLength(1);
  } finally {
    await admin.query('ROLLBACK').catch(() => {});
    await admin.end();
  }
});
