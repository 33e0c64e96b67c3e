/**
 * Input PostgreSQL cannot store: a NUL character (U+0000) is refused in text columns (and jsonb),
 * so an id, query value or body string carrying one would fail the query with a 500. It is refused
 * here, for every route at once, with a 400 naming where it was (R9: bad input anywhere gets a
 * clear 4xx, never a 500).
 */
import type { RequestHandler } from 'express';
import { ApiError, validationFailed, type ErrorDetail } from './errors.js';

const NUL = '\u0000';
const MESSAGE = 'must not contain a NUL character (U+0000)';

/** The dot path of the first string or key holding a NUL, or null. Iterative: bodies may nest deep. */
export function findNul(value: unknown): string | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes(NUL)) return path;
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    for (const [key, child] of Object.entries(current)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key.includes(NUL)) return childPath;
      stack.push({ value: child, path: childPath });
    }
  }
  return null;
}

/** `%00` in the path or query string of the request. */
const ENCODED_NUL = /%00/i;

export const refuseNulInUrl: RequestHandler = (req, _res, next) => {
  const [path, query = ''] = req.originalUrl.split('?', 2);
  const where = ENCODED_NUL.test(path) ? 'params' : ENCODED_NUL.test(query) ? 'query' : null;
  if (where) {
    next(
      new ApiError(400, 'validation_failed', `${where}: ${MESSAGE}`, [
        { path: where, message: MESSAGE },
      ]),
    );
    return;
  }
  next();
};

/** After the JSON parser: a body string or key with a NUL. */
export const refuseNulInBody: RequestHandler = (req, _res, next) => {
  const path = req.body === undefined ? null : findNul(req.body);
  if (path !== null) {
    const detail: ErrorDetail = { path: path || 'body', message: MESSAGE };
    next(validationFailed([detail]));
    return;
  }
  next();
};
