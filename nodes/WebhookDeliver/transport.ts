/**
 * How Webhook Deliver connects, for a host that embeds the node (the Lead Delivery runner): an
 * undici dispatcher whose every connection goes through its SSRF guard (spec R9), or a DNS
 * `lookup` that refuses private addresses (core gives it a keep-alive pool of its own). n8n itself
 * never sets this, and the node then connects like any HTTP client.
 *
 * Module state on purpose: n8n's engine gives a node no channel to its host other than
 * parameters and credentials, and neither may carry functions.
 */
import type { LookupFunction } from 'node:net';
import type { Dispatcher } from 'undici';

export interface WebhookDeliverTransport {
  lookup?: LookupFunction;
  dispatcher?: Dispatcher;
  /** Replaces `lead-delivery/<version>` as User-Agent. */
  userAgent?: string;
}

let transport: WebhookDeliverTransport = {};

/** Sets (or, with undefined, clears) the transport every Webhook Deliver node in this process uses. */
export function setWebhookDeliverTransport(options: WebhookDeliverTransport | undefined): void {
  transport = { ...(options ?? {}) };
}

export function webhookDeliverTransport(): WebhookDeliverTransport {
  return transport;
}
