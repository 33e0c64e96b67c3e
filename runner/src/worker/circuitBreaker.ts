/**
 * The circuit breaker per endpoint. After `threshold` consecutive failed attempts of the endpoint
 * itself (the causes core's classify gives them: dns, connect, tls, timeout, http_3xx/4xx/5xx,
 * network) the circuit opens:
 * nothing of the endpoint is claimed and nothing is dropped (its deliveries stay pending and no
 * attempt is counted). At `nextProbeAt` a probe job lets one delivery through (half-open). Its
 * success closes the circuit and queues every waiting lead again; its failure re-opens it with
 * twice the cool-down (capped at 1 h).
 *
 * Counting happens once per dispatched group (not per delivery), on the endpoint's pacing row, in
 * the order the attempts ended. Attempts already in flight when the circuit opened do not count.
 * Workflow errors (our side) and Send tests never count.
 *
 * A lead whose payload the receiver refused (cause `rejected`: a 400 or 422 about its data) fails
 * alone and counts as the endpoint answering, like a success: it resets the count, and a probe so
 * answered closes the circuit. The breaker is there to find an endpoint that is down or set up
 * wrong, and one that reads a lead well enough to refuse its email address is neither; holding
 * back the seller's good leads behind their bad ones would help nobody.
 */
import type { Logger } from 'pino';

import type { FailureCause } from '../../../core/classify.js';

import { queueCircuitAlert, type AlertQueue } from '../alerts/emit.js';
import { withDbRetry } from '../db/retry.js';
import type { Db } from '../db/types.js';
import { queueProbe, releaseEndpoint, type JobQueue } from '../store/deliveryState/index.js';
import { lockPacing, savePacing, type EndpointPacing } from '../store/pacing.js';

export const BREAKER_CAUSES: ReadonlySet<string> = new Set([
  'dns',
  'connect',
  'tls',
  'timeout',
  'http_3xx',
  'http_4xx',
  'http_5xx',
  'network',
]);

/** core's cause for a refusal of one lead's payload: the endpoint answered (see above). */
const PAYLOAD_REJECTED: FailureCause = 'rejected';

export const MAX_COOLDOWN_MS = 60 * 60 * 1000;

export interface BreakerSettings {
  /** 0: the breaker is off (circuits close on the next answered attempt and never open). */
  threshold: number;
  cooldownMs: number;
}

export interface CircuitOutcome {
  deliveryId: string;
  success: boolean;
  cause: string | null;
  error: string | null;
  /** When the attempt ended (ms since epoch): outcomes are counted in this order. */
  endedAt: number;
}

export interface CircuitChange {
  pacing: EndpointPacing;
  opened: boolean;
  closed: boolean;
}

/** The endpoint took the attempt and answered it: a success, or a refusal of that lead alone. */
function answered(outcome: Pick<CircuitOutcome, 'success' | 'cause'>): boolean {
  return outcome.success || outcome.cause === PAYLOAD_REJECTED;
}

export function cooldownMs(baseMs: number, reopenCount: number): number {
  return Math.min(MAX_COOLDOWN_MS, baseMs * 2 ** Math.min(reopenCount, 20));
}

function open(pacing: EndpointPacing, settings: BreakerSettings, now: Date): void {
  pacing.circuitState = 'open';
  pacing.openedAt = now;
  pacing.nextProbeAt = new Date(
    now.getTime() + cooldownMs(settings.cooldownMs, pacing.reopenCount),
  );
  pacing.probeDeliveryId = null;
}

function close(pacing: EndpointPacing): void {
  pacing.circuitState = 'closed';
  pacing.consecutiveFailures = 0;
  pacing.reopenCount = 0;
  pacing.openedAt = null;
  pacing.nextProbeAt = null;
  pacing.probeDeliveryId = null;
  pacing.lastCause = null;
  pacing.lastError = null;
}

