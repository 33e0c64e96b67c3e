/**
 * Receivers answering with text PostgreSQL cannot store (NUL, invalid UTF-8, a UTF-8-encoded
 * surrogate) or with bodies far larger than the excerpt. A batch holds deliveries of several
 * sellers, so such an answer must never make the batch's recording fail: that sent every delivery
 * of the batch again, to other sellers' ordinary endpoints too. Each case fetches one batch holding
 * both sellers' deliveries (the worker starts after the leads are in, with one fetch loop).
 */
import type { ServerResponse } from 'node:http';
import pino from 'pino';

import { startReceiver, type ReceivedRequest, type Receiver } from '../../../test/helpers/receiver';
import { createSecretBox } from '../../src/store/secretBox.js';
import { startWorker, type RunningWorker } from '../../src/worker/worker.js';
import { createTestDb, jobData, type TestDb } from '../helpers/db';
import { hashSeed, mulberry32 } from '../helpers/prng';
import { eventually, readJson, startTestRunner, type TestRunner } from '../helpers/runner';
import { createScenario, type Scenario } from '../helpers/scenario';

let testDb: TestDb;
let runner: TestRunner;
const receivers: Receiver[] = [];
let worker: RunningWorker | undefined;

beforeAll(async () => {
  testDb = await createTestDb();
  // One fetch loop: the leads of both sellers are waiting when it starts, so one batch holds them.
  runner = await startTestRunner(testDb, { WORKER_CONCURRENCY: '1' });
  await runner.worker.stop();
});

afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

afterAll(async () => {
  await runner.stop();
  await testDb.drop();
});

interface HistoryItem {
  deliveryId: string;
  status: 'success' | 'failure';
  httpStatus: number | null;
  error: string | null;
  responseExcerpt: string | null;
  notice: string | null;
}

async function receiver(reply?: (request: ReceivedRequest, response: ServerResponse) => void) {
  const started = await startReceiver('/hook');
  if (reply) started.reply(reply);
  receivers.push(started);
  return started;
}

function answer(body: Buffer | string) {
  return (_request: ReceivedRequest, response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(body);
  };
}

/** Chunked, and never ending on its own: written until the runner stops reading. */
function endless(chunk: Buffer) {
  return (_request: ReceivedRequest, response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    const write = (): void => {
      while (!response.destroyed && response.write(chunk));
    };
    response.on('drain', write);
    write();
  };
}

function randomBytes(seed: string, length: number): Buffer {
  const next = mulberry32(hashSeed(seed));
  return Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
}

async function history(scenario: Scenario, endpointId: string): Promise<HistoryItem[]> {
  const response = await scenario.call('GET', `/v1/endpoints/${endpointId}/history?limit=200`);
  expect(response.status).toBe(200);
  return (await readJson<{ items: HistoryItem[] }>(response)).items;
}

