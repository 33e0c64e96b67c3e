import * as http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';

import { NodeOperationError } from 'n8n-workflow';

import { destroyKeepAliveAgents } from '../../core/deliver';
import { generateSigningSecret, verifySignature } from '../../core/signing';
import { WebhookDeliver } from '../../nodes/WebhookDeliver/WebhookDeliver.node';
import { setWebhookDeliverTransport } from '../../nodes/WebhookDeliver/transport';
import { executeContext, type FakeOptions, type OutputItem } from './fakeContext';

type Nock = typeof import('nock').default;

/** nock 15 hands a reply function the intercepted request as a fetch Request. */
async function capture(
  request: Request,
): Promise<{ body: string; headers: Record<string, string> }> {
  return { body: await request.text(), headers: Object.fromEntries(request.headers.entries()) };
}
let nock: Nock;

beforeAll(async () => {
  nock = (await import('nock')).default;
});

afterEach(() => {
  nock.cleanAll();
  setWebhookDeliverTransport(undefined);
});

afterAll(() => {
  destroyKeepAliveAgents();
  nock.restore();
});

const node = new WebhookDeliver();
const secret = generateSigningSecret();

function payloadItem(n: number, extra: Record<string, unknown> = {}) {
  return {
    messageType: 'new_lead',
    deliveryId: `msg_${n}`,
    format: 'json',
    body: JSON.stringify({ messageType: 'new_lead', n }),
    contentType: 'application/json',
    payload: { messageType: 'new_lead', n },
    ...extra,
  };
}

async function run(options: FakeOptions) {
  const { context, log } = executeContext(options);
  const [output] = (await node.execute.call(context)) as Array<OutputItem[]>;
  return { output, log };
}

describe('Webhook Deliver (R5, one attempt): requests', () => {
  it('POSTs the exact body with content type, custom headers, User-Agent and a valid signature', async () => {
    const seen: Array<{ body: string; headers: Record<string, string> }> = [];
    const scope = nock('https://receiver.example.com')
      .post('/hooks/leads')
      .reply(async (request: Request) => {
        seen.push(await capture(request));
        return [202, 'accepted', { 'Content-Type': 'text/plain' }];
      });
    const item = payloadItem(1);
    const { output } = await run({
      items: [item],
      parameters: {
        url: 'https://receiver.example.com/hooks/leads',
        headers: { header: [{ name: 'X-Api-Key', value: 'key-abcdefgh-1234' }] },
        timeoutMs: 5000,
        signRequests: true,
      },
      credentials: { standardWebhooksSigningApi: { secret } },
    });
    expect(scope.isDone()).toBe(true);
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request.body).toBe(item.body);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-api-key']).toBe('key-abcdefgh-1234');
    expect(request.headers['user-agent']).toMatch(/^lead-delivery\/\d+\.\d+\.\d+/);
    expect(request.headers['webhook-id']).toBe('msg_1');
    expect(
      verifySignature({ body: request.body, headers: request.headers, secrets: [secret] }),
    ).toEqual({
      ok: true,
    });

    expect(output).toEqual([
      {
        json: {
          messageType: 'new_lead',
          deliveryId: 'msg_1',
          url: 'https://receiver.example.com/hooks/leads',
          success: true,
          outcome: 'success',
          statusCode: 202,
          durationMs: expect.any(Number),
          error: null,
          retryAfterMs: null,
          responseExcerpt: 'accepted',
          responseInvalidUtf8: false,
          location: null,
          startedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
          requestHeaders: expect.objectContaining({
            'X-Api-Key': '••••1234',
            'webhook-id': 'msg_1',
            'Content-Type': 'application/json',
          }),
          cause: null,
        },
        pairedItem: { item: 0 },
      },
    ]);
  });

  it('signs with every secret of the credential during rotation', async () => {
    const previous = generateSigningSecret();
    let headers: Record<string, string> = {};
    let body = '';
    nock('https://receiver.example.com')
      .post('/r')
      .reply(async (request: Request) => {
        ({ headers, body } = await capture(request));
        return [200];
      });
    await run({
      items: [payloadItem(1)],
      parameters: { url: 'https://receiver.example.com/r', signRequests: true },
      credentials: { standardWebhooksSigningApi: { secret, previousSecret: previous } },
    });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifySignature({ body, headers, secrets: [previous] }).ok).toBe(true);
    expect(verifySignature({ body, headers, secrets: [secret] }).ok).toBe(true);
  });

  it('sends no signature when Sign Requests is off, and generates a deliveryId when the item has none', async () => {
    let headers: Record<string, string> = {};
    nock('http://receiver.example.com')
      .post('/')
      .reply(async (request: Request) => {
        ({ headers } = await capture(request));
        return [200, 'ok'];
      });
    const { output, log } = await run({
      items: [payloadItem(1, { deliveryId: undefined })],
      parameters: { url: 'http://receiver.example.com/' },
    });
    expect(log.getCredentials).toEqual([]);
    expect(headers).not.toHaveProperty('webhook-signature');
    expect(output[0].json.deliveryId).toMatch(/^msg_[0-9a-f-]{36}$/);
  });

  it('reads the credential once per execution and fixed parameters once', async () => {
    nock('https://receiver.example.com').post('/many').times(25).reply(200, 'ok');
    const items = Array.from({ length: 25 }, (_, i) => payloadItem(i));
    const { output, log } = await run({
      items,
      parameters: { url: 'https://receiver.example.com/many', signRequests: true, timeoutMs: 5000 },
      credentials: { standardWebhooksSigningApi: { secret } },
    });
    expect(output.every((o) => o.json.success === true)).toBe(true);
    expect(log.getCredentials).toHaveLength(1);
    for (const name of ['url', 'headers', 'timeoutMs', 'signRequests', 'concurrency']) {
      expect(log.getNodeParameter.filter((c) => c.name === name)).toHaveLength(1);
    }
  });
});