/** Pure: the circuit after `outcomes` (any order; sorted by end time here). */
export function nextCircuit(
  current: EndpointPacing,
  outcomes: readonly CircuitOutcome[],
  settings: BreakerSettings,
  now: Date,
): CircuitChange {
  const pacing: EndpointPacing = { ...current };
  const wasClosed = pacing.circuitState === 'closed';
  let opened = false;
  for (const outcome of [...outcomes].sort((a, b) => a.endedAt - b.endedAt)) {
    const counted = !outcome.success && outcome.cause !== null && BREAKER_CAUSES.has(outcome.cause);
    if (settings.threshold === 0) {
      if (answered(outcome) && pacing.circuitState !== 'closed') close(pacing);
      continue;
    }
    if (pacing.circuitState === 'closed') {
      if (answered(outcome)) {
        pacing.consecutiveFailures = 0;
        pacing.lastCause = null;
        pacing.lastError = null;
      } else if (counted) {
        pacing.consecutiveFailures += 1;
        pacing.lastCause = outcome.cause;
        pacing.lastError = outcome.error;
        if (pacing.consecutiveFailures >= settings.threshold) {
          pacing.reopenCount = 0;
          open(pacing, settings, now);
          opened = true;
        }
      }
    } else if (
      pacing.circuitState === 'half_open' &&
      outcome.deliveryId === pacing.probeDeliveryId
    ) {
      if (answered(outcome)) {
        close(pacing);
      } else {
        // Any failure of the probe re-opens, a workflow error too: the probe must resolve.
        pacing.consecutiveFailures += 1;
        if (counted) {
          pacing.lastCause = outcome.cause;
          pacing.lastError = outcome.error;
        }
        pacing.reopenCount += 1;
        open(pacing, settings, now);
        opened = true;
      }
    }
    // Open (or half-open, not the probe): attempts that were already in flight; not counted.
  }
  return { pacing, opened, closed: !wasClosed && pacing.circuitState === 'closed' };
}

/** Nothing to write: all were answered on a circuit known closed without failures. */
export function circuitUnchanged(
  known: Pick<EndpointPacing, 'circuitState' | 'consecutiveFailures'> | null,
  outcomes: readonly CircuitOutcome[],
): boolean {
  const knownClean = !known || (known.circuitState === 'closed' && known.consecutiveFailures === 0);
  return knownClean && outcomes.every(answered);
}

/**
 * Counts a dispatched group's outcomes on its endpoint's circuit, in one transaction: opening
 * queues the probe job (at nextProbeAt), closing queues the endpoint's waiting leads. This is the
 * one place a circuit opens or closes on an outcome, so the seller's alert (`circuit.opened`,
 * `endpoint.recovered`) is queued here, with `alerts`, in the same transaction.
 */
export async function recordCircuitOutcomes(
  db: Db,
  queue: JobQueue,
  endpointId: string,
  outcomes: readonly CircuitOutcome[],
  settings: BreakerSettings,
  logger?: Logger,
  alerts?: AlertQueue,
): Promise<CircuitChange | null> {
  if (outcomes.length === 0) return null;
  const change = await withDbRetry(() =>
    db.transaction(async (tx) => {
      const locked = (await lockPacing(tx, [endpointId])).get(endpointId);
      if (!locked) return null; // the endpoint was deleted
      const result = nextCircuit(locked, outcomes, settings, locked.dbNow);
      await savePacing(tx, result.pacing);
      if (result.opened && result.pacing.nextProbeAt) {
        await queueProbe(tx, queue, endpointId, result.pacing.nextProbeAt);
      }
      if (result.closed) await releaseEndpoint(tx, queue, endpointId, locked.dbNow);
      if (alerts && (result.opened || result.closed)) {
        await queueCircuitAlert(
          tx,
          alerts,
          endpointId,
          { opened: result.opened, closed: result.closed, before: locked, after: result.pacing },
          locked.dbNow,
        );
      }
      return result;
    }),
  );
  if (change?.opened) {
    logger?.warn(
      {
        endpointId,
        cause: change.pacing.lastCause,
        consecutiveFailures: change.pacing.consecutiveFailures,
        nextProbeAt: change.pacing.nextProbeAt,
      },
      'circuit open: deliveries to this endpoint are paused until a probe succeeds',
    );
  } else if (change?.closed) {
    logger?.info({ endpointId }, 'circuit closed: deliveries to this endpoint resume');
  }
  return change;
}
