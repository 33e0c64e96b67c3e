/**
 * The one error shape of the API: `{"error":{"code","message","details":[{path,message}]}}`.
 * Paths use dots for every level (`fieldMappings.2.output`), whether zod or core found the problem.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod/v4';
import type { ValidationProblem } from '../../../core/types.js';
import { isDbUnavailableError } from '../db/retry.js';

/** One entry of an error's `details`: the same shape as core's validation problems. */
export type ErrorDetail = ValidationProblem;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string, details: ErrorDetail[] = []) =>
  new ApiError(404, 'not_found', `${what} not found`, details);

/**
 * The most problems one answer lists. A body of many small wrong values (a megabyte of numbers
 * where objects belong) would otherwise be answered with a problem each, many times its size.
 */
export const MAX_ERROR_DETAILS = 100;

export const validationFailed = (details: ErrorDetail[]) =>
  new ApiError(
    400,
    'validation_failed',
    details.length === 1
      ? `${details[0].path}: ${details[0].message}`
      : details.length > MAX_ERROR_DETAILS
        ? `${details.length} problems in the request (the first ${MAX_ERROR_DETAILS} in details)`
        : `${details.length} problems in the request (see details)`,
    details.slice(0, MAX_ERROR_DETAILS),
  );

/** `fieldMappings[2].output` → `fieldMappings.2.output`. */
export function normalizePath(path: string): string {
  return path.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '');
}

/** Core's problems (paths relative to the endpoint) as details, optionally under a prefix. */
export function problemsToDetails(
  problems: readonly ValidationProblem[],
  prefix = '',
): ErrorDetail[] {
  return problems.map((problem) => ({
    path: [prefix, normalizePath(problem.path)].filter(Boolean).join('.'),
    message: problem.message,
  }));
}

/** zod issues as details; `location` names an issue at the root (`body`, `query`, `params`). */
export function zodDetails(error: z.ZodError, location: string): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const full = path ? `${path}.${key}` : key;
        details.push({
          path: full,
          message:
            path === 'lead'
              ? `"${key}" is not a lead field (see GET /v1/fields)`
              : `"${key}" is not a known field`,
        });
      }
      continue;
    }
    details.push({ path: path || location, message: issue.message });
  }
  return details;
}

export function sendError(
  res: Parameters<RequestHandler>[1],
  status: number,
  code: string,
  message: string,
  details: ErrorDetail[] = [],
): void {
  res.status(status).json({ error: { code, message, details } });
}

/** Unknown route: a JSON 404, never express's HTML page. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`);
};

/**
 * How long a client is asked to wait while the database is unavailable: about what a PostgreSQL
 * restart or failover takes, and long enough that retrying clients do not pile onto its start.
 */
export const DB_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  message?: string;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof ApiError) {
      sendError(res, err.status, err.code, err.message, err.details);
      return;
    }
    const parserError = err as BodyParserError;
    switch (parserError.type) {
      case 'entity.parse.failed':
        sendError(res, 400, 'invalid_json', 'the request body is not valid JSON', [
          { path: 'body', message: parserError.message ?? 'invalid JSON' },
        ]);
        return;
      case 'entity.too.large':
        sendError(res, 413, 'payload_too_large', 'the request body is larger than 1 MB');
        return;
      case 'encoding.unsupported':
      case 'charset.unsupported':
        sendError(
          res,
          415,
          'unsupported_media_type',
          parserError.message ?? 'unsupported encoding',
        );
        return;
      default:
        break;
    }
    if (err instanceof URIError) {
      // The router could not percent-decode a path parameter (`/v1/endpoints/%E0%A4%A`).
      sendError(res, 400, 'invalid_path', 'the URL path is not valid percent-encoded UTF-8', [
        { path: 'params', message: err.message },
      ]);
      return;
    }
    if (
      typeof parserError.status === 'number' &&
      parserError.status >= 400 &&
      parserError.status < 500 &&
      parserError.expose
    ) {
      sendError(res, parserError.status, 'bad_request', parserError.message ?? 'bad request');
      return;
    }
    if (isDbUnavailableError(err)) {
      // Not a fault of the request, and not the runner's: PostgreSQL rolls back the transaction
      // of a connection that goes away, so the request wrote nothing and can be sent again (only
      // a cut in the very moment of its COMMIT leaves that unknown).
      logger.warn({ err, method: req.method, path: req.path }, 'database unavailable');
      res.set('Retry-After', String(DB_UNAVAILABLE_RETRY_AFTER_SECONDS));
      sendError(res, 503, 'database_unavailable', 'the database is unavailable; try again shortly');
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'request failed');
    sendError(res, 500, 'internal_error', 'internal error');
  };
}
