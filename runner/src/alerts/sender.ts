/**
 * One alert sent: a POST of its JSON body to the seller's alert URL, signed like every delivery
 * (Standard Webhooks: `webhook-id` the alert's id, `webhook-timestamp`, `webhook-signature` with
 * the seller's alert signing secret), through the SSRF guard's transport (R9), with a short
 * timeout of its own: an alert URL that hangs costs one alert slot for that long, nothing more.
 */
import type { Dispatcher } from 'undici';
import { sendWebhook, type AttemptResult } from '../../../core/deliver.js';
import { webhookDeliverTransport } from '../../../nodes/WebhookDeliver/transport.js';
import type { AllowedTarget } from '../security/allowedTargets.js';
import { createGuardedDispatcher } from '../security/guardedTransport.js';

export const ALERT_TIMEOUT_MS = 5_000;
export const ALERT_CONTENT_TYPE = 'application/json';

let ownGuard: { allowed: readonly AllowedTarget[]; dispatcher: Dispatcher } | null = null;

/**
 * The guarded transport: the one the runtime installed for deliveries (every process installs it
 * at start), else one of our own from the same allow-list. Never an unguarded one.
 */
export function guardedAlertDispatcher(allowed: readonly AllowedTarget[]): Dispatcher {
  const installed = webhookDeliverTransport().dispatcher;
  if (installed) return installed;
  if (!ownGuard || ownGuard.allowed !== allowed) {
    ownGuard = { allowed, dispatcher: createGuardedDispatcher({ allowed }) };
  }
  return ownGuard.dispatcher;
}

export function sendAlert(input: {
  url: string;
  signingSecret: string;
  alert: { id: string; body: string };
  dispatcher: Dispatcher;
  timeoutMs?: number;
}): Promise<AttemptResult> {
  return sendWebhook({
    url: input.url,
    body: input.alert.body,
    contentType: ALERT_CONTENT_TYPE,
    timeoutMs: input.timeoutMs ?? ALERT_TIMEOUT_MS,
    messageId: input.alert.id,
    signingSecrets: [input.signingSecret],
    dispatcher: input.dispatcher,
  });
}
