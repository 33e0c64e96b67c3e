/**
 * Alerts (issue 20): what a seller is told, as operational webhooks to its alert URL. Every alert
 * is one JSON body `{type, timestamp, data}` (the Standard Webhooks payload shape), signed with the
 * seller's alert signing secret; `webhook-id` is the alert's id, the same on every retry.
 *
 * - `circuit.opened`: an endpoint failed `consecutiveFailures` times in a row and its deliveries
 *   are paused (nothing is dropped) until a probe at `nextProbeAt` gets an answer. Sent when the
 *   circuit leaves closed; a probe that fails again re-opens it without another alert, so one
 *   outage is one `circuit.opened` and one `endpoint.recovered`.
 * - `delivery.failed`: a delivery failed for good (its retries used up, or a failure no retry can
 *   change, such as a refused payload). Send tests never alert.
 * - `endpoint.recovered`: an open circuit closed: a probe was answered and the held deliveries
 *   are going out again.
 * - `alert.test`: sent by "Send test alert" (POST /v1/alerts/test) to check the URL and signature.
 */
import { utcInstantText } from '../../../core/instant.js';
import { newId } from '../ids.js';
import type { AlertedEndpoint } from '../store/alerts.js';

export const ALERT_TYPES = [
  'circuit.opened',
  'delivery.failed',
  'endpoint.recovered',
  'alert.test',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** An alert as queued: who gets it and the exact body to send. */
export interface Alert {
  /** `alert_…`: the `webhook-id`, the same on every retry, for the receiver to deduplicate. */
  id: string;
  sellerId: string;
  type: AlertType;
  /** The JSON body, fixed when the event happened. */
  body: string;
}

interface EndpointRef {
  id: string;
  name: string;
  url: string;
}

function endpointRef(endpoint: AlertedEndpoint): EndpointRef {
  return { id: endpoint.id, name: endpoint.name, url: endpoint.url };
}

function instant(date: Date | null | undefined): string | null {
  return date ? utcInstantText(date) : null;
}

function alert(sellerId: string, type: AlertType, at: Date, data: object): Alert {
  return {
    id: newId('alert'),
    sellerId,
    type,
    body: JSON.stringify({ type, timestamp: utcInstantText(at), data }),
  };
}

export function circuitOpenedAlert(
  endpoint: AlertedEndpoint,
  circuit: {
    lastCause: string | null;
    lastError: string | null;
    consecutiveFailures: number;
    openedAt: Date | null;
    nextProbeAt: Date | null;
  },
  at: Date,
): Alert {
  return alert(endpoint.sellerId, 'circuit.opened', at, {
    endpoint: endpointRef(endpoint),
    circuit: {
      state: 'open',
      cause: circuit.lastCause,
      lastError: circuit.lastError,
      consecutiveFailures: circuit.consecutiveFailures,
      openedAt: instant(circuit.openedAt),
      nextProbeAt: instant(circuit.nextProbeAt),
    },
    message:
      `${endpoint.name} failed ${circuit.consecutiveFailures} times in a row` +
      (circuit.lastError ? ` (last: ${circuit.lastError})` : '') +
      ': its deliveries are paused, nothing is dropped, until a probe gets an answer.',
  });
}

export function endpointRecoveredAlert(
  endpoint: AlertedEndpoint,
  openedAt: Date | null,
  at: Date,
): Alert {
  return alert(endpoint.sellerId, 'endpoint.recovered', at, {
    endpoint: endpointRef(endpoint),
    circuit: { state: 'closed', openedAt: instant(openedAt), closedAt: utcInstantText(at) },
    message: `${endpoint.name} answers again: the deliveries it held are going out.`,
  });
}

export function deliveryFailedAlert(
  endpoint: AlertedEndpoint,
  delivery: {
    id: string;
    leadId: string;
    messageType: string;
    attempts: number;
    httpStatus: number | null;
    error: string | null;
  },
  at: Date,
): Alert {
  return alert(endpoint.sellerId, 'delivery.failed', at, {
    endpoint: endpointRef(endpoint),
    delivery: {
      id: delivery.id,
      leadId: delivery.leadId,
      messageType: delivery.messageType,
      attempts: delivery.attempts,
      lastHttpStatus: delivery.httpStatus,
      lastError: delivery.error,
    },
    message:
      `A ${delivery.messageType} delivery to ${endpoint.name} failed for good` +
      (delivery.error ? `: ${delivery.error}` : '') +
      '. Resend it from the history once the cause is fixed.',
  });
}

export function testAlert(sellerId: string, at: Date): Alert {
  return alert(sellerId, 'alert.test', at, {
    message: 'A test alert from lead delivery: your alert URL receives and can verify alerts.',
  });
}
