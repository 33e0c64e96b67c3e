/**
 * Which deliveries of a fetched batch go out now: one transaction, a fixed number of statements
 * per batch. In order:
 *
 * 1. Probe jobs (circuit breaker) are resolved to their endpoint's oldest delivery that is due
 *    and first of its lead.
 * 2. The open deliveries of the batch's (endpoint, lead) pairs are locked; stale lead_updates of
 *    those pairs are superseded (R4).
 * 3. Each candidate is checked against the send conditions (store/deliveryState/conditions.ts,
 *    the ones the fast claim uses too), in HOLD_ORDER: an earlier open message of its lead (R4
 *    order) and a disabled endpoint hold it without a job (whoever ends that state queues it
 *    again), a next attempt time still to come holds it with a job at that time. An open circuit
 *    holds it without a job; the endpoint's maxConcurrency (in-flight deliveries across all
 *    workers) and rateLimitPerSecond (a token bucket) hold it with a job at the time a slot
 *    should be free.
 * 4. The rest are claimed (pending → sending, attempt counted, claim = job + job run).
 *
 * Every status change and job goes through store/deliveryState; this module only decides.
 */
import type { Db } from '../db/types.js';
import type { Delivery } from '../store/deliveries.js';
import {
  claimAdmitted,
  fastClaim,
  HOLD_ORDER,
  loadCandidates,
  lockPairs,
  probeTargets,
  queueHeads,
  releaseTakeovers,
  requeueHeld,
  supersede,
  type Candidate,
  type ClaimRequest,
  type FastClaim,
  type Held,
  type HoldReason,
  type JobQueue,
} from '../store/deliveryState/index.js';
import {
  inFlightCounts,
  lockPacing,
  savePacing,
  type CircuitState,
  type EndpointPacing,
  type LockedPacing,
} from '../store/pacing.js';

export type { ClaimRequest, HoldReason } from '../store/deliveryState/index.js';

export interface ProbeRequest {
  endpointId: string;
  jobId: string;
  jobRun: number;
}

export interface AdmissionOptions {
  /** false: circuits are ignored (CIRCUIT_BREAKER_THRESHOLD=0). */
  breakerEnabled: boolean;
  random?: () => number;
}

/** An endpoint's circuit as an admission read it (unlocked). */
export interface KnownCircuit {
  circuitState: CircuitState;
  consecutiveFailures: number;
}

export interface Admission {
  /** Claimed, in the order of the requests. */
  claimed: Delivery[];
  held: Record<HoldReason, number>;
  superseded: number;
  /** Each batch endpoint's circuit as read (unlocked) before the claim. */
  circuits: Map<string, KnownCircuit>;
  /** The row version of each claimed delivery's endpoint, as the claim read it. */
  endpointVersions: Map<string, string>;
}

/**
 * A delivery held by maxConcurrency is looked at again after this (plus up to as much jitter) at
 * the latest; normally sooner, when a delivery of its endpoint ends and the worker queues the
 * oldest waiting ones (deliveryState's requeueWaiting).
 */
export const CONCURRENCY_RECHECK_MS = 2000;

const OPEN_STATUSES = new Set(['pending', 'sending']);

function groupByEndpoint(candidates: readonly Candidate[]): Map<string, Candidate[]> {
  const groups = new Map<string, Candidate[]>();
  for (const candidate of candidates) {
    const group = groups.get(candidate.delivery.endpointId);
    if (group) group.push(candidate);
    else groups.set(candidate.delivery.endpointId, [candidate]);
  }
  return groups;
}

/**
 * The circuit's word on a group of sendable candidates (oldest first): all of them (closed), only
 * its probe (half-open), one new probe (open and due, or half-open without a live probe), or none.
 */
function circuitGate(pacing: LockedPacing, sendable: Candidate[]): Candidate[] {
  if (pacing.circuitState === 'closed') return sendable;
  const probeAlive =
    pacing.circuitState === 'half_open' &&
    pacing.probeDeliveryId !== null &&
    pacing.probeStatus !== null &&
    OPEN_STATUSES.has(pacing.probeStatus);
  if (probeAlive) return sendable.filter((c) => c.delivery.id === pacing.probeDeliveryId);
  const due =
    pacing.circuitState === 'half_open' ||
    (pacing.nextProbeAt !== null && pacing.nextProbeAt.getTime() <= pacing.dbNow.getTime());
  if (!due || sendable.length === 0) return [];
  const probe = sendable[0];
  pacing.circuitState = 'half_open';
  pacing.probeDeliveryId = probe.delivery.id;
  return [probe];
}

interface Slots {
  admitted: Candidate[];
  deferred: Array<{ candidate: Candidate; delayMs: number; reason: 'concurrency' | 'rate' }>;
}

