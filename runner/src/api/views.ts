/** Domain objects → response JSON. Secrets never leave in full. */
import { troubleshootingFor } from '../../../core/troubleshooting.js';
import type { Attempt, HistoryItem } from '../store/attempts.js';
import type { Endpoint, LastDelivery } from '../store/endpoints.js';
import type { LeadOrder } from '../store/leadOrders.js';

const MASK = '••••';

/** `••••` + the last 4 characters when the value has at least 12, else just `••••`. */
export function redactValue(value: string): string {
  return value.length >= 12 ? `${MASK}${value.slice(-4)}` : MASK;
}

export function signingSecretPrefix(secret: string): string {
  return `${secret.slice(0, 10)}…`;
}

export function endpointView(endpoint: Endpoint, lastDelivery: LastDelivery | null) {
  return {
    id: endpoint.id,
    name: endpoint.name,
    url: endpoint.url,
    format: endpoint.format,
    headers: endpoint.headers.map((h) => ({ name: h.name, value: redactValue(h.value) })),
    constants: endpoint.constants.map((c) => ({ key: c.key, value: c.value })),
    leadOrderIds: endpoint.leadOrderIds,
    fieldMappings: endpoint.fieldMappings.map((m) => ({ field: m.field, output: m.output })),
    type: endpoint.type,
    enabled: endpoint.enabled,
    timeoutMs: endpoint.timeoutMs,
    maxConcurrency: endpoint.maxConcurrency,
    rateLimitPerSecond: endpoint.rateLimitPerSecond,
    hubspot: endpoint.hubspot ?? null,
    circuit: {
      state: endpoint.circuit.state,
      cause: endpoint.circuit.cause,
      lastError: endpoint.circuit.lastError,
      openedAt: endpoint.circuit.openedAt?.toISOString() ?? null,
      consecutiveFailures: endpoint.circuit.consecutiveFailures,
      nextProbeAt: endpoint.circuit.nextProbeAt?.toISOString() ?? null,
    },
    signingSecretPrefix: signingSecretPrefix(endpoint.signingSecret),
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
    lastDelivery: lastDelivery
      ? {
          status: lastDelivery.status,
          at: lastDelivery.at.toISOString(),
          httpStatus: lastDelivery.httpStatus,
        }
      : null,
  };
}

export function attemptView(attempt: Attempt | HistoryItem) {
  return {
    id: attempt.id,
    deliveryId: attempt.deliveryId,
    endpointId: attempt.endpointId,
    leadId: attempt.leadId,
    messageType: attempt.messageType,
    test: attempt.test,
    attempt: attempt.attemptNumber,
    startedAt: attempt.startedAt.toISOString(),
    durationMs: attempt.durationMs,
    status: attempt.status,
    httpStatus: attempt.httpStatus,
    error: attempt.error,
    responseExcerpt: attempt.responseExcerpt,
    requestHeaders: attempt.requestHeaders,
    payload: attempt.payload,
    contentType: attempt.contentType,
    payloadTruncated: attempt.payloadLength !== null,
    payloadLength: attempt.payloadLength,
    cause: attempt.cause,
    troubleshooting: troubleshootingFor({
      success: attempt.status === 'success',
      cause: attempt.cause,
      httpStatus: attempt.httpStatus,
    }),
    deliveryStatus: 'deliveryStatus' in attempt ? attempt.deliveryStatus : null,
    resendable: 'resendable' in attempt ? attempt.resendable : false,
    notice: attempt.notice,
  };
}

export function leadOrderView(order: LeadOrder) {
  return { id: order.id, name: order.name, createdAt: order.createdAt.toISOString() };
}
