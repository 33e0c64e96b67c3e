/** R5/R6: which responses succeed, are retried or fail for good, and the history's error text. */
import {
  classifyNetworkError,
  classifyResponse,
  hubSpotErrorTypes,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  SSRF_BLOCKED_CODE,
} from '../../core/classify.js';

const now = new Date('2026-04-22T19:45:00Z');

describe('R5 classifyResponse status table', () => {
  test.each([
    [200, 'success', null, null],
    [201, 'success', null, null],
    [202, 'success', null, null],
    [204, 'success', null, null],
    [408, 'retryable', 'HTTP 408 Request Timeout', 'http_4xx'],
    [425, 'retryable', 'HTTP 425 Too Early', 'http_4xx'],
    [429, 'retryable', 'HTTP 429 Too Many Requests', 'http_4xx'],
    [500, 'retryable', 'HTTP 500 Internal Server Error', 'http_5xx'],
    [502, 'retryable', 'HTTP 502 Bad Gateway', 'http_5xx'],
    [503, 'retryable', 'HTTP 503 Service Unavailable', 'http_5xx'],
    [599, 'retryable', 'HTTP 599', 'http_5xx'],
    [400, 'permanent', 'HTTP 400 Bad Request', 'rejected'],
    // Configuration the seller corrects (credentials, URL): retried within the retry window.
    [401, 'retryable', 'HTTP 401 Unauthorized', 'http_4xx'],
    [403, 'retryable', 'HTTP 403 Forbidden', 'http_4xx'],
    [404, 'retryable', 'HTTP 404 Not Found', 'http_4xx'],
    [405, 'retryable', 'HTTP 405 Method Not Allowed', 'http_4xx'],
    [410, 'retryable', 'HTTP 410 Gone', 'http_4xx'],
    [415, 'retryable', 'HTTP 415 Unsupported Media Type', 'http_4xx'],
    [451, 'retryable', 'HTTP 451 Unavailable For Legal Reasons', 'http_4xx'],
    // The payload of this one lead refused: sending it again cannot succeed.
    [409, 'permanent', 'HTTP 409 Conflict', 'rejected'],
    [413, 'permanent', 'HTTP 413 Payload Too Large', 'rejected'],
    [422, 'permanent', 'HTTP 422 Unprocessable Entity', 'rejected'],
    [304, 'permanent', 'HTTP 304 Not Modified (redirect not followed)', 'http_3xx'],
  ])('%i → %s, %p', (statusCode, outcome, error, cause) => {
    expect(classifyResponse({ statusCode, headers: {} })).toEqual({
      outcome,
      error,
      retryAfterMs: null,
      location: null,
      cause,
    });
  });

  test('the server reason phrase is used when given', () => {
    expect(classifyResponse({ statusCode: 500, statusText: 'Oops', headers: {} }).error).toBe(
      'HTTP 500 Oops',
    );
  });

  test('redirects are permanent failures that record the Location', () => {
    expect(
      classifyResponse({ statusCode: 301, headers: { location: 'https://new.example.com/hook' } }),
    ).toEqual({
      outcome: 'permanent',
      error: 'HTTP 301 Moved Permanently (redirect to https://new.example.com/hook, not followed)',
      retryAfterMs: null,
      location: 'https://new.example.com/hook',
      cause: 'http_3xx',
    });
    expect(classifyResponse({ statusCode: 307, headers: { Location: '/elsewhere' } }).error).toBe(
      'HTTP 307 Temporary Redirect (redirect to /elsewhere, not followed)',
    );
  });

  test('an unexpected status is permanent', () => {
    expect(classifyResponse({ statusCode: 199, headers: {} }).outcome).toBe('permanent');
  });
});

/**
 * The cause tells the circuit breaker whose fault an answer is: `rejected` is a refusal of this one
 * lead's payload (the endpoint works; other leads may pass), every other cause a failure of the
 * endpoint itself (unreachable, overloaded, wrong URL or credentials) that other leads share.
 */