function countByWebhookId(requests: readonly ReceivedRequest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of requests) {
    const id = String(request.headers['webhook-id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function deliveryStatuses(ids: readonly string[]): Promise<string[]> {
  const { rows } = await testDb.db.query<{ status: string }>(
    'SELECT status FROM deliveries WHERE id = ANY ($1::text[])',
    [ids],
  );
  return rows.map((row) => row.status);
}

async function sendingCount(): Promise<number> {
  const { rows } = await testDb.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM deliveries WHERE status = 'sending'`,
  );
  return rows[0].n;
}

interface HostileCase {
  name: string;
  reply: (request: ReceivedRequest, response: ServerResponse) => void;
  /** What the history shows of the answer. */
  checkExcerpt: (excerpt: string | null) => void;
  notice: RegExp | null;
}

const ONE_MB = 1024 * 1024;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const cases: HostileCase[] = [
  {
    name: 'NUL characters',
    reply: answer('{"ok":true}\u0000\u0000'),
    checkExcerpt: (excerpt) => expect(excerpt).toBe('{"ok":true}\uFFFD\uFFFD'),
    notice: /^The response held 2 NUL characters; they are shown as U\+FFFD\.$/,
  },
  {
    name: 'NUL characters and invalid UTF-8',
    reply: answer(Buffer.from([0x6f, 0x6b, 0x00, 0xff, 0xfe, 0x00])),
    checkExcerpt: (excerpt) => expect(excerpt).toBe('ok\uFFFD\uFFFD\uFFFD\uFFFD'),
    notice:
      /^The response held 2 NUL characters and invalid UTF-8 bytes; they are shown as U\+FFFD\.$/,
  },
  {
    name: 'invalid UTF-8 bytes 0xff 0xfe',
    reply: answer(Buffer.from([0x61, 0xff, 0xfe, 0x62])),
    checkExcerpt: (excerpt) => expect(excerpt).toBe('a\uFFFD\uFFFDb'),
    notice: /^The response held invalid UTF-8 bytes; they are shown as U\+FFFD\.$/,
  },
  {
    name: 'a UTF-8-encoded surrogate (ED A0 80)',
    reply: answer(Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62])),
    checkExcerpt: (excerpt) => {
      expect(excerpt).toMatch(/^a\uFFFD+b$/);
      expect(excerpt).not.toMatch(LONE_SURROGATE);
    },
    notice: /^The response held invalid UTF-8 bytes; they are shown as U\+FFFD\.$/,
  },
  {
    name: 'CR and LF (stored as they are)',
    reply: answer('line 1\r\nline 2\r\n\r\n'),
    checkExcerpt: (excerpt) => expect(excerpt).toBe('line 1\r\nline 2\r\n\r\n'),
    notice: null,
  },
  {
    name: 'a 1 MB body with a NUL in its first bytes',
    reply: answer(Buffer.concat([Buffer.from('big\u0000'), Buffer.alloc(ONE_MB, 'x')])),
    checkExcerpt: (excerpt) => expect(excerpt).toBe(`big\uFFFD${'x'.repeat(2048 - 4)}`),
    notice: /^The response held 1 NUL character; it is shown as U\+FFFD\.$/,
  },
  {
    name: 'random binary',
    reply: answer(randomBytes('hostile receiver', 8192)),
    checkExcerpt: (excerpt) => {
      expect(excerpt).not.toBeNull();
      expect(excerpt).not.toContain('\u0000');
      expect(excerpt).toContain('\uFFFD');
      expect(excerpt).not.toMatch(LONE_SURROGATE);
    },
    notice:
      /^The response held \d+ NUL characters? and invalid UTF-8 bytes; they are shown as U\+FFFD\.$/,
  },
  {
    name: 'an endless chunked body of NUL bytes',
    reply: endless(Buffer.alloc(16 * 1024, 0)),
    checkExcerpt: (excerpt) => expect(excerpt).toBe('\uFFFD'.repeat(2048)),
    notice: /^The response held 2048 NUL characters; they are shown as U\+FFFD\.$/,
  },
];

test.each(cases)(
  'a receiver answering 200 with $name: its deliveries succeed with the history saying so, and the other seller of the batch gets each delivery once',
  async ({ reply, checkExcerpt, notice }) => {
    const hostile = await receiver(reply);
    const ordinary = await receiver();
    const sellerA = await createScenario(runner, 'Hostile Receiver Seller');
    const sellerB = await createScenario(runner, 'Ordinary Seller');
    const endpointA = await sellerA.createEndpoint({ url: hostile.url });
    const endpointB = await sellerB.createEndpoint({ url: ordinary.url });
    const deliveriesA: string[] = [];
    const deliveriesB: string[] = [];
    for (let lead = 0; lead < 2; lead++) {
      deliveriesA.push(...(await sellerA.postLead()).deliveries.map((d) => d.id));
      deliveriesB.push(...(await sellerB.postLead()).deliveries.map((d) => d.id));
    }
    expect(deliveriesA).toHaveLength(2);
    expect(deliveriesB).toHaveLength(2);

    worker = await startWorker({
      db: testDb.db,
      queue: runner.queue,
      box: createSecretBox(runner.config.secretsKey),
      config: runner.config,
      logger: pino({ level: 'silent' }),
    });
    await eventually(async () => {
      const statuses = await deliveryStatuses([...deliveriesA, ...deliveriesB]);
      return statuses.every((status) => status === 'succeeded') ? true : undefined;
    });
    await worker.stop();
    worker = undefined;

    // Nothing is left that could send again.
    expect(await sendingCount()).toBe(0);
    const queued = new Set((await jobData(testDb)).map((job) => job.deliveryId));
    expect([...deliveriesA, ...deliveriesB].filter((id) => queued.has(id))).toEqual([]);

    const countsB = countByWebhookId(ordinary.requests);
    expect(Object.fromEntries(countsB)).toEqual(
      Object.fromEntries(deliveriesB.map((id) => [id, 1])),
    );
    expect(Object.fromEntries(countByWebhookId(hostile.requests))).toEqual(
      Object.fromEntries(deliveriesA.map((id) => [id, 1])),
    );

    const itemsA = await history(sellerA, endpointA.id);
    expect(itemsA.map((item) => item.deliveryId).sort()).toEqual([...deliveriesA].sort());
    for (const item of itemsA) {
      expect(item).toMatchObject({ status: 'success', httpStatus: 200, error: null });
      checkExcerpt(item.responseExcerpt);
      if (notice) expect(item.notice).toMatch(notice);
      else expect(item.notice).toBeNull();
    }
    const itemsB = await history(sellerB, endpointB.id);
    expect(itemsB.map((item) => [item.status, item.responseExcerpt, item.notice])).toEqual([
      ['success', '{"ok":true}', null],
      ['success', '{"ok":true}', null],
    ]);
  },
);

test('Send test to a receiver answering with NUL characters: 200, success, the excerpt cleaned', async () => {
  const hostile = await receiver(answer('accepted\u0000'));
  const seller = await createScenario(runner, 'Send Test Seller');
  const endpoint = await seller.createEndpoint({ url: hostile.url });

  const response = await seller.call('POST', `/v1/endpoints/${endpoint.id}/test`);
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({
    success: true,
    httpStatus: 200,
    error: null,
    responseExcerpt: 'accepted\uFFFD',
  });
  const [item] = await history(seller, endpoint.id);
  expect(item).toMatchObject({
    status: 'success',
    responseExcerpt: 'accepted\uFFFD',
    notice: 'The response held 1 NUL character; it is shown as U+FFFD.',
  });
  expect(hostile.requests).toHaveLength(1);
});
