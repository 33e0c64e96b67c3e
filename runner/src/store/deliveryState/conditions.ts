/**
 * The send conditions: what must hold for a delivery to be sent now. Each is defined once, as SQL
 * over the delivery `d`, the job asking for it `c(job_id, job_run)`, its endpoint `e` and the
 * endpoint's pacing row `p` (null-extended: no row is a closed circuit), and both claims use them:
 *
 * - the fast claim (claim.ts) claims a delivery only when every one holds, in one statement;
 * - the full admission reads each as a column of its candidates (claim.ts `loadCandidates`) and
 *   holds a delivery for the first that fails, in the order of HOLD_ORDER, or, for the circuit
 *   and the limits, hands it to their finer rules (worker/admission.ts); `current` is applied by
 *   the supersede statement (order.ts) before it reads the candidates.
 *
 * Send tests take no part in ordering, supersession or an endpoint being disabled (the seller
 * asked for that one send), which is why three conditions let `d.test` through.
 */

/**
 * Left to the job: sending under an earlier run of the same job (its worker died) or under
 * this very run (a claim whose commit answer was lost, run again). pg-boss runs one run of
 * a job in one handler only, so taking it over never lets two workers send one delivery; and a
 * job that does not send it must hand it back to pending (requeue.ts `releaseTakeovers`), since
 * no other job can take it.
 */
export const LEFT_TO_JOB = `(d.status = 'sending' AND d.claim_job_id = c.job_id
  AND COALESCE(d.claim_job_run, -1) <= c.job_run)`;

/**
 * Claimable: pending, or left to the job. Anything else is not the job's to send: the job is
 * simply done.
 */
export const CLAIMABLE = `(d.status = 'pending' OR ${LEFT_TO_JOB})`;

/**
 * Due: its next attempt time has come. A retry is scheduled by the delivery's own job; any other
 * job naming it before then (a duplicate, a re-enabled endpoint's, a woken one) must not send it
 * early. `now()` is the claim's transaction start, after the fetch that found the job due.
 */
export const DUE = `(d.next_attempt_at IS NULL OR d.next_attempt_at <= now())`;

/** No earlier message of the same lead to the same endpoint is pending or sending (R4 order). */
export const FIRST_OF_LEAD = `(d.test OR NOT EXISTS (SELECT 1 FROM deliveries o
  WHERE o.endpoint_id = d.endpoint_id AND o.lead_id = d.lead_id AND NOT o.test
    AND o.status IN ('pending', 'sending') AND (o.created_at, o.id) < (d.created_at, d.id)))`;

/**
 * Current: not a lead_update with a newer live (pending, sending or succeeded) lead_update of the
 * same lead and endpoint. A stale update is superseded, never sent: the newer one carries the
 * whole lead.
 */
export const CURRENT = `(d.test OR d.message_type <> 'lead_update' OR NOT EXISTS (
  SELECT 1 FROM deliveries n
  WHERE n.endpoint_id = d.endpoint_id AND n.lead_id = d.lead_id AND NOT n.test
    AND n.message_type = 'lead_update' AND n.status IN ('pending', 'sending', 'succeeded')
    AND (n.created_at, n.id) > (d.created_at, d.id)))`;

/** The endpoint is enabled: a disabled endpoint's deliveries wait, pending, without a job. */
export const ENABLED = `(e.enabled OR d.test)`;

/**
 * The circuit lets everything through: closed, or the breaker is off. `breaker` names a boolean
 * parameter (CIRCUIT_BREAKER_THRESHOLD > 0). Open and half-open circuits are the full admission's
 * (a probe may still go).
 */
export const circuitClosed = (breaker: string): string =>
  `(NOT ${breaker}::boolean OR p.circuit_state IS NULL OR p.circuit_state = 'closed')`;

/**
 * No maxConcurrency and no rateLimitPerSecond: nothing to count. Limited endpoints are the full
 * admission's.
 */
export const UNLIMITED = `(e.max_concurrency IS NULL AND e.rate_limit_per_second IS NULL)`;

/** Why the full admission holds a delivery back without claiming it. */
export type HoldReason = 'order' | 'disabled' | 'due' | 'circuit' | 'concurrency' | 'rate';

/**
 * The conditions the full admission checks one by one, in this order, and the reason it holds a
 * delivery for when one fails: the first two without a job (whoever ends the state queues it
 * again: the hand-off, enabling the endpoint), `due` with a job at its next attempt time.
 */
export const HOLD_ORDER = [
  { condition: 'firstOfLead', reason: 'order' },
  { condition: 'enabled', reason: 'disabled' },
  { condition: 'due', reason: 'due' },
] as const satisfies ReadonlyArray<{ condition: keyof CandidateConditions; reason: HoldReason }>;

/** The conditions as the full admission reads them for each candidate (all claimable). */
export interface CandidateConditions {
  firstOfLead: boolean;
  enabled: boolean;
  due: boolean;
  circuitClosed: boolean;
  unlimited: boolean;
}

/** The same, as select-list columns of a candidates query; `breaker` as in circuitClosed. */
export function conditionColumns(breaker: string): string {
  return `${FIRST_OF_LEAD} AS k_first_of_lead, ${ENABLED} AS k_enabled, ${DUE} AS k_due,
    ${circuitClosed(breaker)} AS k_circuit_closed, ${UNLIMITED} AS k_unlimited`;
}

export interface ConditionRow {
  k_first_of_lead: boolean;
  k_enabled: boolean;
  k_due: boolean;
  k_circuit_closed: boolean;
  k_unlimited: boolean;
}

export function toConditions(row: ConditionRow): CandidateConditions {
  return {
    firstOfLead: row.k_first_of_lead,
    enabled: row.k_enabled,
    due: row.k_due,
    circuitClosed: row.k_circuit_closed,
    unlimited: row.k_unlimited,
  };
}

/**
 * Every condition at once, for the fast claim. The endpoint's conditions are a scalar subquery,
 * evaluated per delivery, on purpose: joined, the planner drove the join from the endpoints (it
 * guesses one endpoint passes the filters) and looked the whole batch up again for every
 * endpoint, which made a fan-out batch (many endpoints) much dearer (EXPLAIN ANALYZE).
 */
export function allConditions(breaker: string): string {
  return `${CLAIMABLE} AND ${DUE} AND ${FIRST_OF_LEAD} AND ${CURRENT}
    AND (SELECT ${ENABLED} AND ${UNLIMITED} AND ${circuitClosed(breaker)}
      FROM endpoints e LEFT JOIN endpoint_pacing p ON p.endpoint_id = e.id
      WHERE e.id = d.endpoint_id)`;
}
