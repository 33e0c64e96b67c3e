/**
 * Input the runner cannot keep as it was sent, refused here for every route at once with a 400
 * naming where it was (R9: bad input anywhere gets a clear 4xx, never a 500 and never a record
 * that differs from the request):
 * - a body that is not valid UTF-8: decoding would turn each bad byte into U+FFFD and store that;
 * - a NUL character (U+0000): PostgreSQL refuses it in text columns and jsonb, so the query fails;
 * - a lone UTF-16 surrogate (JSON's `"\ud800"`): PostgreSQL's jsonb refuses it, and a text
 *   column would get U+FFFD instead, as node-postgres encodes it to UTF-8;
 * - a number JSON.parse could only make Infinity of (`1e400`): no field takes one, and zod's
 *   message for it ("expected number, received number") does not say what is wrong;
 * - a query string whose percent-escapes are not UTF-8 (`%ED%A0%80`, `%FF`): the query parser
 *   would turn them into U+FFFD. (A path parameter like that fails the router's decoding, which
 *   errors.ts answers with its own 400.)
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { ApiError, validationFailed, type ErrorDetail } from './errors.js';

const NUL = '\u0000';
const NUL_MESSAGE = 'must not contain a NUL character (U+0000)';
const SURROGATE_MESSAGE = 'must not contain a lone UTF-16 surrogate (U+D800 to U+DFFF unpaired)';
const INFINITE_MESSAGE = 'must be a finite number (this one is too large to represent)';
const QUERY_ENCODING_MESSAGE = 'must be percent-encoded UTF-8';

/** A surrogate not in a pair: with the `u` flag a pair is one code point and does not match. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** What is wrong with a string or key, or null. */
function textProblem(text: string): string | null {
  if (text.includes(NUL)) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(text)) return SURROGATE_MESSAGE;
  return null;
}

/**
 * The first string, key or number of a parsed JSON body the runner refuses, as an error detail
 * with its dot path, or null. Iterative: bodies may nest deep.
 */
export function findUnsafeInput(value: unknown): ErrorDetail | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      const message = textProblem(current);
      if (message) return { path: path || 'body', message };
      continue;
    }
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { path: path || 'body', message: INFINITE_MESSAGE };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    for (const [key, child] of Object.entries(current)) {
      const childPath = path ? `${path}.${key}` : key;
      const message = textProblem(key);
      if (message) return { path: childPath, message };
      stack.push({ value: child, path: childPath });
    }
  }
  return null;
}

/** `%00` in the path or query string of the request. */
const ENCODED_NUL = /%00/i;

function decoded(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * The first query parameter whose name or value is not percent-encoded UTF-8: its name, or
 * `query` when the name itself is the problem.
 */
function badlyEncodedQueryParameter(query: string): string | null {
  for (const part of query.split('&')) {
    const equals = part.indexOf('=');
    const name = decoded(equals < 0 ? part : part.slice(0, equals));
    if (name === null) return 'query';
    if (equals >= 0 && decoded(part.slice(equals + 1)) === null) return name || 'query';
  }
  return null;
}

export const refuseUnsafeUrl: RequestHandler = (req, _res, next) => {
  // Split at the first `?` only: the query string may hold more of them.
  const mark = req.originalUrl.indexOf('?');
  const path = mark < 0 ? req.originalUrl : req.originalUrl.slice(0, mark);
  const query = mark < 0 ? '' : req.originalUrl.slice(mark + 1);
  const where = ENCODED_NUL.test(path) ? 'params' : ENCODED_NUL.test(query) ? 'query' : null;
  if (where) {
    next(
      new ApiError(400, 'validation_failed', `${where}: ${NUL_MESSAGE}`, [
        { path: where, message: NUL_MESSAGE },
      ]),
    );
    return;
  }
  const parameter = badlyEncodedQueryParameter(query);
  if (parameter !== null) {
    next(
      new ApiError(400, 'invalid_query', 'the query string is not valid percent-encoded UTF-8', [
        { path: parameter, message: QUERY_ENCODING_MESSAGE },
      ]),
    );
    return;
  }
  next();
};

/**
 * express.json's `verify`: a body declared (or defaulted) as UTF-8 whose bytes are not. The
 * error keeps its 400 through body-parser, which would otherwise make it a 403.
 */
export function verifyUtf8Body(
  _req: IncomingMessage,
  _res: unknown,
  body: Buffer,
  encoding: string,
): void {
  if (encoding.toLowerCase() === 'utf-8' && !isUtf8(body)) {
    throw new ApiError(400, 'invalid_body', 'the request body is not valid UTF-8', [
      { path: 'body', message: 'must be valid UTF-8' },
    ]);
  }
}

/** After the JSON parser: a body string, key or number the runner refuses. */
export const refuseUnsafeBody: RequestHandler = (req, _res, next) => {
  const problem = req.body === undefined ? null : findUnsafeInput(req.body);
  if (problem !== null) {
    next(validationFailed([problem]));
    return;
  }
  next();
};
