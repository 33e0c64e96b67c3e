/**
 * dispatchToEndpoint hands each endpoint's settings to its executions as data, kept with the
 * endpoint object they came from: the same object runs with the same settings again, a changed
 * endpoint (a new object, as the worker's endpoint cache hands out after an edit) with its own. An
 * execution that does not finish within its time limit is cancelled and reported, and the next
 * one runs.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { STANDARD_MAPPINGS } from '../../../core/index.js';
import { generateSigningSecret } from '../../../core/signing.js';
import {
  dispatchToEndpoint,
  executionTimeLimitMs,
  EXECUTION_GRACE_MS,
  type DispatchEndpoint,
} from '../../src/worker/dispatcher.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function receiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, server };
}

const delivery = (id: string) => ({
  id,
  messageType: 'new_lead' as const,
  leadSnapshot: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' },
});

describe('dispatchToEndpoint', () => {
  let sink: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => (sink = await receiver()));
  afterAll(() => new Promise<void>((resolve) => sink.server.close(() => resolve())));

  it('reuses an endpoint object’s template and follows a changed endpoint', async () => {
    const secret = generateSigningSecret();
    const endpoint: DispatchEndpoint = {
      id: 'ep_dispatch',
      url: `${sink.url}/first`,
      format: 'json',
      headers: [{ name: 'X-Api-Key', value: 'key-one' }],
      constants: [],
      fieldMappings: [...STANDARD_MAPPINGS],
      timeoutMs: 5000,
    };
    const send = (target: DispatchEndpoint, id: string, concurrency = 5) =>
      dispatchToEndpoint(target, [delivery(id)], { concurrency, signingSecrets: [secret] });

    expect((await send(endpoint, 'msg_1'))[0].success).toBe(true);
    expect((await send(endpoint, 'msg_2'))[0].success).toBe(true);
    const edited = {
      ...endpoint,
      url: `${sink.url}/second`,
      headers: [{ name: 'X-Api-Key', value: 'key-two' }],
    };
    expect((await send(edited, 'msg_3'))[0].success).toBe(true);
    expect((await send(endpoint, 'msg_4', 7))[0].success).toBe(true);

    expect(
      sink.received.map((r) => [r.path, r.headers['x-api-key'], r.headers['webhook-id']]),
    ).toEqual([
      ['/first', 'key-one', 'msg_1'],
      ['/first', 'key-one', 'msg_2'],
      ['/second', 'key-two', 'msg_3'],
      ['/first', 'key-one', 'msg_4'],
    ]);
    expect(JSON.parse(sink.received[1].body)).toMatchObject({ email: 'jane@example.com' });
  });
});

describe('the execution time limit', () => {
  it('covers the rounds of requests Webhook Deliver sends, plus a grace', () => {
    expect(executionTimeLimitMs(1, 50, 10_000)).toBe(10_000 + EXECUTION_GRACE_MS);
    expect(executionTimeLimitMs(50, 50, 10_000)).toBe(10_000 + EXECUTION_GRACE_MS);
    expect(executionTimeLimitMs(51, 50, 10_000)).toBe(20_000 + EXECUTION_GRACE_MS);
    expect(executionTimeLimitMs(300, 50, 30_000)).toBe(180_000 + EXECUTION_GRACE_MS);
  });

  it('cancels a stuck execution, reports each delivery as a retryable failure, and the next runs', async () => {
    const events: string[] = [];
    const hanging = createServer((req) => {
      events.push(`received ${String(req.headers['webhook-id'])}`);
      // Never answers; the socket closing is the cancelled request giving up.
      req.socket.on('close', () => events.push('closed'));
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const { port } = hanging.address() as AddressInfo;
    const sink = await receiver();
    const secret = generateSigningSecret();
    const endpoint = (url: string): DispatchEndpoint => ({
      id: 'ep_stuck',
      url,
      format: 'json',
      headers: [],
      constants: [],
      fieldMappings: [...STANDARD_MAPPINGS],
      timeoutMs: 30_000,
    });
    try {
      const stuck = dispatchToEndpoint(
        endpoint(`http://127.0.0.1:${port}/hang`),
        [delivery('msg_stuck_1'), delivery('msg_stuck_2')],
        { concurrency: 5, signingSecrets: [secret], timeLimitMs: 300 },
      );
      const reports = await stuck;
      expect(reports.map((report) => [report.deliveryId, report.success, report.outcome])).toEqual([
        ['msg_stuck_1', false, 'retryable'],
        ['msg_stuck_2', false, 'retryable'],
      ]);
      expect(reports[0].error).toMatch(/did not finish within 300 ms/);
      expect(reports[0].cause).toBe('workflow');

      const [next] = await dispatchToEndpoint(
        endpoint(`${sink.url}/next`),
        [delivery('msg_next')],
        {
          concurrency: 5,
          signingSecrets: [secret],
        },
      );
      expect(next.success).toBe(true);
      await new Promise<void>((resolve) => {
        const check = () =>
          events.filter((e) => e === 'closed').length >= 2 ? resolve() : setTimeout(check, 20);
        check();
      });
      // Both requests were open when the limit struck, and the cancellation closed them (their
      // own timeout is 30 s away).
      expect(events.slice(0, 2).sort()).toEqual(['received msg_stuck_1', 'received msg_stuck_2']);
      expect(events.filter((e) => e === 'closed')).toHaveLength(2);
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
      await new Promise<void>((resolve) => sink.server.close(() => resolve()));
    }
  });
});