describe("R5 cause per status: the lead's payload or the endpoint", () => {
  test.each([
    // The payload of this lead: malformed, a duplicate, too large, or a field's value refused.
    [400, 'rejected'],
    [409, 'rejected'],
    [413, 'rejected'],
    [422, 'rejected'],
    // The endpoint: wrong credentials, URL, method or content type; overloaded; broken.
    [401, 'http_4xx'],
    [402, 'http_4xx'],
    [403, 'http_4xx'],
    [404, 'http_4xx'],
    [405, 'http_4xx'],
    [406, 'http_4xx'],
    [408, 'http_4xx'],
    [410, 'http_4xx'],
    [411, 'http_4xx'],
    [414, 'http_4xx'],
    [415, 'http_4xx'],
    [425, 'http_4xx'],
    [426, 'http_4xx'],
    [429, 'http_4xx'],
    [431, 'http_4xx'],
    [451, 'http_4xx'],
    [499, 'http_4xx'],
    [500, 'http_5xx'],
    [503, 'http_5xx'],
    [301, 'http_3xx'],
    [308, 'http_3xx'],
  ])('%i → %s', (statusCode, cause) => {
    expect(classifyResponse({ statusCode, headers: {} }).cause).toBe(cause);
  });

  test("a payload rejection fails for good; every other 4xx is the endpoint's and retried", () => {
    for (const statusCode of [400, 409, 413, 422]) {
      expect(classifyResponse({ statusCode, headers: {} }).outcome).toBe('permanent');
    }
    for (let statusCode = 400; statusCode < 500; statusCode++) {
      const { outcome, cause } = classifyResponse({ statusCode, headers: {} });
      expect([statusCode, outcome]).toEqual([
        statusCode,
        cause === 'rejected' ? 'permanent' : 'retryable',
      ]);
    }
  });

  test("HubSpot's 400s about a field's value are the lead's; its 401, 403, 404 the endpoint's", () => {
    const hubSpot = (errorType: string) =>
      JSON.stringify({
        status: 'error',
        message: 'The request is not valid',
        errors: [{ message: `Error in 'fields.email'.`, errorType }],
      });
    for (const errorType of [
      'INVALID_EMAIL',
      'BLOCKED_EMAIL',
      'REQUIRED_FIELD',
      'INVALID_NUMBER',
    ]) {
      expect(classifyResponse({ statusCode: 400, headers: {}, body: hubSpot(errorType) })).toEqual(
        expect.objectContaining({ outcome: 'permanent', cause: 'rejected' }),
      );
    }
    // A form or portal that does not exist, or credentials refused, fail every lead alike,
    // whatever the body says: the status decides.
    expect(
      classifyResponse({ statusCode: 404, headers: {}, body: '{"status":"error"}' }).cause,
    ).toBe('http_4xx');
    expect(
      classifyResponse({
        statusCode: 403,
        headers: {},
        body: hubSpot('FORM_HAS_RECAPTCHA_ENABLED'),
      }).cause,
    ).toBe('http_4xx');
    expect(
      classifyResponse({ statusCode: 401, headers: {}, body: hubSpot('INVALID_EMAIL') }),
    ).toEqual(expect.objectContaining({ cause: 'http_4xx' }));
  });
});