/** maxConcurrency and the token bucket over a group that passed the circuit. */
function applyLimits(
  passing: Candidate[],
  pacing: LockedPacing | undefined,
  inFlight: number,
  random: () => number,
): Slots {
  const first = passing[0];
  if (!first || !pacing) return { admitted: passing, deferred: [] };
  const max = first.maxConcurrency;
  const rate = first.rateLimitPerSecond;
  let allowed = passing.length;
  if (max !== null) allowed = Math.min(allowed, Math.max(0, max - inFlight));
  let tokens = Infinity;
  if (rate !== null) {
    const capacity = Math.max(1, rate);
    const elapsedS =
      pacing.tokensAt === null
        ? Infinity
        : (pacing.dbNow.getTime() - pacing.tokensAt.getTime()) / 1000;
    tokens = Math.min(capacity, (pacing.tokens ?? capacity) + Math.max(0, elapsedS) * rate);
    allowed = Math.min(allowed, Math.floor(tokens));
  }
  const admitted = passing.slice(0, allowed);
  if (rate !== null) {
    pacing.tokens = tokens - admitted.length;
    pacing.tokensAt = pacing.dbNow;
  }
  const concurrencyFull = max !== null && inFlight + admitted.length >= max;
  const deferred = passing.slice(allowed).map((candidate, index) => {
    // The index-th one waiting gets a token when the bucket has refilled index + 1 of them.
    const rateDelay = rate === null ? 0 : ((index + 1 - (pacing.tokens ?? 0)) / rate) * 1000;
    const concurrencyDelay = concurrencyFull ? CONCURRENCY_RECHECK_MS * (1 + random()) : 0;
    return {
      candidate,
      delayMs: Math.max(50, Math.ceil(Math.max(rateDelay, concurrencyDelay))),
      reason: rateDelay >= concurrencyDelay ? ('rate' as const) : ('concurrency' as const),
    };
  });
  return { admitted, deferred };
}

/** Adds probe jobs' targets to the requests (a probe with nothing to send does nothing). */
async function resolveProbes(
  tx: Db,
  requests: readonly ClaimRequest[],
  probes: readonly ProbeRequest[],
): Promise<ClaimRequest[]> {
  if (probes.length === 0) return [...requests];
  const targets = await probeTargets(tx, [...new Set(probes.map((p) => p.endpointId))]);
  const resolved = [...requests];
  for (const probe of probes) {
    const deliveryId = targets.get(probe.endpointId);
    if (deliveryId) resolved.push({ deliveryId, jobId: probe.jobId, jobRun: probe.jobRun });
  }
  return resolved;
}

export async function admitBatch(
  db: Db,
  queue: JobQueue,
  requests: readonly ClaimRequest[],
  probes: readonly ProbeRequest[],
  options: AdmissionOptions,
): Promise<Admission> {
  // The common case needs one statement and no transaction; the full admission (below) takes
  // whatever the fast claim left: held, gated, probed, taken over or superseded deliveries.
  const fast = await fastClaim(db, requests, options.breakerEnabled);
  const remaining = requests.filter((r) => !fast.claimed.has(r.deliveryId));
  const full =
    remaining.length > 0 || probes.length > 0
      ? await admitFully(db, queue, remaining, probes, options)
      : emptyAdmission();
  if (fast.claimed.size === 0) return full;
  const claimedFast = fastClaimAdmission(fast);
  const order = new Map(requests.map((r, index) => [r.deliveryId, index]));
  return {
    ...full,
    claimed: [...claimedFast.claimed, ...full.claimed].sort(
      (a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0),
    ),
    // The full admission's reading of a circuit wins: it may have locked and changed it.
    circuits: new Map([...claimedFast.circuits, ...full.circuits]),
    endpointVersions: new Map([...full.endpointVersions, ...claimedFast.endpointVersions]),
  };
}

/**
 * What a fast claim (on its own or at fetch) claimed, as an admission: each endpoint's circuit
 * closed, with the consecutive failures the claim read.
 */
export function fastClaimAdmission(fast: FastClaim): Admission {
  return {
    ...emptyAdmission(),
    claimed: [...fast.claimed.values()],
    circuits: new Map(
      [...fast.failures].map(([endpointId, consecutiveFailures]) => [
        endpointId,
        { circuitState: 'closed' as const, consecutiveFailures },
      ]),
    ),
    endpointVersions: new Map(fast.endpointVersions),
  };
}

function noneHeld(): Record<HoldReason, number> {
  return { order: 0, disabled: 0, due: 0, circuit: 0, concurrency: 0, rate: 0 };
}

function emptyAdmission(): Admission {
  return {
    claimed: [],
    held: noneHeld(),
    superseded: 0,
    circuits: new Map(),
    endpointVersions: new Map(),
  };
}

/**
 * The reason the first failing condition of HOLD_ORDER gives, or null when they all hold. Send
 * conditions that are not in it: `current` (the supersede statement ran before the candidates
 * were read), the circuit and the limits (their own rules, below).
 */
