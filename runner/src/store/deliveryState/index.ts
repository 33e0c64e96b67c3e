/**
 * Delivery state: the only code that changes a delivery's status or creates its job. Everything
 * else (the API routes, intake, the worker) calls these stages; a test (deliveryState.boundary)
 * fails if anything outside this folder writes `deliveries` or calls `enqueueDeliveries`.
 *
 *   create → pending → claim → sending → settle → succeeded | failed | pending (a retry, with its job)
 *   failed | succeeded → resend → pending (attempt numbers run on); failed → replay → pending
 *   pending → supersede → superseded (a newer lead_update carries the whole lead)
 *   succeeded | failed | superseded → hand-off: the lead's next message to the endpoint gets a job
 *   sending (a dead worker's) → release → pending, when its job's retry does not send it
 *
 * - create (create.ts): intake's deliveries and jobs, a Send test's delivery (created sending);
 *   backfill (replay.ts);
 * - claim (claim.ts): the fast claim (on its own, or at fetch in the fetch's statement) and the
 *   full admission's claim, all by the send conditions (conditions.ts), which are defined once;
 * - settle (settle.ts): succeeded, failed, or pending again with a retry job, then the hand-off;
 * - supersede and hand-off (order.ts), R4 order per endpoint and lead;
 * - requeue (requeue.ts): new jobs for deliveries that stay pending (held, deferred, woken,
 *   released, the circuit probe); a takeover a job does not send goes back to pending;
 * - resend, replay (replay.ts).
 *
 * Each stage takes the caller's transaction (`tx`) where it must commit with the caller's work,
 * and the queue only as a `JobQueue` (jobs.ts, the one call of `enqueueDeliveries`).
 */
export type { JobQueue } from './jobs.js';
export { createDeliveries, createNewLead, createTestDelivery } from './create.js';
export {
  claimAdmitted,
  claimAtFetch,
  collectFastClaims,
  fastClaim,
  loadCandidates,
  probeTargets,
  type Candidate,
  type ClaimAtFetchRoom,
  type ClaimRequest,
  type FastClaim,
  type FastClaimed,
} from './claim.js';
export { HOLD_ORDER, type HoldReason } from './conditions.js';
export {
  continueSettled,
  writeSettlements,
  type Settlement,
  type SettleRequest,
} from './settle.js';
export { lockPairs, queueHeads, supersede } from './order.js';
export {
  queueProbe,
  releaseEnabled,
  releaseEndpoint,
  requeueDeferred,
  requeueHeld,
  requeueWaiting,
  requeueWoken,
  releaseTakeovers,
  type Held,
} from './requeue.js';
export { backfill, countReplayable, replayFailed, resendDelivery } from './replay.js';