describe('Webhook Deliver (R5, one attempt): failed attempts are output items', () => {
  it('HTTP 500 → success false, retryable, with the response excerpt', async () => {
    nock('https://receiver.example.com').post('/').reply(500, 'boom');
    const { output } = await run({
      items: [payloadItem(1)],
      parameters: { url: 'https://receiver.example.com/' },
    });
    expect(output[0].json).toMatchObject({
      success: false,
      outcome: 'retryable',
      statusCode: 500,
      error: 'HTTP 500 Internal Server Error',
      responseExcerpt: 'boom',
    });
  });

  it('429 with Retry-After → retryAfterMs', async () => {
    nock('https://receiver.example.com').post('/').reply(429, '', { 'Retry-After': '30' });
    const { output } = await run({
      items: [payloadItem(1)],
      parameters: { url: 'https://receiver.example.com/' },
    });
    expect(output[0].json).toMatchObject({
      success: false,
      outcome: 'retryable',
      retryAfterMs: 30000,
    });
  });

  it('a redirect is not followed: failure with Location recorded', async () => {
    const followed = nock('https://elsewhere.example.com').post('/').reply(200);
    nock('https://receiver.example.com')
      .post('/')
      .reply(302, '', { Location: 'https://elsewhere.example.com/' });
    const { output } = await run({
      items: [payloadItem(1)],
      parameters: { url: 'https://receiver.example.com/' },
    });
    expect(output[0].json).toMatchObject({
      success: false,
      statusCode: 302,
      location: 'https://elsewhere.example.com/',
    });
    expect(followed.isDone()).toBe(false);
  });

  it('422 (the payload refused) → permanent failure', async () => {
    nock('https://receiver.example.com').post('/').reply(422, 'no');
    const { output } = await run({
      items: [payloadItem(1)],
      parameters: { url: 'https://receiver.example.com/' },
    });
    expect(output[0].json).toMatchObject({ success: false, outcome: 'permanent', statusCode: 422 });
  });

  it('404 (the URL, a setting the seller corrects) → retryable failure', async () => {
    nock('https://receiver.example.com').post('/').reply(404, 'no');
    const { output } = await run({
      items: [payloadItem(1)],
      parameters: { url: 'https://receiver.example.com/' },
    });
    expect(output[0].json).toMatchObject({ success: false, outcome: 'retryable', statusCode: 404 });
  });
});

