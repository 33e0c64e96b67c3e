/**
 * How Webhook Deliver connects, for a host that embeds the node (the Lead Delivery runner): a DNS
 * `lookup` that refuses private addresses (spec R9) and the agent that goes with it (a pooled
 * socket is reused without a new lookup, so a guarded lookup needs its own agent). n8n itself never
 * sets this, and the node then connects like any HTTP client.
 *
 * Module state on purpose: n8n's engine gives a node no channel to its host other than
 * parameters and credentials, and neither may carry functions.
 */
import type { Agent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';

export interface WebhookDeliverTransport {
  lookup?: LookupFunction;
  agent?: Agent;
  /** Agents by URL scheme (used when `agent` is not set): a guarded transport needs one of each. */
  agents?: { http?: Agent; https?: HttpsAgent };
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
