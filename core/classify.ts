/**
 * What an attempt's result means for the delivery (spec R5, R6): success, retry later, or fail
 * for good; the history's error text; and a cause category for the runner's circuit breaker.
 */
import { STATUS_CODES } from 'node:http';
import { describeHubSpotError } from './formats/hubspot.js';
import type { DeliveryOutcome } from './types.js';

/**
 * Why an attempt failed, coarsely. The runner's circuit breaker pauses an endpoint after a run of
 * failures of the endpoint itself, so a cause says whose failure it is:
 * - `rejected`: the receiver refused this one lead's payload (400, 409, 413, 422; HubSpot's
 *   INVALID_EMAIL and other answers about a field's value come as a 400). The endpoint works and
 *   other leads may pass, so this never counts towards the circuit.
 * - every other cause is the endpoint's, shared by every lead sent to it: dns, connect, tls,
 *   timeout, network; `http_3xx` (the URL is wrong); `http_4xx` (credentials, URL, method or
 *   content type refused, or the receiver is overloaded: 408, 425, 429); `http_5xx`.
 * - `blocked`: the host's address was refused by the sender's SSRF guard (spec R9), no connection
 *   was made.
 */
export type FailureCause =
  | 'dns'
  | 'connect'
  | 'tls'
  | 'timeout'
  | 'http_3xx'
  | 'http_4xx'
  | 'http_5xx'
  | 'network'
  | 'blocked'
  | 'rejected';

/**
 * The `code` of the error a guarded DNS lookup or agent fails a connection with when the target
 * address is not public (spec R9). Its message is the history's error text as it is.
 */
export const SSRF_BLOCKED_CODE = 'ERR_SSRF_BLOCKED';

export interface Classification {
  outcome: DeliveryOutcome;
  error: string | null;
  retryAfterMs: number | null;
  location: string | null;
  cause: FailureCause | null;
}

export type ResponseHeaders = Record<string, string | string[] | number | undefined>;

/** A receiver cannot park our retries for longer than this. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * The 4xx answers that are about the payload of this one lead: malformed or refused content (400,
 * 422), a duplicate of something the receiver already has (409), too large (413). Sending the same
 * payload again cannot succeed, so these fail the delivery for good (cause `rejected`).
 *
 * Every other 4xx is the endpoint's, and retried on the schedule like a 5xx (cause `http_4xx`):
 * - 401, 403: the seller's credentials (a token or secret mistyped, expired or rotated);
 * - 404, 405, 410, 415: the URL, method or content type the seller set up;
 * - 408, 425, 429: the receiver is overloaded or not ready;
 * - any code we cannot place.
 * These are settings the seller corrects, after which the same payload succeeds: retried, a lead
 * sent while the setting was wrong is delivered once it is fixed within the retry window, where
 * failing it for good lost it until a replay. They count towards the circuit breaker, which then
 * pauses the endpoint (no attempts used) instead of burning every lead's retries.
 */
const PAYLOAD_REJECTED_4XX: ReadonlySet<number> = new Set([400, 409, 413, 422]);

function header(headers: ResponseHeaders | undefined, name: string): string | null {
  if (!headers) return null;
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue;
    const value = headers[key];
    if (value === undefined) return null;
    return Array.isArray(value) ? (value[0] ?? null) : String(value);
  }
  return null;
}

// RFC 9110 HTTP-date: IMF-fixdate, plus the obsolete RFC 850 and asctime forms it still allows.
// Date.parse alone is far too lenient ("1" parses as the year 2001).
const HTTP_DATE = [
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
];

/**
 * Retry-After in milliseconds: delta-seconds or an HTTP-date, capped at 24 h. A date already past
 * means "now" (0). Negative, fractional or unparsable values give null (the schedule applies).
 */
export function parseRetryAfter(
  value: string | string[] | null | undefined,
  now: Date = new Date(),
): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  if (!HTTP_DATE.some((pattern) => pattern.test(text))) return null;
  const at = Date.parse(text.endsWith('GMT') ? text : `${text} GMT`);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(at - now.getTime(), 0), MAX_RETRY_AFTER_MS);
}

function statusLine(statusCode: number, statusText?: string): string {
  const text = statusText?.trim() || STATUS_CODES[statusCode] || '';
  return text ? `HTTP ${statusCode} ${text}` : `HTTP ${statusCode}`;
}

/**
 * HubSpot's Forms API answers a refused submission with 400 and
 * `{"errors":[{"errorType":"INVALID_EMAIL",…}]}`; the error types tell the seller what to fix.
 * The body may be a truncated excerpt, so a regex is the fallback when it is not valid JSON.
 */
export function hubSpotErrorTypes(body: string | null | undefined): string[] {
  if (!body || !body.includes('errorType')) return [];
  let types: string[] = [];
  try {
    const parsed: unknown = JSON.parse(body);
    const errors = (parsed as { errors?: unknown })?.errors;
    if (Array.isArray(errors)) {
      types = errors
        .map((entry) => (entry as { errorType?: unknown })?.errorType)
        .filter((type): type is string => typeof type === 'string' && type !== '');
    }
  } catch {
    types = [...body.matchAll(/"errorType"\s*:\s*"([^"\\]{1,100})"/g)].map((match) => match[1]);
  }
  return [...new Set(types)];
}

