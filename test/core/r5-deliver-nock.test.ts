/** R5: what one attempt sends and how it reads the answer (receiver simulated with nock 15). */
import { destroyKeepAliveAgents, sendWebhook, type WebhookRequest } from '../../core/deliver.js';
import { generateSigningSecret, verifySignature } from '../../core/signing.js';
import { packageVersion } from '../../core/version.js';

type Nock = (typeof import('nock'))['default'];
type Scope = ReturnType<Nock>;
let nock: Nock;

beforeAll(async () => {
  nock = (await import('nock')).default;
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
  destroyKeepAliveAgents();
});

const body = '{"messageType":"new_lead","firstName":"Jane"}';
const base: WebhookRequest = {
  url: 'https://receiver.example.com/hooks/leads',
  body,
  contentType: 'application/json',
  timeoutMs: 5000,
  messageId: 'dlv_01',
};

function receiver(): Scope {
  return nock('https://receiver.example.com');
}

describe('R5 request sent', () => {
  test('POST with custom headers first, then content type/length, user agent and a valid signature', async () => {
    const secret = generateSigningSecret();
    let seen: { headers: Record<string, string>; body: string } | undefined;
    // nock 15 hands a reply function the fetch Request the client sent.
    const scope = receiver()
      .post('/hooks/leads')
      .reply(async (request: Request) => {
        seen = { headers: Object.fromEntries(request.headers), body: await request.text() };
        return [200, 'ok'];
      });
    const result = await sendWebhook({
      ...base,
      headers: [
        { name: 'Authorization', value: 'Bearer s3cr3t-token-value' },
        { name: 'X-Tenant', value: 'acme' },
      ],
      signingSecrets: [secret],
    });
    expect(scope.isDone()).toBe(true);
    expect(result).toMatchObject({
      success: true,
      outcome: 'success',
      statusCode: 200,
      error: null,
      responseExcerpt: 'ok',
      cause: null,
    });
    expect(Object.keys(result.requestHeaders)).toEqual([
      'Host',
      'Authorization',
      'X-Tenant',
      'Content-Type',
      'Content-Length',
      'User-Agent',
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
    ]);
    expect(result.requestHeaders).toMatchObject({
      Host: 'receiver.example.com',
      Authorization: 'Bearer s3cr3t-token-value',
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'User-Agent': `lead-delivery/${packageVersion()}`,
      'webhook-id': 'dlv_01',
    });
    expect(seen?.body).toBe(body);
    expect(seen?.headers['user-agent']).toBe(`lead-delivery/${packageVersion()}`);
    expect(seen?.headers['x-tenant']).toBe('acme');
    expect(seen?.headers['webhook-id']).toBe('dlv_01');
    const verification = verifySignature({
      body: seen?.body ?? '',
      headers: seen?.headers ?? {},
      secrets: [secret],
    });
    expect(verification).toEqual({ ok: true });
    expect(Number.isInteger(result.durationMs)).toBe(true);
    expect(Date.parse(result.startedAt)).not.toBeNaN();
  });

  test('without signing secrets no webhook-* header is sent; a custom user agent is used', async () => {
    let headers: Record<string, string> = {};
    receiver()
      .post('/hooks/leads')
      .reply((request: Request) => {
        headers = Object.fromEntries(request.headers);
        return [202];
      });
    const result = await sendWebhook({ ...base, userAgent: 'custom/1' });
    expect(result.success).toBe(true);
    expect(result.statusCode).toBe(202);
    expect(headers['user-agent']).toBe('custom/1');
    expect(Object.keys(headers).filter((name) => name.startsWith('webhook-'))).toEqual([]);
  });

  test('credentials in the URL are sent (and recorded) as a Basic Authorization header', async () => {
    let authorization: string | null = null;
    receiver()
      .post('/hooks/leads')
      .reply((request: Request) => {
        authorization = request.headers.get('authorization');
        return [200];
      });
    const result = await sendWebhook({
      ...base,
      url: 'https://user%40corp:p%C3%A4ss@receiver.example.com/hooks/leads',
    });
    const expected = `Basic ${Buffer.from('user@corp:päss').toString('base64')}`;
    expect(result.success).toBe(true);
    expect(authorization).toBe(expected);
    expect(result.requestHeaders.Authorization).toBe(expected);
    expect(result.requestHeaders.Host).toBe('receiver.example.com');
  });
});

