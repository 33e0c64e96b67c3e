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

/** Advice for a failure, chosen by its cause on the runner (core/troubleshooting.ts). */
export interface Troubleshooting {
  issue: string;
  title: string;
  solution: string;
}

export interface TestResult {
  success: boolean;
  httpStatus: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  payload: string | null;
  contentType?: string | null;
  troubleshooting?: Troubleshooting | null;
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
  /** The exact body sent; only its start when payloadTruncated. */
  payload: string | null;
  contentType: string | null;
  payloadTruncated: boolean;
  payloadLength: number | null;
  troubleshooting: Troubleshooting | null;
  deliveryStatus: string | null;
  /** The delivery's latest attempt, and the delivery has ended: this row offers Resend. */
  resendable: boolean;
  /** Set when the attempt is not shown exactly as it was (e.g. characters replaced by U+FFFD). */
  notice: string | null;
}

/** The history's filters, as the API's query parameters take them. */
export interface HistoryFilters {
  status?: string;
  messageType?: string;
  leadId?: string;
  test?: 'true' | 'false';
  from?: string;
  to?: string;
}

export interface SecretRotation {
  signingSecret: string;
  previousSecretExpiresAt: string;
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

/** The seller's alert settings (GET/PATCH /v1/alerts). */
export interface AlertSettings {
  url: string | null;
  signingSecretPrefix: string | null;
  types: string[];
  /** Only when the first alert URL created the secret: shown once. */
  signingSecret?: string;
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
  /** One webhook's history, or (id null) every webhook's. */
  history: (id: string | null, query: HistoryFilters & { cursor?: string; limit?: number }) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(name, String(value));
    }
    const search = params.toString();
    const path = id === null ? '/v1/history' : `${endpointPath(id)}/history`;
    return call<HistoryPage>('GET', `${path}${search ? `?${search}` : ''}`);
  },
  deleteEndpoint: (id: string) => call<void>('DELETE', endpointPath(id)),
  rotateSecret: (id: string) => call<SecretRotation>('POST', `${endpointPath(id)}/secret/rotate`),
  /** How many failed deliveries of [from, to) a replay would send again. */
  replayCount: (id: string, range: { from: string; to: string }) =>
    call<{ count: number }>('POST', `${endpointPath(id)}/replay`, {
      status: 'failed',
      ...range,
      dryRun: true,
    }),
  replay: (id: string, range: { from: string; to: string }) =>
    call<{ count: number }>('POST', `${endpointPath(id)}/replay`, { status: 'failed', ...range }),
  alertSettings: () => call<AlertSettings>('GET', '/v1/alerts'),
  setAlertUrl: (url: string | null) => call<AlertSettings>('PATCH', '/v1/alerts', { url }),
  sendTestAlert: () => call<TestResult>('POST', '/v1/alerts/test'),
  resend: (deliveryId: string) =>
    call<{ id: string; status: string }>(
      'POST',
      `/v1/deliveries/${encodeURIComponent(deliveryId)}/resend`,
    ),
};
