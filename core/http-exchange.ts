/**
 * One HTTP request/response exchange on an undici dispatcher, with the details a webhook sender
 * needs and fetch does not offer: the connection through a dispatcher the caller chooses (an
 * SSRF-guarded one in the runner), no redirect following, one deadline for the whole exchange,
 * and a bounded read of the response body.
 *
 * undici's low-level `dispatch` with a handler of plain callbacks, not node:http nor undici's
 * `request()`: no ClientRequest/IncomingMessage, no body stream and no AbortController per
 * request. The worker's CPU per delivery fell noticeably, much of it garbage collection on V8's
 * helper threads (bench/history.md).
 *
 * Keep-alive: undici checks an idle pooled socket for a pending close before reusing it and
 * retires sockets by the server's `Keep-Alive: timeout` hint, the stale-socket race node:http
 * needed a retry for.
 */
import { Agent, buildConnector, type Dispatcher } from 'undici';
import type { LookupFunction } from 'node:net';
import { decodeUtf8 } from './storableText.js';

/** How much of a response the history keeps, in bytes (R6). */
export const RESPONSE_EXCERPT_BYTES = 2048;

/**
 * A response body up to this size is read to its end so the keep-alive socket can be reused;
 * anything larger is cut off by aborting the response (cheaper than downloading it).
 */
export const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * undici gives up connecting after 10 s by default, before a longer endpoint timeout would; the
 * exchange's own deadline decides instead.
 */
const CONNECT_TIMEOUT_MS = 10 * 60_000;

/** Response headers as undici gives them: lowercase names, repeated ones as arrays. */
export type ExchangeHeaders = Record<string, string | string[] | undefined>;

export interface ExchangeRequest {
  /** `http(s)://host[:port]` */
  origin: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** performance.now() value at which the exchange is abandoned. */
  deadline: number;
  dispatcher: Dispatcher;
  /** Abandons the exchange when it fires (the caller's work was cancelled). */
  signal?: AbortSignal;
}

export interface ExchangeResponse {
  statusCode: number;
  statusMessage: string;
  headers: ExchangeHeaders;
  excerpt: string | null;
  /** The excerpt's bytes were not all UTF-8: what was not is a U+FFFD in `excerpt`. */
  excerptInvalidUtf8: boolean;
}

/** Error of an exchange that got no response. */
export interface ExchangeError extends Error {
  code?: string;
  /** Refused by the client itself (bad options), nothing was sent. */
  beforeSending?: boolean;
}

export const ATTEMPT_TIMEOUT_CODE = 'ERR_ATTEMPT_TIMEOUT';
export const ATTEMPT_CANCELLED_CODE = 'ERR_ATTEMPT_CANCELLED';

export interface DispatcherOptions {
  /** Resolves the names of new connections (e.g. an SSRF guard's checked lookup). */
  lookup?: LookupFunction;
  /**
   * Judges a connection's host before anything is opened; an error refuses it. IP literals need
   * this: they are connected to directly, without a lookup.
   */
  refuseHost?: (hostname: string) => Error | null;
}

