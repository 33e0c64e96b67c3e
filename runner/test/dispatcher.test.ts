/**
 * dispatchToEndpoint keeps each endpoint's filled template with the endpoint object it came from:
 * the same object runs the prepared definition again, a changed endpoint (a new object, as the
 * worker's endpoint cache hands out after an edit) runs its own.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { STANDARD_MAPPINGS } from '../../core/index.js';
import { generateSigningSecret } from '../../core/signing.js';
import { dispatchToEndpoint, type DispatchEndpoint } from '../src/worker/dispatcher.js';

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
