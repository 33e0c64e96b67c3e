/**
 * One delivery attempt (spec R5): a POST of the formatted body with the custom headers, our
 * User-Agent and the Standard Webhooks headers, classified into an AttemptResult. The promise
 * never rejects: bad input and network failures are results too, so callers record every attempt.
 */
import type { LookupFunction } from 'node:net';
import type { Dispatcher } from 'undici';
import { BoundedCache } from './boundedCache.js';
import { classifyNetworkError, classifyResponse, type FailureCause } from './classify.js';
import { headerValueProblem, validateHeaders } from './headers.js';
import { createDispatcher, exchange, type ExchangeError } from './http-exchange.js';
import { signatureHeaders } from './signing.js';
import type { DeliveryOutcome, HeaderPair } from './types.js';
import { defineOwn } from './values.js';
import { defaultUserAgent } from './version.js';

export { RESPONSE_EXCERPT_BYTES } from './http-exchange.js';

/** The header that marks a Send test's request (value `true`); never on a real delivery. */
export const TEST_HEADER = 'webhook-test';

export interface WebhookRequest {
  url: string;
  body: string | Buffer;
  contentType: string;
  headers?: readonly HeaderPair[];
  timeoutMs: number;
  /** The delivery id: `webhook-id`, the same on every retry so the receiver can deduplicate. */
  messageId: string;
  /**
   * A Send test: the request carries `webhook-test: true` (TEST_HEADER) so a receiver can keep
   * the sample lead out of its records. Real deliveries carry no such header.
   */
  test?: boolean;
  /** `whsec_` secrets; when non-empty the webhook-* headers are sent (one signature each). */
  signingSecrets?: readonly string[];
  userAgent?: string;
  /**
   * DNS lookup used to connect, e.g. one that refuses private addresses (R9); requests with the
   * same lookup share a keep-alive pool of their own (a pooled socket is reused without a new
   * lookup, so sockets opened without it must not serve them). Ignored when `dispatcher` is set.
   */
  lookup?: LookupFunction;
  /** The undici dispatcher to send through (the runner's SSRF-guarded one); default: shared. */
  dispatcher?: Dispatcher;
  /** Abandons the attempt when it fires (its execution was cancelled). */
  signal?: AbortSignal;
}

export interface AttemptResult {
  success: boolean;
  outcome: DeliveryOutcome;
  statusCode: number | null;
  /** Whole milliseconds, measured with performance.now(). */
  durationMs: number;
  error: string | null;
  retryAfterMs: number | null;
  /** The response body's first RESPONSE_EXCERPT_BYTES as text (bytes not UTF-8 become U+FFFD). */
  responseExcerpt: string | null;
  /** Some of the excerpt's bytes were not UTF-8 (each such sequence shows as U+FFFD). */
  responseInvalidUtf8: boolean;
  location: string | null;
  /** The headers exactly as sent (undici adds only `connection: keep-alive`); redact before storing or showing. */
  requestHeaders: Record<string, string>;
  startedAt: string;
  cause: FailureCause | null;
}

// Shared so consecutive deliveries to one receiver reuse connections (and TLS sessions).
let sharedDispatcher: Dispatcher | undefined;
/** One keep-alive pool per lookup function: a weak map, so a discarded lookup takes its pool along. */
let lookupDispatchers = new WeakMap<LookupFunction, Dispatcher>();

function dispatcherFor(request: WebhookRequest): Dispatcher {
  if (request.dispatcher) return request.dispatcher;
  if (request.lookup) {
    let dispatcher = lookupDispatchers.get(request.lookup);
    if (!dispatcher) {
      dispatcher = createDispatcher({ lookup: request.lookup });
      lookupDispatchers.set(request.lookup, dispatcher);
    }
    return dispatcher;
  }
  sharedDispatcher ??= createDispatcher();
  return sharedDispatcher;
}

/** Closes the shared keep-alive connections (tests, shutdown); later requests open new ones. */
export function destroyKeepAliveAgents(): void {
  const shared = sharedDispatcher;
  sharedDispatcher = undefined;
  lookupDispatchers = new WeakMap();
  void shared?.destroy().catch(() => {});
}

type Prepared =
  | { ok: true; target: Target; headers: Record<string, string>; body: string | Buffer }
  | { ok: false; error: string; headers: Record<string, string> };

function headerLabel(name: unknown): string {
  return typeof name === 'string' && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)
    ? name
    : JSON.stringify(name);
}

/** URL userinfo is percent-encoded; a malformed escape is kept as written rather than thrown. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A webhook URL taken apart once: where to connect and what to send as Host and path. */
interface Target {
  origin: string;
  /** Path and query. */
  path: string;
  host: string;
  /** `Basic …` from credentials in the URL (sent unless a custom Authorization header wins). */
  authorization: string | null;
}

/**
 * Parsed targets by URL text (or why the URL cannot be sent to). The items of an endpoint share
 * their URL, so a batch parses it once; bounded, since URLs come from stored endpoints and items.
 */
const targets = new BoundedCache<string, Target | string>(1000);