describe('R5 answers', () => {
  test('a redirect is not followed: permanent failure with the Location', async () => {
    receiver().post('/hooks/leads').reply(301, '', { Location: 'https://other.example.com/x' });
    const followed = nock('https://other.example.com').post('/x').reply(200);
    const result = await sendWebhook(base);
    expect(result).toMatchObject({
      success: false,
      outcome: 'permanent',
      statusCode: 301,
      location: 'https://other.example.com/x',
      error: 'HTTP 301 Moved Permanently (redirect to https://other.example.com/x, not followed)',
      cause: 'http_3xx',
    });
    expect(followed.isDone()).toBe(false);
  });

  test('a 4xx fails for good, with the response excerpt', async () => {
    receiver().post('/hooks/leads').reply(422, { error: 'bad email' });
    const result = await sendWebhook(base);
    expect(result).toMatchObject({
      success: false,
      outcome: 'permanent',
      statusCode: 422,
      error: 'HTTP 422 Unprocessable Entity',
      responseExcerpt: '{"error":"bad email"}',
      cause: 'rejected',
    });
  });

  test('a 5xx is retryable', async () => {
    receiver().post('/hooks/leads').reply(500, 'down');
    const result = await sendWebhook(base);
    expect(result).toMatchObject({
      outcome: 'retryable',
      statusCode: 500,
      error: 'HTTP 500 Internal Server Error',
      cause: 'http_5xx',
    });
  });

  test('429 honours Retry-After', async () => {
    receiver().post('/hooks/leads').reply(429, '', { 'Retry-After': '42' });
    const result = await sendWebhook(base);
    expect(result).toMatchObject({ outcome: 'retryable', statusCode: 429, retryAfterMs: 42_000 });
  });

  test('HubSpot 400 body: error types in the message', async () => {
    receiver()
      .post('/hooks/leads')
      .reply(400, { status: 'error', errors: [{ errorType: 'INVALID_EMAIL' }] });
    const result = await sendWebhook(base);
    expect(result.error).toBe(
      'HTTP 400 Bad Request: INVALID_EMAIL (the email address is not valid)',
    );
    expect(result.outcome).toBe('permanent');
  });
});

describe('R5 refused before sending (permanent, nothing sent)', () => {
  test.each([
    [{ url: 'not a url' }, 'invalid URL'],
    [{ url: 'ftp://receiver.example.com/x' }, 'unsupported URL scheme ftp: (http or https only)'],
    [{ url: 'file:///etc/passwd' }, 'unsupported URL scheme file: (http or https only)'],
    [{ headers: [{ name: 'X-Evil', value: 'a\r\nX-Injected: 1' }] }, 'invalid header X-Evil'],
    [{ headers: [{ name: 'Bad Name', value: 'v' }] }, 'invalid header "Bad Name"'],
    [{ headers: [{ name: 'Host', value: 'evil.test' }] }, 'invalid header Host'],
    [{ contentType: 'text/plain\r\nX-Injected: 1' }, 'invalid header Content-Type'],
    [{ timeoutMs: 0 }, 'invalid timeoutMs'],
    [{ signingSecrets: ['whsec_'] }, expect.stringContaining('Invalid signing secret')],
    [{ body: undefined }, expect.stringMatching(/^invalid request: /)],
  ])('%p → %p', async (override, error) => {
    const scope = receiver().post('/hooks/leads').reply(200);
    const result = await sendWebhook({ ...base, ...override } as WebhookRequest);
    expect(result).toMatchObject({ success: false, outcome: 'permanent', statusCode: null, error });
    expect(scope.isDone()).toBe(false);
  });
});