function holdReason(candidate: Candidate): HoldReason | null {
  const failed = HOLD_ORDER.find(({ condition }) => !candidate.conditions[condition]);
  return failed?.reason ?? null;
}

/**
 * The full admission: whatever the fast claim left, and probe jobs. Exported for the tests of the
 * send conditions, which run every condition through both claims.
 */
export async function admitFully(
  db: Db,
  queue: JobQueue,
  requests: readonly ClaimRequest[],
  probes: readonly ProbeRequest[],
  options: AdmissionOptions,
): Promise<Admission> {
  const random = options.random ?? Math.random;
  return db.transaction(async (tx) => {
    const all = await resolveProbes(tx, requests, probes);
    const held = noneHeld();
    if (all.length === 0) {
      return { claimed: [], held, superseded: 0, circuits: new Map(), endpointVersions: new Map() };
    }

    const locked = await lockPairs(
      tx,
      all.map((r) => r.deliveryId),
    );
    // Only pairs holding an open lead_update can have one to supersede; a batch of new leads skips
    // the statement.
    const superseded = await supersede(tx, locked.withUpdates);
    const candidates = await loadCandidates(tx, all, options.breakerEnabled);
    const circuits: Admission['circuits'] = new Map(
      candidates.map((c) => [
        c.delivery.endpointId,
        { circuitState: c.circuitState, consecutiveFailures: c.consecutiveFailures },
      ]),
    );

    const requeue: Held[] = [];
    const groups = groupByEndpoint(candidates);
    const sendable = new Map<string, Candidate[]>();
    for (const [endpointId, group] of groups) {
      const ok = group.filter((c) => {
        const reason = holdReason(c);
        if (reason === null) return true;
        held[reason] += 1;
        // Not due yet (this job came early): asked for again at its time, so that it has a job
        // then whatever became of the one its retry queued.
        if (reason === 'due' && c.delivery.nextAttemptAt) {
          requeue.push({
            deliveryId: c.delivery.id,
            endpointId,
            startAfter: c.delivery.nextAttemptAt,
          });
        }
        return false;
      });
      if (ok.length > 0) sendable.set(endpointId, ok);
    }

    // The circuit's and the limits' finer rules, for the endpoints whose condition failed.
    const gated = [...sendable].filter(([, group]) => {
      const { conditions } = group[0];
      return !conditions.unlimited || !conditions.circuitClosed;
    });
    const pacingByEndpoint = await lockPacing(tx, gated.map(([id]) => id).sort());
    const inFlight = await inFlightCounts(
      tx,
      gated.filter(([, group]) => group[0].maxConcurrency !== null).map(([id]) => id),
    );

    const admitted: ClaimRequest[] = [];
    const dirty: EndpointPacing[] = [];
    for (const [endpointId, group] of sendable) {
      const pacing = pacingByEndpoint.get(endpointId);
      let passing = group;
      if (pacing && options.breakerEnabled) {
        const before = `${pacing.circuitState}:${pacing.probeDeliveryId}`;
        passing = circuitGate(pacing, group);
        held.circuit += group.length - passing.length;
        if (`${pacing.circuitState}:${pacing.probeDeliveryId}` !== before) dirty.push(pacing);
      }
      const tokensBefore = pacing?.tokens;
      const slots = applyLimits(passing, pacing, inFlight.get(endpointId) ?? 0, random);
      if (pacing && pacing.tokens !== tokensBefore && !dirty.includes(pacing)) dirty.push(pacing);
      admitted.push(...slots.admitted.map((c) => c.request));
      for (const { candidate, delayMs, reason } of slots.deferred) {
        held[reason] += 1;
        requeue.push({
          deliveryId: candidate.delivery.id,
          endpointId,
          startAfter: new Date(Date.now() + delayMs),
        });
      }
    }

    const claimed = await claimAdmitted(tx, admitted);
    // A dead worker's delivery that this job does not send (held) goes back to pending, where
    // whoever ends the wait (or the held job queued above) finds it.
    const admittedIds = new Set(admitted.map((r) => r.deliveryId));
    await releaseTakeovers(
      tx,
      candidates
        .filter((c) => c.delivery.status === 'sending' && !admittedIds.has(c.delivery.id))
        .map((c) => c.request),
    );
    for (const pacing of dirty) await savePacing(tx, pacing);
    await requeueHeld(tx, queue, requeue);
    if (superseded.length > 0) {
      // The superseded ones may have held their pair's new head back: queue it.
      await queueHeads(tx, queue, superseded, {
        skip: new Set(candidates.map((c) => c.delivery.id)),
      });
    }
    const order = new Map(all.map((r, index) => [r.deliveryId, index]));
    return {
      claimed: [...claimed.values()].sort(
        (a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0),
      ),
      held,
      superseded: superseded.length,
      circuits,
      endpointVersions: new Map(candidates.map((c) => [c.delivery.endpointId, c.endpointVersion])),
    };
  });
}