describe('Webhook Deliver: bad parameters and items are node errors', () => {
  it.each([
    ['an invalid URL', { url: 'not a url' }, /not an absolute URL/],
    ['a non-http URL', { url: 'ftp://example.com/x' }, /http or https/],
    [
      'a refused header',
      { url: 'https://r.example.com/', headers: { header: [{ name: 'Host', value: 'x' }] } },
      /Invalid headers: headers\[0\]\.name: header "Host" cannot be set/,
    ],
    [
      'a header value with a line break',
      { url: 'https://r.example.com/', headers: { header: [{ name: 'X-A', value: 'a\r\nb' }] } },
      /CR, LF/,
    ],
    ['a timeout out of range', { url: 'https://r.example.com/', timeoutMs: 50 }, /Timeout must be/],
  ])('%s', async (_name, parameters, message) => {
    const { context } = executeContext({ items: [payloadItem(1)], parameters });
    const error = await node.execute.call(context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeOperationError);
    expect((error as Error).message).toMatch(message);
  });

  it('an item without a body is an error; nothing is sent when a later item is bad', async () => {
    const scope = nock('https://receiver.example.com').post('/').reply(200);
    const { context } = executeContext({
      items: [payloadItem(1), { messageType: 'new_lead', fields: {} }],
      parameters: { url: 'https://receiver.example.com/' },
    });
    const error = (await node.execute.call(context).catch((e: unknown) => e)) as NodeOperationError;
    expect(error.message).toMatch(/Item 1 has no "body" string/);
    expect(error.context.itemIndex).toBe(1);
    expect(scope.isDone()).toBe(false);
  });

  it('with Continue On Fail: error items in place, the others sent', async () => {
    nock('https://receiver.example.com').post('/').twice().reply(200, 'ok');
    const { output } = await run({
      items: [payloadItem(0), { messageType: 'lead_update', deliveryId: 'msg_x' }, payloadItem(2)],
      parameters: { url: 'https://receiver.example.com/' },
      continueOnFail: true,
    });
    expect(output.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
    expect(output[0].json.success).toBe(true);
    expect(output[1].json).toEqual({
      error: expect.stringMatching(/no "body"/),
      messageType: 'lead_update',
      deliveryId: 'msg_x',
    });
    expect(output[2].json.success).toBe(true);
  });

  it('a per-item URL expression: a bad URL fails only its item under Continue On Fail', async () => {
    nock('https://receiver.example.com').post('/ok').reply(200);
    const { output } = await run({
      items: [
        payloadItem(0, { target: 'https://receiver.example.com/ok' }),
        payloadItem(1, { target: 'nope' }),
      ],
      parameters: { url: (_i: number, json: { target: string }) => json.target },
      continueOnFail: true,
    });
    expect(output[0].json.success).toBe(true);
    expect(output[1].json.error).toMatch(/not an absolute URL/);
  });
});

describe('Webhook Deliver: concurrency against a real server', () => {
  let server: http.Server;
  let port: number;
  let inFlight = 0;
  let maxInFlight = 0;
  let received: number[] = [];

  beforeAll(async () => {
    nock.enableNetConnect();
    server = http.createServer((req, res) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const { n } = JSON.parse(Buffer.concat(chunks).toString()) as { n: number };
        received.push(n);
        // Later items answer sooner, so completion order differs from input order.
        setTimeout(
          () => {
            inFlight -= 1;
            res.writeHead(200, { 'Content-Type': 'text/plain' });
            res.end(`item ${n}`);
          },
          5 + ((40 - n) % 7) * 3,
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  beforeEach(() => {
    inFlight = 0;
    maxInFlight = 0;
    received = [];
  });

  afterAll(async () => {
    destroyKeepAliveAgents();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each([1, 4, 10])(
    'never has more than %i requests in flight; output order = input order',
    async (limit) => {
      const items = Array.from({ length: 40 }, (_, i) => payloadItem(i));
      const { output } = await run({
        items,
        parameters: { url: `http://127.0.0.1:${port}/hook`, concurrency: limit },
      });
      expect(maxInFlight).toBe(limit);
      expect(received.sort((a, b) => a - b)).toEqual(items.map((_, i) => i));
      expect(output.map((o) => o.json.responseExcerpt)).toEqual(items.map((_, i) => `item ${i}`));
      expect(output.map((o) => o.pairedItem)).toEqual(items.map((_, i) => ({ item: i })));
    },
  );

  it('uses the transport a host sets (lookup hook, own agent)', async () => {
    const lookups: string[] = [];
    const lookup = ((
      hostname: string,
      options: unknown,
      callback: (...args: unknown[]) => void,
    ) => {
      lookups.push(hostname);
      const all =
        typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
      if (all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    }) as unknown as LookupFunction;
    setWebhookDeliverTransport({ lookup });
    const { output } = await run({
      items: [payloadItem(7)],
      parameters: { url: `http://receiver.invalid:${port}/hook` },
    });
    expect(lookups).toEqual(['receiver.invalid']);
    expect(output[0].json).toMatchObject({ success: true, responseExcerpt: 'item 7' });
  });

  it('a closed port is a failed attempt, not a node error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { output } = await run({
      items: [payloadItem(1)],
      parameters: { url: `http://127.0.0.1:${closedPort}/` },
    });
    expect(output[0].json).toMatchObject({
      success: false,
      outcome: 'retryable',
      statusCode: null,
    });
    expect(output[0].json.error).toMatch(/refused/i);
  });

  it('a receiver slower than the timeout is a failed attempt', async () => {
    const slow = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowPort = (slow.address() as AddressInfo).port;
    try {
      const { output } = await run({
        items: [payloadItem(1)],
        parameters: { url: `http://127.0.0.1:${slowPort}/`, timeoutMs: 1000 },
      });
      expect(output[0].json).toMatchObject({ success: false, error: 'timeout after 1000 ms' });
    } finally {
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});

describe('Webhook Deliver: answering a Lead Trigger that responds after delivery', () => {
  const leadTrigger = (respond?: string, disabled = false) => ({
    name: 'Lead Trigger',
    type: 'n8n-nodes-lead-delivery.leadTrigger',
    disabled,
    parameters: respond === undefined ? {} : { respond },
  });
  const parameters = { url: 'https://crm.example.com/leads', timeoutMs: 5000 };

  async function answerFor(status: number, headers: Record<string, string> = {}) {
    nock('https://crm.example.com').post('/leads').reply(status, 'crm says', headers);
    const { log, output } = await run({
      items: [payloadItem(7)],
      parameters,
      parentNodes: [leadTrigger('afterDelivery')],
    });
    return { sent: log.sentResponses, output };
  }

  it('answers 200 with what was delivered', async () => {
    const { sent } = await answerFor(201);
    expect(sent).toEqual([
      {
        statusCode: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: {
          delivered: 1,
          failed: 0,
          deliveries: [
            {
              deliveryId: 'msg_7',
              success: true,
              statusCode: 201,
              outcome: 'success',
              error: null,
            },
          ],
        },
      },
    ]);
  });

  it('answers a CRM outage with 502 and its error, so the sender retries', async () => {
    const { sent, output } = await answerFor(500);
    expect(output[0].json.success).toBe(false);
    expect(sent).toEqual([
      expect.objectContaining({
        statusCode: 502,
        body: expect.objectContaining({
          error: {
            code: 'delivery_failed',
            message: 'Delivery to the receiver failed: HTTP 500 Internal Server Error',
          },
          delivered: 0,
          failed: 1,
        }),
      }),
    ]);
  });

  it("passes the CRM's Retry-After on as a 503", async () => {
    const { sent } = await answerFor(503, { 'retry-after': '30' });
    expect(sent).toEqual([
      expect.objectContaining({
        statusCode: 503,
        headers: expect.objectContaining({ 'retry-after': '30' }),
      }),
    ]);
  });

  it('answers a credential the CRM refuses (401) with a retryable 502', async () => {
    const { sent } = await answerFor(401);
    expect(sent).toEqual([expect.objectContaining({ statusCode: 502 })]);
  });

  it('answers a payload the CRM refuses (422) with 422: retrying the same lead cannot help', async () => {
    const { sent } = await answerFor(422);
    expect(sent).toEqual([
      expect.objectContaining({
        statusCode: 422,
        body: expect.objectContaining({
          error: {
            code: 'delivery_failed',
            message: 'Delivery to the receiver failed: HTTP 422 Unprocessable Entity',
          },
        }),
      }),
    ]);
  });

  it('answers an item it could not send (Continue On Fail) with 502', async () => {
    const { log } = await (async () => {
      const { context, log: callLog } = executeContext({
        items: [payloadItem(8, { body: undefined })],
        parameters,
        continueOnFail: true,
        parentNodes: [leadTrigger()],
      });
      await node.execute.call(context);
      return { log: callLog };
    })();
    expect(log.sentResponses).toEqual([
      expect.objectContaining({
        statusCode: 502,
        body: expect.objectContaining({
          error: expect.objectContaining({ message: expect.stringMatching(/has no "body"/) }),
        }),
      }),
    ]);
  });

  it.each([
    ['a trigger that answers when received', [leadTrigger('whenReceived')]],
    ['a disabled trigger', [leadTrigger('afterDelivery', true)]],
    ['no Lead Trigger upstream (another trigger answers)', []],
  ])('sends no answer for %s', async (_name, parentNodes) => {
    nock('https://crm.example.com').post('/leads').reply(200, 'ok');
    const { log } = await run({ items: [payloadItem(9)], parameters, parentNodes });
    expect(log.sentResponses).toEqual([]);
  });
});
