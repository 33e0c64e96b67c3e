/**
 * The runner API as the page uses it: same origin, `Authorization: Bearer <seller key>` on every
 * call, errors in the API's one shape (`{error:{code, message, details:[{path, message}]}}`).
 * The key lives in sessionStorage: it survives reloads of this tab and is gone when the tab closes.
 */
import type { EndpointSettings, MessageType, ValidationProblem } from '../../core/types.js';

/** A field-level API error: the same shape as core's validation problems. */
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

export interface CatalogueField {
  key: string;
  label: string;
  example: string;
}

export interface LeadOrder {
  id: string;
  name: string;
  createdAt: string;
}

export interface LastDelivery {
  status: 'success' | 'failure';
  at: string;
  httpStatus: number | null;
}

export type { EndpointSettings };

/** The circuit breaker of an endpoint: while open, deliveries wait (none is dropped). */
export interface Circuit {
  state: 'closed' | 'open' | 'half_open';
  cause: string | null;
  lastError: string | null;
  openedAt: string | null;
  consecutiveFailures: number;
  nextProbeAt: string | null;
}

export interface Endpoint extends EndpointSettings {
  circuit?: Circuit;
  id: string;
  signingSecretPrefix: string;
  createdAt: string;
  updatedAt: string;
  lastDelivery: LastDelivery | null;
}

/** What a save answers: the endpoint, and what was saved but will probably not work as meant. */
export interface SavedEndpoint extends Endpoint {
  warnings?: Array<{ path: string; message: string }>;
}

export interface CreatedEndpoint extends SavedEndpoint {
  signingSecret: string;
}

export interface TestResult {
  success: boolean;
  httpStatus: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  payload: string | null;
}

export interface Attempt {
  id: string;
  deliveryId: string;
  endpointId: string;
  leadId: string;
  messageType: MessageType;
  test: boolean;
  attempt: number;
  startedAt: string;
  durationMs: number;
  status: 'success' | 'failure';
  httpStatus: number | null;
  error: string | null;
  responseExcerpt: string | null;
  requestHeaders: Record<string, string>;
  /** Set when the attempt is not shown exactly as it was (e.g. characters replaced by U+FFFD). */
  notice: string | null;
}

export interface HistoryPage {
  items: Attempt[];
  nextCursor: string | null;
}

const STORAGE_KEY = 'lead-delivery.seller-key';

export const session = {
  key(): string | null {
    try {
      return sessionStorage.getItem(STORAGE_KEY);
    } catch {
      return null;
    }
  },
  signIn(key: string): void {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  signOut(): void {
    sessionStorage.removeItem(STORAGE_KEY);
    cache.clear();
  },
};

let unauthorized: (error: ApiError) => void = () => {};

/** Called when the stored key is refused (revoked, or the database was reset). */
export function onUnauthorized(handler: (error: ApiError) => void): void {
  unauthorized = handler;
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

function detailsOf(value: unknown): ErrorDetail[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter(
      (d): d is ErrorDetail =>
        d !== null &&
        typeof d === 'object' &&
        typeof (d as ErrorDetail).path === 'string' &&
        typeof (d as ErrorDetail).message === 'string',
    )
    .map((d) => ({ path: d.path, message: d.message }));
}

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  explicitKey?: string,
): Promise<T> {
  const key = explicitKey ?? session.key() ?? '';
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'network', 'The runner did not answer. Check the connection and retry.');
  }
  if (response.status === 204) return undefined as T;
  let data: unknown = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data as ErrorBody | null)?.error;
    const apiError = new ApiError(
      response.status,
      typeof error?.code === 'string' ? error.code : `http_${response.status}`,
      typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`,
      detailsOf(error?.details),
    );
    if (response.status === 401 && explicitKey === undefined) unauthorized(apiError);
    throw apiError;
  }
  return data as T;
}

const cache = new Map<string, Promise<unknown>>();

/** Reference data that does not change while the page is open (cleared on sign-out). */
function cached<T>(name: string, load: () => Promise<T>): Promise<T> {
  let entry = cache.get(name) as Promise<T> | undefined;
  if (!entry) {
    entry = load();
    cache.set(name, entry);
    entry.catch(() => cache.delete(name));
  }
  return entry;
}

const endpointPath = (id: string) => `/v1/endpoints/${encodeURIComponent(id)}`;

export const api = {
  /** GET /v1/fields with a key that is not stored yet: the sign-in check. */
  checkKey: (key: string) =>
    call<{ fields: CatalogueField[] }>('GET', '/v1/fields', undefined, key),
  fields: () =>
    cached('fields', () =>
      call<{ fields: CatalogueField[] }>('GET', '/v1/fields').then((r) => r.fields),
    ),
  leadOrders: (fresh = false) => {
    if (fresh) cache.delete('lead-orders');
    return cached('lead-orders', () =>
      call<{ items: LeadOrder[] }>('GET', '/v1/lead-orders').then((r) => r.items),
    );
  },
  endpoints: () => call<{ items: Endpoint[] }>('GET', '/v1/endpoints').then((r) => r.items),
  endpoint: (id: string) => call<Endpoint>('GET', endpointPath(id)),
  createEndpoint: (settings: Partial<EndpointSettings>) =>
    call<CreatedEndpoint>('POST', '/v1/endpoints', settings),
  updateEndpoint: (id: string, patch: Partial<EndpointSettings>) =>
    call<SavedEndpoint>('PATCH', endpointPath(id), patch),
  sendTest: (id: string) => call<TestResult>('POST', `${endpointPath(id)}/test`),
  history: (id: string, query: { status?: string; cursor?: string; limit?: number }) => {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.cursor) params.set('cursor', query.cursor);
    if (query.limit) params.set('limit', String(query.limit));
    const search = params.toString();
    return call<HistoryPage>('GET', `${endpointPath(id)}/history${search ? `?${search}` : ''}`);
  },
  resend: (deliveryId: string) =>
    call<{ id: string; status: string }>(
      'POST',
      `/v1/deliveries/${encodeURIComponent(deliveryId)}/resend`,
    ),
};