function targetOf(text: string): Target | string {
  const cached = targets.get(text);
  if (cached !== undefined) return cached;
  let target: Target | string;
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      target = `unsupported URL scheme ${url.protocol} (http or https only)`;
    } else {
      const authorization =
        url.username || url.password
          ? `Basic ${Buffer.from(`${safeDecode(url.username)}:${safeDecode(url.password)}`).toString('base64')}`
          : null;
      target = {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        host: url.host,
        authorization,
      };
    }
  } catch {
    target = 'invalid URL';
  }
  targets.set(text, target);
  return target;
}

function prepare(request: WebhookRequest, startedAt: Date): Prepared {
  const headers: Record<string, string> = {};
  const target = typeof request.url === 'string' ? targetOf(request.url) : 'invalid URL';
  if (typeof target === 'string') return { ok: false, error: target, headers };
  if (!Number.isFinite(request.timeoutMs) || request.timeoutMs <= 0) {
    return { ok: false, error: 'invalid timeoutMs', headers };
  }
  const custom = request.headers ?? [];
  const [problem] = validateHeaders(custom);
  if (problem) {
    const index = Number(/^headers\[(\d+)\]/.exec(problem.path)?.[1] ?? 0);
    return { ok: false, error: `invalid header ${headerLabel(custom[index]?.name)}`, headers };
  }
  const userAgent = request.userAgent ?? defaultUserAgent();
  if (typeof request.contentType !== 'string' || headerValueProblem(request.contentType)) {
    return { ok: false, error: 'invalid header Content-Type', headers };
  }
  if (typeof userAgent !== 'string' || headerValueProblem(userAgent)) {
    return { ok: false, error: 'invalid header User-Agent', headers };
  }

  // Credentials in the URL become an explicit Authorization header, so requestHeaders shows
  // (to be redacted) what was really sent; a custom Authorization header wins.
  if (target.authorization && !custom.some((h) => h.name.toLowerCase() === 'authorization')) {
    defineOwn(headers, 'Authorization', target.authorization);
  }

  const body = request.body;
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) {
    return { ok: false, error: 'invalid request: the body must be a string or a Buffer', headers };
  }
  defineOwn(headers, 'Host', target.host);
  for (const { name, value } of custom) defineOwn(headers, name, value);
  defineOwn(headers, 'Content-Type', request.contentType);
  defineOwn(headers, 'Content-Length', String(Buffer.byteLength(body)));
  defineOwn(headers, 'User-Agent', userAgent);
  if (request.test === true) defineOwn(headers, TEST_HEADER, 'true');
  const secrets = request.signingSecrets ?? [];
  if (secrets.length > 0) {
    try {
      const signed = signatureHeaders({
        id: request.messageId,
        timestamp: startedAt,
        body,
        secrets,
      });
      defineOwn(headers, 'webhook-id', signed['webhook-id']);
      defineOwn(headers, 'webhook-timestamp', signed['webhook-timestamp']);
      defineOwn(headers, 'webhook-signature', signed['webhook-signature']);
    } catch (error) {
      return { ok: false, error: (error as Error).message, headers: {} };
    }
  }
  return { ok: true, target, headers, body };
}

export async function sendWebhook(request: WebhookRequest): Promise<AttemptResult> {
  const startedAt = new Date();
  const started = performance.now();
  const base = {
    statusCode: null,
    retryAfterMs: null,
    responseExcerpt: null,
    responseInvalidUtf8: false,
    location: null,
    startedAt: startedAt.toISOString(),
  };
  const elapsed = (): number => Math.round(performance.now() - started);

  let prepared: Prepared;
  try {
    prepared = prepare(request, startedAt);
  } catch (error) {
    // A malformed request object (a caller's bug) is still an attempt result, never a rejection.
    prepared = { ok: false, error: `invalid request: ${(error as Error).message}`, headers: {} };
  }
  if (!prepared.ok) {
    return {
      ...base,
      success: false,
      outcome: 'permanent',
      durationMs: elapsed(),
      error: prepared.error,
      requestHeaders: prepared.headers,
      cause: null,
    };
  }

  const deadline = started + request.timeoutMs;
  const exchangeRequest = {
    origin: prepared.target.origin,
    path: prepared.target.path,
    headers: prepared.headers,
    body: prepared.body,
    deadline,
    dispatcher: dispatcherFor(request),
    signal: request.signal,
  };
  try {
    const response = await exchange(exchangeRequest);
    const classification = classifyResponse({
      statusCode: response.statusCode,
      statusText: response.statusMessage,
      headers: response.headers,
      body: response.excerpt,
    });
    return {
      ...base,
      ...classification,
      success: classification.outcome === 'success',
      statusCode: response.statusCode,
      durationMs: elapsed(),
      responseExcerpt: response.excerpt,
      responseInvalidUtf8: response.excerptInvalidUtf8,
      requestHeaders: prepared.headers,
    };
  } catch (error) {
    const e = error as ExchangeError;
    if (e?.beforeSending) {
      return {
        ...base,
        success: false,
        outcome: 'permanent',
        durationMs: elapsed(),
        error: `invalid request: ${e.message}`,
        requestHeaders: prepared.headers,
        cause: null,
      };
    }
    // Our own deadline (ERR_ATTEMPT_TIMEOUT) reads `timeout after <timeoutMs> ms` here.
    const classified = classifyNetworkError(e, request.timeoutMs);
    return {
      ...base,
      ...classified,
      success: false,
      statusCode: null,
      durationMs: elapsed(),
      requestHeaders: prepared.headers,
    };
  }
}
