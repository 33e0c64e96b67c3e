/** OpenAPI response entries for the error statuses a route can answer. */
import type { ResponseDoc } from '../route.js';
import { ErrorBody } from '../schemas.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (details name the fields)',
  401: 'Missing or invalid API key',
  403: 'An API key of the wrong kind',
  404: 'Not found (or not yours)',
  409: 'Conflict with the current state',
  413: 'Body larger than 1 MB',
  503: 'The database is unavailable: send the request again after Retry-After seconds',
};

export function errorResponses(...statuses: number[]): Record<number, ResponseDoc> {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: DESCRIPTIONS[status], schema: ErrorBody }]),
  );
}
