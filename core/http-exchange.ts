/**
 * One HTTP request/response exchange on node:http(s), with the details a webhook sender needs
 * and fetch does not offer: a `lookup` hook (for an SSRF guard), no redirect following, one
 * deadline for the whole exchange, and a bounded read of the response body.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

/** The history keeps the first 2 KB of a response (R6). */
export const RESPONSE_EXCERPT_BYTES = 2048;

/**
 * A response body up to this size is read to its end so the keep-alive socket can be reused;
 * anything larger is cut off by destroying the response (cheaper than downloading it).
 */
export const DRAIN_LIMIT_BYTES = 64 * 1024;

export interface ExchangeRequest {
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
  /** performance.now() value at which the exchange is abandoned. */
  deadline: number;
  agent: http.Agent;
  lookup?: LookupFunction;
}

export interface ExchangeResponse {
  statusCode: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  excerpt: string | null;
}

/** Error of an exchange that got no response; `reusedSocket` tells a stale keep-alive socket. */
export interface ExchangeError extends Error {
  code?: string;
  reusedSocket?: boolean;
  /** Thrown by http.request itself (bad options), not by the network. */
  beforeSending?: boolean;
}

export const ATTEMPT_TIMEOUT_CODE = 'ERR_ATTEMPT_TIMEOUT';

function decodeExcerpt(chunks: Buffer[]): string | null {
  const bytes = Buffer.concat(chunks);
  if (bytes.length === 0) return null;
  // StringDecoder holds back a multi-byte character cut at the 2 KB boundary instead of
  // producing a replacement character, so the excerpt stays within the byte budget.
  return new StringDecoder('utf8').write(bytes);
}

export function exchange(request: ExchangeRequest): Promise<ExchangeResponse> {
  return new Promise((resolve, reject) => {
    const transport = request.url.protocol === 'https:' ? https : http;
    let settled = false;
    let response: http.IncomingMessage | undefined;
    const chunks: Buffer[] = [];
    let kept = 0;
    let received = 0;

    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };
    // Once the status line is in, the status decides the outcome, even if the body is cut short
    // by the deadline or the server: a 200 means the receiver took the lead.
    const resolveWithResponse = (): void =>
      settle(() =>
        resolve({
          statusCode: response?.statusCode ?? 0,
          statusMessage: response?.statusMessage ?? '',
          headers: response?.headers ?? {},
          excerpt: decodeExcerpt(chunks),
        }),
      );

    let req: http.ClientRequest;
    try {
      req = transport.request(request.url, {
        method: 'POST',
        headers: request.headers,
        agent: request.agent,
        lookup: request.lookup,
      });
    } catch (error) {
      reject(Object.assign(error as ExchangeError, { beforeSending: true }));
      return;
    }

    const timer = setTimeout(
      () => {
        if (response) {
          response.destroy();
          resolveWithResponse();
          return;
        }
        const timeout: ExchangeError = new Error('attempt timed out');
        timeout.code = ATTEMPT_TIMEOUT_CODE;
        req.destroy(timeout);
      },
      Math.max(0, request.deadline - performance.now()),
    );

    req.on('response', (res) => {
      response = res;
      const declaredLength = Number(res.headers['content-length'] ?? NaN);
      res.on('data', (chunk: Buffer) => {
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
          res.destroy();
          resolveWithResponse();
        }
      });
      res.on('end', resolveWithResponse);
      res.on('error', resolveWithResponse);
      res.on('close', resolveWithResponse);
    });

    req.on('error', (error: ExchangeError) => {
      if (response) {
        resolveWithResponse();
        return;
      }
      settle(() => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
    });

    req.end(request.body);
  });
}
