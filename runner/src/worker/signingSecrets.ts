import type { Endpoint } from '../store/endpoints.js';

/**
 * The secrets an endpoint signs with: its current one and, during a rotation's grace period, the
 * previous one too (Standard Webhooks lets `webhook-signature` carry several signatures).
 */
export function signingSecretsOf(endpoint: Endpoint, now: Date = new Date()): string[] {
  const secrets = [endpoint.signingSecret];
  if (
    endpoint.previousSigningSecret &&
    endpoint.previousSecretExpiresAt &&
    endpoint.previousSecretExpiresAt.getTime() > now.getTime()
  ) {
    secrets.push(endpoint.previousSigningSecret);
  }
  return secrets;
}
