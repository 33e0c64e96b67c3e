/**
 * A seller with a lead order on a TestRunner, and the calls the delivery tests make through the
 * real API: endpoints, leads, meeting changes, deliveries, history.
 */
import { readJson, type SellerCreated, type TestRunner } from './runner';

export interface Intake {
  leadId: string;
  deliveries: Array<{ id: string; endpointId: string; messageType: string }>;
}

export interface DeliveryBody {
  id: string;
  endpointId: string;
  leadId: string;
  messageType: string;
  status: string;
  attemptCount: number;
  supersededBy: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

export interface EndpointBody {
  id: string;
  signingSecret?: string;
  maxConcurrency: number | null;
  rateLimitPerSecond: number | null;
  circuit: {
    state: 'closed' | 'open' | 'half_open';
    cause: string | null;
    lastError: string | null;
    openedAt: string | null;
    consecutiveFailures: number;
    nextProbeAt: string | null;
  };
}

/** Mappings that carry the lead id and the meeting time, so bodies can be told apart. */
export const TRACE_MAPPINGS = [
  { field: 'leadId', output: 'leadId' },
  { field: 'firstName', output: 'firstName' },
  { field: 'requestedMeetingTime', output: 'requestedMeetingTime' },
];

export interface Scenario {
  sellerId: string;
  apiKey: string;
  leadOrderId: string;
  createEndpoint(settings: Record<string, unknown>): Promise<EndpointBody>;
  getEndpoint(id: string): Promise<EndpointBody>;
  postLead(lead?: Record<string, unknown>, leadOrderId?: string): Promise<Intake>;
  changeMeeting(leadId: string, requestedMeetingTime: string | null): Promise<Intake>;
  delivery(id: string): Promise<DeliveryBody>;
  historyCount(endpointId: string): Promise<number>;
  call(method: string, path: string, body?: unknown): Promise<Response>;
}

export async function createScenario(
  runner: Pick<TestRunner, 'provider' | 'seller'>,
  name = 'Seller',
): Promise<Scenario> {
  const seller = await readJson<SellerCreated>(await runner.provider('/v1/sellers', { name }));
  const order = await readJson<{ id: string }>(
    await runner.provider('/v1/lead-orders', { sellerId: seller.id, name: 'Orders' }),
  );
  const call = (method: string, path: string, body?: unknown) =>
    runner.seller(seller.apiKey, method, path, body);
  const ok = async <T>(response: Response, status: number): Promise<T> => {
    const body = await response.json();
    if (response.status !== status) {
      throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(body)}`);
    }
    return body as T;
  };
  return {
    sellerId: seller.id,
    apiKey: seller.apiKey,
    leadOrderId: order.id,
    call,
    createEndpoint: async (settings) =>
      ok<EndpointBody>(await call('POST', '/v1/endpoints', { name: 'CRM', ...settings }), 201),
    getEndpoint: async (id) => ok<EndpointBody>(await call('GET', `/v1/endpoints/${id}`), 200),
    postLead: async (lead = {}, leadOrderId = order.id) =>
      ok<Intake>(
        await runner.provider('/v1/leads', {
          leadOrderId,
          lead: { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com', ...lead },
        }),
        202,
      ),
    changeMeeting: async (leadId, requestedMeetingTime) =>
      ok<Intake>(
        await runner.provider(`/v1/leads/${leadId}/meeting`, { requestedMeetingTime }),
        202,
      ),
    delivery: async (id) => ok<DeliveryBody>(await call('GET', `/v1/deliveries/${id}`), 200),
    historyCount: async (endpointId) => {
      let count = 0;
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=200&cursor=${cursor}` : '?limit=200';
        const page = await ok<{ items: unknown[]; nextCursor: string | null }>(
          await call('GET', `/v1/endpoints/${endpointId}/history${query}`),
          200,
        );
        count += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      return count;
    },
  };
}

/** What a JSON body mapped with TRACE_MAPPINGS says. */
export function traced(body: string): {
  messageType: string;
  leadId: string;
  firstName: string | null;
  requestedMeetingTime: string | null;
} {
  return JSON.parse(body);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