describe('R5 Retry-After', () => {
  test.each([
    ['120', 120_000],
    ['0', 0],
    [' 5 ', 5_000],
    ['999999999', MAX_RETRY_AFTER_MS],
    ['Wed, 22 Apr 2026 19:46:30 GMT', 90_000],
    ['Wed, 22 Apr 2026 19:00:00 GMT', 0],
    ['Sat, 25 Apr 2026 19:45:00 GMT', MAX_RETRY_AFTER_MS],
    ['Wednesday, 22-Apr-26 19:46:00 GMT', 60_000],
    ['Wed Apr 22 19:47:00 2026', 120_000],
    ['-5', null],
    ['1.5', null],
    ['soon', null],
    ['1', 1_000],
    ['2026-04-22T19:46:00Z', null],
    ['', null],
    [undefined, null],
  ])('%p → %p', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  test('retryable responses carry it; 429 with seconds, 503 with a date', () => {
    expect(
      classifyResponse({ statusCode: 429, headers: { 'retry-after': '30' }, now }).retryAfterMs,
    ).toBe(30_000);
    expect(
      classifyResponse({
        statusCode: 503,
        headers: { 'Retry-After': 'Wed, 22 Apr 2026 19:50:00 GMT' },
        now,
      }).retryAfterMs,
    ).toBe(300_000);
    expect(
      classifyResponse({ statusCode: 400, headers: { 'retry-after': '30' }, now }).retryAfterMs,
    ).toBeNull();
  });
});

describe('R5 HubSpot 400 bodies', () => {
  const body = JSON.stringify({
    status: 'error',
    message: 'The request is not valid',
    errors: [
      { message: "Error in 'fields.email'.", errorType: 'INVALID_EMAIL' },
      { message: 'Required field missing', errorType: 'REQUIRED_FIELD' },
      { message: 'again', errorType: 'INVALID_EMAIL' },
    ],
  });

  test('permanent, with the error types in the message', () => {
    expect(classifyResponse({ statusCode: 400, headers: {}, body })).toEqual({
      outcome: 'permanent',
      error:
        'HTTP 400 Bad Request: INVALID_EMAIL (the email address is not valid); ' +
        'REQUIRED_FIELD (a field the form requires has no value)',
      retryAfterMs: null,
      location: null,
      cause: 'rejected',
    });
  });

  test('a truncated excerpt still yields the types; other bodies add nothing', () => {
    expect(hubSpotErrorTypes(body.slice(0, body.indexOf('REQUIRED_FIELD')))).toEqual([
      'INVALID_EMAIL',
    ]);
    expect(hubSpotErrorTypes('{"errors":"nope"}')).toEqual([]);
    expect(classifyResponse({ statusCode: 400, headers: {}, body: '<html>bad</html>' }).error).toBe(
      'HTTP 400 Bad Request',
    );
  });
});

describe('R6 classifyNetworkError messages', () => {
  const err = (code: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(`boom ${code}`), { code, ...extra });

  test.each([
    [err('ETIMEDOUT'), 'timeout after 10000 ms', 'timeout'],
    [err('ERR_ATTEMPT_TIMEOUT'), 'timeout after 10000 ms', 'timeout'],
    [err('ECONNREFUSED'), 'connection refused', 'connect'],
    [err('ECONNRESET'), 'connection reset', 'network'],
    [new Error('socket hang up'), 'connection reset', 'network'],
    [err('UND_ERR_SOCKET'), 'connection reset', 'network'],
    [err('UND_ERR_CONNECT_TIMEOUT'), 'timeout after 10000 ms', 'timeout'],
    [err('UND_ERR_HEADERS_TIMEOUT'), 'timeout after 10000 ms', 'timeout'],
    [err('UND_ERR_BODY_TIMEOUT'), 'timeout after 10000 ms', 'timeout'],
    [
      err('ENOTFOUND', { hostname: 'nope.invalid' }),
      'DNS lookup failed for nope.invalid (ENOTFOUND)',
      'dns',
    ],
    [
      err('EAI_AGAIN', { hostname: 'slow.test' }),
      'DNS lookup failed for slow.test (EAI_AGAIN)',
      'dns',
    ],
    [err('CERT_HAS_EXPIRED'), 'TLS error: boom CERT_HAS_EXPIRED', 'tls'],
    [err('ERR_TLS_CERT_ALTNAME_INVALID'), 'TLS error: boom ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    [err('EHOSTUNREACH'), 'host unreachable', 'connect'],
    [err('ENETUNREACH'), 'host unreachable', 'connect'],
    [new Error('weird'), 'network error: weird', 'network'],
    [
      Object.assign(new AggregateError([err('ECONNREFUSED')], ''), {}),
      'connection refused',
      'connect',
    ],
  ])('%p → %p', (error, message, cause) => {
    expect(classifyNetworkError(error, 10000)).toEqual({
      outcome: 'retryable',
      error: message,
      retryAfterMs: null,
      location: null,
      cause,
    });
  });
});

describe('R9 an address refused by the SSRF guard', () => {
  test('is a permanent failure with cause "blocked" and the guard\'s message as it is', () => {
    const blocked = Object.assign(new Error('blocked: 10.0.0.5 is a private address (R9)'), {
      code: SSRF_BLOCKED_CODE,
    });
    expect(classifyNetworkError(blocked, 10000)).toEqual({
      outcome: 'permanent',
      error: 'blocked: 10.0.0.5 is a private address (R9)',
      retryAfterMs: null,
      location: null,
      cause: 'blocked',
    });
  });

  test('also when Happy Eyeballs wraps it in an AggregateError', () => {
    const blocked = Object.assign(new Error('blocked: ::1 is a loopback address (R9)'), {
      code: SSRF_BLOCKED_CODE,
    });
    expect(classifyNetworkError(new AggregateError([blocked], 'all failed'), 10000)).toMatchObject({
      outcome: 'permanent',
      cause: 'blocked',
      error: 'blocked: ::1 is a loopback address (R9)',
    });
  });
});