export function classifyResponse(response: {
  statusCode: number;
  statusText?: string;
  headers?: ResponseHeaders;
  body?: string | null;
  now?: Date;
}): Classification {
  const { statusCode, statusText, headers, body, now } = response;
  const location = header(headers, 'location');
  if (statusCode >= 200 && statusCode < 300) {
    return { outcome: 'success', error: null, retryAfterMs: null, location, cause: null };
  }
  const line = statusLine(statusCode, statusText);
  if (statusCode >= 300 && statusCode < 400) {
    const redirect = location ? `redirect to ${location}, not followed` : 'redirect not followed';
    return {
      outcome: 'permanent',
      error: `${line} (${redirect})`,
      retryAfterMs: null,
      location,
      cause: 'http_3xx',
    };
  }
  if (statusCode >= 400 && statusCode < 500 && PAYLOAD_REJECTED_4XX.has(statusCode)) {
    const types = hubSpotErrorTypes(body);
    return {
      outcome: 'permanent',
      // HubSpot's error types, each followed by what it means, so the history says what to fix.
      error: types.length > 0 ? `${line}: ${types.map(describeHubSpotError).join('; ')}` : line,
      retryAfterMs: null,
      location,
      cause: 'rejected',
    };
  }
  if (statusCode >= 400 && statusCode < 600) {
    // The endpoint's (see PAYLOAD_REJECTED_4XX): retried, and counted by the circuit breaker.
    const types = statusCode < 500 ? hubSpotErrorTypes(body) : [];
    return {
      outcome: 'retryable',
      error: types.length > 0 ? `${line}: ${types.join(', ')}` : line,
      retryAfterMs: parseRetryAfter(header(headers, 'retry-after'), now),
      location,
      cause: statusCode >= 500 ? 'http_5xx' : 'http_4xx',
    };
  }
  // 1xx as a final answer, or a status outside HTTP's range: the receiver is not speaking HTTP
  // as we expect, and trying again will not change that.
  return {
    outcome: 'permanent',
    error: `${line} (unexpected status)`,
    retryAfterMs: null,
    location,
    cause: 'network',
  };
}

const TLS_CODES = new Set([
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  hostname?: unknown;
  name?: unknown;
  errors?: unknown;
}

/** The code of an error; for an AggregateError (Happy Eyeballs tried several addresses), the first. */
function errorCode(err: ErrorLike): string {
  if (typeof err.code === 'string') return err.code;
  if (Array.isArray(err.errors) && err.errors.length > 0) {
    return errorCode((err.errors[0] ?? {}) as ErrorLike);
  }
  return '';
}

/**
 * A network-level failure (no HTTP response). All are retryable: DNS, connectivity and even
 * certificates are things a receiver fixes without the lead changing. The exception is an address
 * refused by an SSRF guard (SSRF_BLOCKED_CODE): permanent, since the URL does not become public
 * by trying again.
 */
/** undici's own timeouts (connecting, waiting for headers, between body chunks). */
const UNDICI_TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export function classifyNetworkError(err: unknown, timeoutMs: number): Classification {
  const e: ErrorLike = err !== null && typeof err === 'object' ? (err as ErrorLike) : {};
  const code = errorCode(e);
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  if (code === SSRF_BLOCKED_CODE) {
    // The guard's message names the address; inside an AggregateError it is the first error's.
    const blocked = typeof e.code === 'string' ? e : ((e.errors as ErrorLike[])[0] ?? e);
    return {
      outcome: 'permanent',
      error: typeof blocked.message === 'string' ? blocked.message : message,
      retryAfterMs: null,
      location: null,
      cause: 'blocked',
    };
  }
  const result = (error: string, cause: FailureCause): Classification => ({
    outcome: 'retryable',
    error,
    retryAfterMs: null,
    location: null,
    cause,
  });
  if (
    code === 'ETIMEDOUT' ||
    code === 'ERR_ATTEMPT_TIMEOUT' ||
    UNDICI_TIMEOUT_CODES.has(code) ||
    e.name === 'TimeoutError'
  ) {
    return result(`timeout after ${timeoutMs} ms`, 'timeout');
  }
  if (code === 'ECONNREFUSED') return result('connection refused', 'connect');
  // UND_ERR_SOCKET: undici's "other side closed", the server hung up without an answer.
  if (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'UND_ERR_SOCKET' ||
    message === 'socket hang up'
  ) {
    return result('connection reset', 'network');
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') {
    const host = typeof e.hostname === 'string' ? e.hostname : 'host';
    return result(`DNS lookup failed for ${host} (${code})`, 'dns');
  }
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) {
    return result(`TLS error: ${message}`, 'tls');
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN') {
    return result('host unreachable', 'connect');
  }
  return result(`network error: ${message}`, 'network');
}
