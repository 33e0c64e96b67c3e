/**
 * Graceful shutdown (SIGTERM → Runtime.stop): the runner stops taking work, lets the attempt in
 * flight finish, records it, and only then closes.
 */
import pino from 'pino';

import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { loadConfig } from '../../src/config';
import { startRuntime, type Runtime } from '../../src/runtime';
import { PROVIDER_KEY, SECRETS_KEY_HEX } from '../helpers/app';
import { testServerUrl, uniqueSchemaName } from '../helpers/db';
import { readJson, type SellerCreated } from '../helpers/runner';
import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let runtime: Runtime;
let receiver: Receiver;
let dataDir: string;
let serverUrl: string | null;
const schema = uniqueSchemaName('shutdown');

beforeAll(async () => {
  serverUrl = await testServerUrl();
  dataDir = mkdtempSync(path.join(tmpdir(), 'lead-delivery-shutdown-'));
  const config = loadConfig(
    {
      ...(serverUrl ? { DATABASE_URL: serverUrl } : {}),
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      PROVIDER_API_KEY: PROVIDER_KEY,
      SECRETS_KEY: SECRETS_KEY_HEX,
      ALLOWED_PRIVATE_TARGETS: '127.0.0.1,::1',
    },
    { notice: () => {} },
  );
  runtime = await startRuntime('start', config, {
    logger: pino({ level: 'silent' }),
    schema: serverUrl ? schema : undefined,
    bossSchema: `${schema}_boss`,
  });
  receiver = await startReceiver('/slow');
});

afterAll(async () => {
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (serverUrl) {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
    await client.end();
  }
});

test('stop() waits for the attempt in flight and records it before closing', async () => {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  receiver.reply((_request, response) => {
    void released.then(() => response.writeHead(200).end('late but fine'));
  });
  const base = `http://127.0.0.1:${runtime.port}`;
  const post = (url: string, key: string, body: unknown) =>
    fetch(`${base}${url}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const seller = await readJson<SellerCreated>(
    await post('/v1/sellers', PROVIDER_KEY, { name: 'S' }),
  );
  const order = await readJson<{ id: string }>(
    await post('/v1/lead-orders', PROVIDER_KEY, { sellerId: seller.id, name: 'LO' }),
  );
  await post('/v1/endpoints', seller.apiKey, { name: 'Slow CRM', url: receiver.url });
  await post('/v1/leads', PROVIDER_KEY, { leadOrderId: order.id, lead: { firstName: 'Jane' } });
  await receiver.waitFor(1);

  const stopping = runtime.stop();
  let stopped = false;
  void stopping.then(() => (stopped = true));
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(stopped).toBe(false);
  release();
  await stopping;

  // Read what the stopped runner recorded, through a fresh connection.
  const check = serverUrl
    ? new pg.Client({ connectionString: serverUrl, options: `-c search_path=${schema}` })
    : null;
  if (check) {
    await check.connect();
    const { rows } = await check.query(
      `SELECT d.status, a.status AS attempt_status, a.http_status FROM deliveries d JOIN attempts a ON a.delivery_id = d.id`,
    );
    await check.end();
    expect(rows).toEqual([{ status: 'succeeded', attempt_status: 'success', http_status: 200 }]);
  }
});