/** A keep-alive dispatcher whose every new connection goes through `options`. */
export function createDispatcher(options: DispatcherOptions = {}): Agent {
  // HTTP/1.1 only, as before with node:http: receivers see the same requests (Host header
  // included) whatever their TLS offers.
  const connect = buildConnector({
    allowH2: false,
    timeout: CONNECT_TIMEOUT_MS,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  const { refuseHost } = options;
  return new Agent({
    connect: refuseHost
      ? (connectOptions: buildConnector.Options, callback: buildConnector.Callback) => {
          const hostname = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1');
          const refusal = refuseHost(hostname);
          if (refusal) {
            process.nextTick(() => callback(refusal, null));
            return;
          }
          connect(connectOptions, callback);
        }
      : connect,
    allowH2: false,
    // undici's own timers off: each exchange's deadline ends it (see `exchange`).
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

const NO_EXCERPT = { excerpt: null, excerptInvalidUtf8: false };

/**
 * The excerpt as text. `cut`: the body went on past these bytes, so a multi-byte character cut at
 * the RESPONSE_EXCERPT_BYTES boundary is left out (the excerpt stays within the byte budget) rather than reported as
 * invalid. Bytes that are not UTF-8 are replaced by U+FFFD and reported, so that the history can
 * say the receiver's answer was not shown as it was.
 */
function decodeExcerpt(
  chunks: Buffer[],
  cut: boolean,
): Pick<ExchangeResponse, 'excerpt' | 'excerptInvalidUtf8'> {
  if (chunks.length === 0) return NO_EXCERPT;
  const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  if (bytes.length === 0) return NO_EXCERPT;
  const { text, invalidUtf8 } = decodeUtf8(bytes, { cut });
  return { excerpt: text, excerptInvalidUtf8: invalidUtf8 };
}

function attemptTimeout(): ExchangeError {
  const timeout: ExchangeError = new Error('attempt timed out');
  timeout.code = ATTEMPT_TIMEOUT_CODE;
  return timeout;
}

function attemptCancelled(): ExchangeError {
  const cancelled: ExchangeError = new Error('attempt cancelled');
  cancelled.code = ATTEMPT_CANCELLED_CODE;
  return cancelled;
}

interface DispatchController {
  abort(reason: Error): void;
}

export function exchange(request: ExchangeRequest): Promise<ExchangeResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let controller: DispatchController | undefined;
    let statusCode = 0;
    let statusMessage = '';
    let headers: ExchangeHeaders = {};
    let declaredLength = NaN;
    const chunks: Buffer[] = [];
    let kept = 0;
    let received = 0;

    // Once the status line is in, the status decides the outcome, even if the body is cut short
    // by the deadline, the size limit or the server: a 200 means the receiver took the lead.
    // `ended`: the body arrived whole; otherwise it was cut short and may go on past the excerpt.
    const resolveWithResponse = (ended = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCancel);
      const cut = !ended || received > kept;
      resolve({ statusCode, statusMessage, headers, ...decodeExcerpt(chunks, cut) });
    };
    const fail = (error: ExchangeError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCancel);
      reject(error);
    };
    function onCancel(): void {
      const cancelled = attemptCancelled();
      if (controller) controller.abort(cancelled);
      fail(cancelled);
    }

    const onDeadline = (): void => {
      if (settled) return;
      if (statusCode > 0) {
        resolveWithResponse();
        controller?.abort(attemptTimeout());
        return;
      }
      const timeout = attemptTimeout();
      if (controller) controller.abort(timeout);
      else fail(timeout);
    };
    // The deadline is judged one loop turn late, after the I/O that is already waiting. When this
    // process was busy (a long GC, CPU starvation) past the deadline, the event loop runs due
    // timers before it reads sockets: an answer the receiver sent in time would be taken for a
    // timeout, and the lead sent to it again.
    const timer = setTimeout(
      () => setImmediate(onDeadline),
      Math.max(0, request.deadline - performance.now()),
    );

    const handler = {
      onRequestStart(started: DispatchController): void {
        controller = started;
        if (settled) started.abort(attemptTimeout());
      },
      onResponseStart(
        _controller: DispatchController,
        code: number,
        responseHeaders: ExchangeHeaders,
        message?: string,
      ): void {
        if (code < 200) return; // 1xx informational: the real response follows
        statusCode = code;
        statusMessage = message ?? '';
        headers = responseHeaders;
        declaredLength = Number(responseHeaders['content-length'] ?? NaN);
      },
      onResponseData(current: DispatchController, chunk: Buffer): void {
        received += chunk.length;
        if (kept < RESPONSE_EXCERPT_BYTES) {
          const part = chunk.subarray(0, RESPONSE_EXCERPT_BYTES - kept);
          chunks.push(part);
          kept += part.length;
        }
        const excerptComplete = kept >= RESPONSE_EXCERPT_BYTES;
        if (
          received > DRAIN_LIMIT_BYTES ||
          (excerptComplete && declaredLength > DRAIN_LIMIT_BYTES)
        ) {
          resolveWithResponse();
          current.abort(new Error('response body over the drain limit'));
        }
      },
      onResponseEnd(): void {
        resolveWithResponse(true);
      },
      onResponseError(_controller: DispatchController, error: ExchangeError): void {
        if (statusCode > 0) {
          resolveWithResponse();
          return;
        }
        if (error?.code === 'UND_ERR_INVALID_ARG' || error?.code === 'UND_ERR_NOT_SUPPORTED') {
          error.beforeSending = true;
        }
        fail(error);
      },
    };

    if (request.signal?.aborted) {
      fail(Object.assign(attemptCancelled(), { beforeSending: true }));
      return;
    }
    request.signal?.addEventListener('abort', onCancel, { once: true });
    try {
      request.dispatcher.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: 'POST',
          headers: request.headers,
          body: request.body,
        },
        handler as unknown as Dispatcher.DispatchHandler,
      );
    } catch (error) {
      fail(Object.assign(error as ExchangeError, { beforeSending: true }));
    }
  });
}
