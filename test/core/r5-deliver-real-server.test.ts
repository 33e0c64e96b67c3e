/**
 * R5/R6: timeouts, refused and reset connections, large responses and keep-alive reuse, against
 * real node:http servers on 127.0.0.1 (port 0).
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import path from 'node:path';
import type { AddressInfo, LookupFunction } from 'node:net';
import { destroyKeepAliveAgents, RESPONSE_EXCERPT_BYTES, sendWebhook } from '../../core/deliver.js';

const servers: http.Server[] = [];

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

afterAll(() => destroyKeepAliveAgents());

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const request = (url: string, timeoutMs = 5000) => ({
  url,
  body: '{"messageType":"new_lead"}',
  contentType: 'application/json',
  timeoutMs,
  messageId: 'dlv_real',
});

describe('R5 timeout', () => {
  test('a server that never answers: retryable "timeout after 200 ms", request aborted', async () => {
    let aborted: Promise<void> = Promise.resolve();
    const url = await listen((req) => {
      aborted = new Promise((resolve) => req.socket.on('close', () => resolve()));
    });
    const result = await sendWebhook(request(url, 200));
    expect(result).toMatchObject({
      success: false,
      outcome: 'retryable',
      statusCode: null,
      error: 'timeout after 200 ms',
      cause: 'timeout',
    });
    await aborted; // the server sees the connection closed: the attempt really stopped
  });

  test('a response whose body never ends is judged by its status when the deadline passes', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('accepted, still talking');
    });
    const result = await sendWebhook(request(url, 300));
    expect(result).toMatchObject({
      success: true,
      statusCode: 200,
      responseExcerpt: 'accepted, still talking',
    });
  });

  test('an answer that came in while the sender was busy past its deadline still counts', async () => {
    // The receiver answers at once; the sending process then blocks its event loop past the
    // deadline (a long GC or CPU starvation does the same). When the loop turns again, the
    // deadline timer and the answer waiting on the socket are both due: the receiver took the
    // lead in time, so this is a success, not a timeout that would send the lead again.
    const url = await listen((_req, res) => {
      res.on('finish', () => {
        const until = performance.now() + 300;
        while (performance.now() < until) {
          // busy: the answer is in the sender's socket buffer, unread
        }
      });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('took it');
    });
    const result = await sendWebhook(request(url, 100));
    expect(result).toMatchObject({ success: true, statusCode: 200, responseExcerpt: 'took it' });
  });
});

describe('R6 network failures', () => {
  test('a closed port: retryable "connection refused"', async () => {
    const url = await listen(() => undefined);
    const server = servers.pop() as http.Server;
    await new Promise((resolve) => server.close(resolve));
    const result = await sendWebhook(request(url));
    expect(result).toMatchObject({
      outcome: 'retryable',
      error: 'connection refused',
      cause: 'connect',
      statusCode: null,
    });
  });

  test('a server that destroys the socket: retryable "connection reset"', async () => {
    const url = await listen((req) => req.socket.destroy());
    const result = await sendWebhook(request(url));
    expect(result).toMatchObject({
      outcome: 'retryable',
      error: 'connection reset',
      cause: 'network',
    });
  });
});

describe('R6 response excerpt', () => {
  test('a large body: excerpt of at most 2048 bytes, whole multi-byte characters only', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('a' + '€'.repeat(1024 * 1024)); // ~3 MB
    });
    const result = await sendWebhook(request(url));
    expect(result.statusCode).toBe(500);
    const excerpt = result.responseExcerpt ?? '';
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(RESPONSE_EXCERPT_BYTES);
    expect(Buffer.byteLength(excerpt)).toBeGreaterThan(RESPONSE_EXCERPT_BYTES - 3);
    expect(excerpt).toBe('a' + '€'.repeat(682)); // 1 + 682 × 3 = 2047 bytes; the next € would not fit
    expect(excerpt).not.toContain('\uFFFD');
    // The € cut at the boundary is left out, not reported as bytes that are not UTF-8.
    expect(result.responseInvalidUtf8).toBe(false);
  });

  test('bytes that are not UTF-8 become U+FFFD and are reported', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(Buffer.from([0x6f, 0x6b, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x00]));
    });
    const result = await sendWebhook(request(url));
    expect(result).toMatchObject({ success: true, responseInvalidUtf8: true });
    // NUL is UTF-8: making it storable is the store's business (core/storableText.ts).
    expect(result.responseExcerpt).toMatch(/^ok\uFFFD+\u0000$/);
  });

  test('a whole body ending in an unfinished character is reported too', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(Buffer.from('ok€').subarray(0, 4));
    });
    const result = await sendWebhook(request(url));
    expect(result).toMatchObject({
      success: true,
      responseExcerpt: 'ok\uFFFD',
      responseInvalidUtf8: true,
    });
  });

  test('an empty body gives a null excerpt', async () => {
    const url = await listen((_req, res) => res.writeHead(204).end());
    const result = await sendWebhook(request(url));
    expect(result).toMatchObject({ success: true, statusCode: 204, responseExcerpt: null });
  });
});

describe('R5 TLS', () => {
  test('an HTTPS receiver with an untrusted certificate: a retryable TLS error, nothing received', async () => {
    let received = 0;
    const server = https.createServer(
      {
        key: readFileSync(path.join(__dirname, '../fixtures/self-signed.key')),
        cert: readFileSync(path.join(__dirname, '../fixtures/self-signed.crt')),
      },
      (_req, res) => {
        received += 1;
        res.end('ok');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const result = await sendWebhook(request(`https://127.0.0.1:${port}/hook`));
      expect(result).toMatchObject({
        success: false,
        outcome: 'retryable',
        statusCode: null,
        cause: 'tls',
      });
      expect(result.error).toMatch(/^TLS error: .*self[- ]signed/i);
      expect(received).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('R5 keep-alive', () => {
  test('consecutive requests reuse one connection, including after a drained mid-size body', async () => {
    const connections = new Set<unknown>();
    const bodies: string[] = [];
    let count = 0;
    const url = await listen((req, res) => {
      connections.add(req.socket);
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        bodies.push(text);
        count += 1;
        // The second answer is larger than the excerpt but small enough to be drained.
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(count === 2 ? 'x'.repeat(10_000) : `ok ${count}`);
      });
    });
    const results = [];
    for (let i = 0; i < 4; i += 1) {
      results.push(await sendWebhook(request(url)));
      // undici checks a socket that just turned idle for a pending close in the next turn of the
      // event loop; a request sent before that gets another connection.
      await nextTurn();
    }
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect(results.map((r) => r.responseExcerpt?.length)).toEqual([4, 2048, 4, 4]);
    expect(bodies).toEqual(Array(4).fill('{"messageType":"new_lead"}'));
    expect(connections.size).toBe(1);
  });

  test('a large body destroys the socket, and the next request still succeeds', async () => {
    let count = 0;
    const url = await listen((_req, res) => {
      count += 1;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(count === 1 ? 'y'.repeat(2 * 1024 * 1024) : 'fine');
    });
    const first = await sendWebhook(request(url));
    const second = await sendWebhook(request(url));
    expect(first.responseExcerpt).toHaveLength(RESPONSE_EXCERPT_BYTES);
    expect(second).toMatchObject({ success: true, responseExcerpt: 'fine' });
  });

  test('a pooled socket the server drops on the next request: a retryable reset, then a fresh socket', async () => {
    const requestsPerSocket = new Map<unknown, number>();
    const url = await listen((req, res) => {
      const seen = (requestsPerSocket.get(req.socket) ?? 0) + 1;
      requestsPerSocket.set(req.socket, seen);
      // The second request on a reused socket meets a server that has just dropped it.
      if (seen === 2) req.socket.destroy();
      else res.end('ok');
    });
    expect((await sendWebhook(request(url))).success).toBe(true);
    await nextTurn();
    // Not retried within the attempt: the server may have acted on it (the retry schedule and
    // webhook-id take over).
    expect(await sendWebhook(request(url))).toMatchObject({
      success: false,
      outcome: 'retryable',
      statusCode: null,
      error: 'connection reset',
      cause: 'network',
    });
    await nextTurn();
    expect(await sendWebhook(request(url))).toMatchObject({ success: true, responseExcerpt: 'ok' });
    expect([...requestsPerSocket.values()]).toEqual([2, 1]);
  });

  test('a socket the server closed while idle is not reused', async () => {
    const sockets = new Set<unknown>();
    const url = await listen((req, res) => {
      sockets.add(req.socket);
      // Closes the connection after the answer, without a Connection: close header.
      res.end('ok', () => setTimeout(() => req.socket.end(), 5));
    });
    expect((await sendWebhook(request(url))).success).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await sendWebhook(request(url))).toMatchObject({ success: true, responseExcerpt: 'ok' });
    expect(sockets.size).toBe(2);
  });
});

describe('R9 lookup hook', () => {
  test('the given lookup decides the address connected to (the SSRF guard hook)', async () => {
    const url = await listen((_req, res) => res.end('via lookup'));
    const port = new URL(url).port;
    const asked: string[] = [];
    // Answers both lookup shapes: Node's Happy Eyeballs asks with { all: true }.
    const lookup = ((
      hostname: string,
      options: { all?: boolean },
      callback: (...args: unknown[]) => void,
    ) => {
      asked.push(hostname);
      if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    }) as unknown as LookupFunction;
    const result = await sendWebhook({ ...request(`http://receiver.test:${port}/hook`), lookup });
    expect(result).toMatchObject({ success: true, responseExcerpt: 'via lookup' });
    expect(result.requestHeaders.Host).toBe(`receiver.test:${port}`);
    expect(asked).toEqual(['receiver.test']);
  });

  test('a lookup that refuses the host fails the attempt without any connection', async () => {
    const lookup = ((
      _hostname: string,
      _options: unknown,
      callback: (...args: unknown[]) => void,
    ) =>
      callback(
        Object.assign(new Error('blocked private address'), { code: 'EBLOCKED' }),
      )) as unknown as LookupFunction;
    const result = await sendWebhook({ ...request('http://internal.test/hook'), lookup });
    expect(result).toMatchObject({
      success: false,
      statusCode: null,
      error: 'network error: blocked private address',
    });
  });
});

describe('test deliveries are marked for the receiver', () => {
  test('webhook-test: true only when the request is a test; a custom header cannot set it', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const url = await listen((req, res) => {
      seen.push(req.headers);
      res.end('ok');
    });
    await sendWebhook({ ...request(url), test: true });
    await sendWebhook(request(url));
    expect(seen[0]['webhook-test']).toBe('true');
    expect(seen[1]['webhook-test']).toBeUndefined();
    const refused = await sendWebhook({
      ...request(url),
      headers: [{ name: 'Webhook-Test', value: 'true' }],
    });
    expect(refused.success).toBe(false);
    expect(seen).toHaveLength(2);
  });
});
