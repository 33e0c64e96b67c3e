/**
 * The quick start's embedded mode: no DATABASE_URL → PGlite in the data folder, one process with
 * API and worker; a demo seller is created on first start; an endpoint can be created and tested.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';

import { startReceiver, type Receiver } from '../../../test/helpers/receiver';
import { loadConfig } from '../../src/config';
import { KEEP_ALIVE_TIMEOUT_MS, startRuntime, type Runtime } from '../../src/runtime';
import { readJson } from '../helpers/runner';

let dataDir: string;
let runtime: Runtime;
let receiver: Receiver;
let demo: { sellerId: string; leadOrderId: string; apiKey: string } | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'lead-delivery-embedded-'));
  const config = loadConfig(
    // The receiver is local: R9 refuses it without the allow-list, as in the README's quick start.
    { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', ALLOWED_PRIVATE_TARGETS: '127.0.0.1,::1' },
    { notice: () => {} },
  );
  expect(config.databaseUrl).toBeUndefined();
  runtime = await startRuntime('start', config, {
    logger: pino({ level: 'silent' }),
    seedDemo: true,
    onDemoSeeded: (seeded) => (demo = seeded),
  });
  receiver = await startReceiver('/hook');
});

afterAll(async () => {
  await receiver.close();
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('starts on PGlite, seeds a demo seller, creates an endpoint and sends a test', async () => {
  expect(runtime.db.kind).toBe('pglite');
  expect(demo?.apiKey).toMatch(/^ld_sk_/);
  const base = `http://127.0.0.1:${runtime.port}`;
  const headers = { authorization: `Bearer ${demo!.apiKey}`, 'content-type': 'application/json' };

  const orders = await readJson<{ items: Array<{ id: string }> }>(
    await fetch(`${base}/v1/lead-orders`, { headers }),
  );
  expect(orders.items.map((order) => order.id)).toEqual([demo!.leadOrderId]);

  const created = await fetch(`${base}/v1/endpoints`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'Local CRM', url: receiver.url }),
  });
  expect(created.status).toBe(201);
  const endpoint = await readJson<{ id: string }>(created);

  const tested = await fetch(`${base}/v1/endpoints/${endpoint.id}/test`, {
    method: 'POST',
    headers,
  });
  const result = await readJson<Record<string, unknown>>(tested);
  expect(result).toMatchObject({ success: true, httpStatus: 200 });
  const [request] = await receiver.waitFor(1);
  expect(JSON.parse(request.body)).toMatchObject({ messageType: 'new_lead', firstName: 'Jane' });

  const history = await readJson<{ items: Array<Record<string, unknown>> }>(
    await fetch(`${base}/v1/endpoints/${endpoint.id}/history`, { headers }),
  );
  expect(history.items[0]).toMatchObject({ test: true, status: 'success' });
});

test('the API keeps idle client connections open longer than the load balancers in front of it', async () => {
  expect(runtime.server?.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
  expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
  const response = await fetch(`http://127.0.0.1:${runtime.port}/healthz`);
  await response.arrayBuffer();
  expect(response.headers.get('keep-alive')).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
});
