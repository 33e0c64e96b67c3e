/**
 * What the pipeline does with one endpoint group: the endpoints as the claim read them, the
 * template execution, and the group's outcomes counted on the endpoint's circuit.
 */
import { withDbRetry } from '../db/retry.js';
import type { Delivery } from '../store/deliveries.js';
import { getEndpointsByIds, type Endpoint } from '../store/endpoints.js';
import type { Admission, KnownCircuit } from './admission.js';
import { circuitUnchanged, recordCircuitOutcomes, type CircuitOutcome } from './circuitBreaker.js';
import {
  dispatchToEndpoint,
  engineFailureReports,
  unansweredReport,
  type AttemptReport,
} from './dispatcher.js';
import { signingSecretsOf } from './signingSecrets.js';
import type { WorkerDeps } from './worker.js';
import { MAX_CONCURRENCY } from '../../../nodes/WebhookDeliver/WebhookDeliver.node.js';

/**
 * The claimed deliveries' endpoints at the versions the claim read: as loaded alongside the
 * claim, or held from an earlier batch, or read again (edited since, or not loaded at all).
 */
export async function endpointsAsClaimed(
  deps: WorkerDeps,
  endpointIds: readonly string[],
  loaded: ReadonlyMap<string, Endpoint>,
  admission: Admission,
): Promise<Map<string, Endpoint>> {
  const endpoints = new Map<string, Endpoint>();
  const reread: string[] = [];
  for (const id of endpointIds) {
    const version = admission.endpointVersions.get(id);
    const fresh = loaded.get(id);
    const endpoint =
      fresh && (version === undefined || fresh.version === version)
        ? fresh
        : deps.endpointCache?.current(id, version);
    if (endpoint) endpoints.set(id, endpoint);
    else reread.push(id);
  }
  if (reread.length > 0) {
    for (const [id, endpoint] of await withDbRetry(() =>
      getEndpointsByIds(deps.db, deps.box, reread),
    )) {
      endpoints.set(id, endpoint);
    }
  }
  for (const endpoint of endpoints.values()) deps.endpointCache?.remember(endpoint);
  return endpoints;
}

/**
 * One template execution for the group. A group is at most Webhook Deliver's concurrency limit
 * large, so all its requests go out at once.
 */
export async function dispatchGroup(
  deps: WorkerDeps,
  endpoint: Endpoint,
  deliveries: readonly Delivery[],
): Promise<AttemptReport[]> {
  try {
    return await dispatchToEndpoint(endpoint, deliveries, {
      concurrency: MAX_CONCURRENCY,
      signingSecrets: signingSecretsOf(endpoint),
    });
  } catch (error) {
    // An engine failure is not the receiver's fault: record it and let the schedule retry.
    deps.logger.error({ err: error, endpointId: endpoint.id }, 'workflow execution failed');
    return engineFailureReports(deliveries, new Date(), error);
  }
}

export function missingEndpointReport(delivery: Delivery): AttemptReport {
  return unansweredReport(delivery.id, {
    outcome: 'permanent',
    error: 'endpoint no longer exists',
    cause: null,
  });
}

/** Counts a recorded group's outcomes on its endpoint's circuit (Send tests never count). */
export async function countOnCircuit(
  deps: WorkerDeps,
  known: KnownCircuit | null,
  endpointId: string,
  deliveries: readonly Delivery[],
  reports: readonly AttemptReport[],
): Promise<void> {
  const outcomes: CircuitOutcome[] = deliveries.flatMap((delivery, index) => {
    const report = reports[index];
    if (delivery.test) return [];
    return [
      {
        deliveryId: delivery.id,
        success: report.success,
        cause: report.cause,
        error: report.error,
        endedAt: report.startedAt.getTime() + report.durationMs,
      },
    ];
  });
  if (circuitUnchanged(known, outcomes)) return;
  try {
    await recordCircuitOutcomes(
      deps.db,
      deps.queue,
      endpointId,
      outcomes,
      {
        threshold: deps.config.circuitBreakerThreshold,
        cooldownMs: deps.config.circuitBreakerCooldownMs,
      },
      deps.logger,
      deps.queue,
    );
  } catch (error) {
    // The attempts are recorded; a missed count only delays the breaker.
    deps.logger.error({ err: error, endpointId }, 'counting outcomes on the circuit failed');
  }
}
