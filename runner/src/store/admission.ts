/**
 * The statements of a batch claim (worker/admission.ts decides what to claim): the batch's
 * candidates with everything the decision needs in one read, the endpoints' oldest sendable
 * deliveries for circuit probes, and the claim itself. Each is one statement for the whole batch.
 */
import type { Db, Sql } from '../db/types.js';
import type { CircuitState } from './flow.js';
import { toDelivery, type Delivery, type DeliveryRow } from './deliveries.js';
import { ENDPOINT_VERSION } from './endpoints.js';

export interface ClaimRequest {
  deliveryId: string;
  /** The pg-boss job asking to send it, and its attempt (retryCount). */
  jobId: string;
  attempt: number;
}

export interface Candidate {
  delivery: Delivery;
  request: ClaimRequest;
  enabled: boolean;
  maxConcurrency: number | null;
  rateLimitPerSecond: number | null;
  /** As last committed (unlocked read); locked and re-read when it matters. */
  circuitState: CircuitState;
  consecutiveFailures: number;
  /** An earlier delivery of the same lead to the same endpoint is pending or sending (R4). */
  blocked: boolean;
  /** The endpoint row's version as this read saw it. */
  endpointVersion: string;
}

/**
 * Claimable now: pending, or left sending by an earlier attempt of the same job (its worker died)
 * or by this very attempt (a claim whose commit answer was lost, run again). pg-boss runs one
 * attempt of a job in one handler only, so neither lets two workers send one delivery.
 */
const CLAIMABLE = `(d.status = 'pending' OR (d.status = 'sending' AND d.claim_job_id = c.job_id
  AND COALESCE(d.claim_attempt, -1) <= c.attempt))`;

const EARLIER_OPEN = `EXISTS (SELECT 1 FROM deliveries o
  WHERE o.endpoint_id = d.endpoint_id AND o.lead_id = d.lead_id AND NOT o.test
    AND o.status IN ('pending', 'sending') AND (o.created_at, o.id) < (d.created_at, d.id))`;

function requestValues(requests: readonly ClaimRequest[]): unknown[] {
  return [
    requests.map((r) => r.deliveryId),
    requests.map((r) => r.jobId),
    requests.map((r) => r.attempt),
  ];
}

/**
 * A newer live (pending, sending or succeeded) lead_update of the same lead and endpoint: an
 * update that has one is stale and must be superseded, not sent.
 */
const NEWER_UPDATE = `EXISTS (SELECT 1 FROM deliveries n
  WHERE n.endpoint_id = d.endpoint_id AND n.lead_id = d.lead_id AND NOT n.test
    AND n.message_type = 'lead_update' AND n.status IN ('pending', 'sending', 'succeeded')
    AND (n.created_at, n.id) > (d.created_at, d.id))`;

/**
 * The claim requests as a relation c(id, job_id, attempt) taking $1-$3, with its values. One
 * request (every batch when leads trickle in) is three scalars: PostgreSQL then settles on one
 * generic plan per connection, where arrays of unknown length get a custom plan for every
 * execution (0.3-0.5 ms of planning per batch, EXPLAIN).
 */
function requestRelation(requests: readonly ClaimRequest[]): { sql: string; values: unknown[] } {
  if (requests.length !== 1) {
    return { sql: `unnest($1::text[], $2::text[], $3::int[])`, values: requestValues(requests) };
  }
  const [request] = requests;
  return {
    sql: `(SELECT $1::text, $2::text, $3::int)`,
    values: [request.deliveryId, request.jobId, request.attempt],
  };
}

/**
 * A CTE that makes the statement's own transaction commit asynchronously (the setting is local to
 * it); joined into the statement's FROM list, since an unreferenced CTE is never evaluated.
 */
const ASYNC_COMMIT = `async_commit AS MATERIALIZED (
    SELECT set_config('synchronous_commit', 'off', true) AS synchronous_commit)`;

export const admissionSql = {
  /**
   * The common case in one statement: a pending delivery of an enabled endpoint without limits,
   * with a closed circuit (or the breaker off), no earlier open message of its lead and, for an
   * update, no newer one. Everything else is left for the full admission.
   *
   * The endpoint checks are scalar subqueries, evaluated per delivery, on purpose: joined, the
   * planner drove the join from the endpoints (it guesses one endpoint passes the filters) and
   * looked the whole batch up again for every endpoint: a fan-out batch of 200 deliveries to 50
   * endpoints took 20 ms instead of 8 (EXPLAIN ANALYZE, bench P3).
   *
   * Its commit does not wait for the WAL flush (`ASYNC_COMMIT`): the claim stands between a
   * lead's job and its send, and a flush costs ~1 ms here (tens to hundreds when the disk stalls).
   * Nothing is weakened: the attempt's record after the send commits durably and so flushes
   * the claim before it; a crash before that loses the claim together with the record, and the
   * delivery is sent again as when a worker dies mid-delivery (R5, at-least-once).
   */
  fastClaim: (requests: readonly ClaimRequest[], breakerEnabled: boolean): Sql => {
    const claims = requestRelation(requests);
    return {
      text: `WITH ${ASYNC_COMMIT}
      UPDATE deliveries d SET status = 'sending', attempt_count = d.attempt_count + 1,
        claim_job_id = c.job_id, claim_attempt = c.attempt, updated_at = now()
      FROM ${claims.sql} AS c(id, job_id, attempt), async_commit
      WHERE d.id = c.id AND d.status = 'pending' AND NOT d.test
        AND (SELECT e.enabled AND e.max_concurrency IS NULL AND e.rate_limit_per_second IS NULL
              AND (NOT $4::boolean OR f.endpoint_id IS NULL OR f.circuit_state = 'closed')
            FROM endpoints e LEFT JOIN endpoint_flow f ON f.endpoint_id = e.id
            WHERE e.id = d.endpoint_id)
        AND NOT ${EARLIER_OPEN}
        AND (d.message_type = 'new_lead' OR NOT ${NEWER_UPDATE})
      RETURNING d.*, COALESCE((SELECT f.consecutive_failures FROM endpoint_flow f
        WHERE f.endpoint_id = d.endpoint_id), 0) AS f_failures,
        (SELECT ${ENDPOINT_VERSION} FROM endpoints e WHERE e.id = d.endpoint_id) AS e_version`,
      values: [...claims.values, breakerEnabled],
    };
  },
  candidates: (requests: readonly ClaimRequest[]): Sql => ({
    text: `SELECT d.*, c.job_id AS c_job_id, c.attempt AS c_attempt, e.enabled AS e_enabled,
        e.max_concurrency AS e_max_concurrency, e.rate_limit_per_second AS e_rate,
        ${ENDPOINT_VERSION} AS e_version,
        COALESCE(f.circuit_state, 'closed') AS f_circuit_state,
        COALESCE(f.consecutive_failures, 0) AS f_failures,
        (NOT d.test AND ${EARLIER_OPEN}) AS blocked
      FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS c(id, job_id, attempt, ord)
      JOIN deliveries d ON d.id = c.id
      JOIN endpoints e ON e.id = d.endpoint_id
      LEFT JOIN endpoint_flow f ON f.endpoint_id = d.endpoint_id
      WHERE ${CLAIMABLE}
      ORDER BY d.created_at, d.id, c.ord`,
    values: requestValues(requests),
  }),
  /** Per endpoint, its oldest pending delivery that no earlier one of its lead holds back. */
  probeTargets: (endpointIds: readonly string[]): Sql => ({
    text: `SELECT x.endpoint_id, x.id
      FROM unnest($1::text[]) AS e(id)
      CROSS JOIN LATERAL (
        SELECT d.endpoint_id, d.id FROM deliveries d
        WHERE d.endpoint_id = e.id AND d.status = 'pending' AND NOT d.test AND NOT ${EARLIER_OPEN}
        ORDER BY d.created_at, d.id LIMIT 1
      ) x`,
    values: [endpointIds],
  }),
  /** An endpoint's oldest pending deliveries that are due and not held back by their lead. */
  waiting: (endpointId: string, limit: number): Sql => ({
    text: `SELECT d.id FROM deliveries d
      WHERE d.endpoint_id = $1 AND d.status = 'pending' AND NOT d.test
        AND d.next_attempt_at <= now() AND NOT ${EARLIER_OPEN}
      ORDER BY d.created_at, d.id LIMIT $2`,
    values: [endpointId, limit],
  }),
  claim: (requests: readonly ClaimRequest[]): Sql => ({
    text: `UPDATE deliveries d SET status = 'sending', attempt_count = d.attempt_count + 1,
        claim_job_id = c.job_id, claim_attempt = c.attempt, updated_at = now()
      FROM unnest($1::text[], $2::text[], $3::int[]) AS c(id, job_id, attempt)
      WHERE d.id = c.id AND ${CLAIMABLE}
      RETURNING d.*`,
    values: requestValues(requests),
  }),
};

interface CandidateRow extends DeliveryRow {
  c_job_id: string;
  c_attempt: number;
  e_enabled: boolean;
  e_max_concurrency: number | null;
  e_rate: number | null;
  f_circuit_state: CircuitState;
  f_failures: number;
  blocked: boolean;
  e_version: string;
}

/** The claimable deliveries of `requests`, oldest first; a delivery asked for twice comes once. */
export async function loadCandidates(
  tx: Db,
  requests: readonly ClaimRequest[],
): Promise<Candidate[]> {
  if (requests.length === 0) return [];
  const { text, values } = admissionSql.candidates(requests);
  const { rows } = await tx.query<CandidateRow>(text, values);
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    candidates.push({
      delivery: toDelivery(row),
      request: { deliveryId: row.id, jobId: row.c_job_id, attempt: row.c_attempt },
      enabled: row.e_enabled,
      maxConcurrency: row.e_max_concurrency,
      rateLimitPerSecond: row.e_rate === null ? null : Number(row.e_rate),
      circuitState: row.f_circuit_state,
      consecutiveFailures: row.f_failures,
      blocked: row.blocked,
      endpointVersion: row.e_version,
    });
  }
  return candidates;
}

export async function probeTargets(
  tx: Db,
  endpointIds: readonly string[],
): Promise<Map<string, string>> {
  if (endpointIds.length === 0) return new Map();
  const { text, values } = admissionSql.probeTargets(endpointIds);
  const { rows } = await tx.query<{ endpoint_id: string; id: string }>(text, values);
  return new Map(rows.map((row) => [row.endpoint_id, row.id]));
}

export async function waitingDeliveries(
  db: Db,
  endpointId: string,
  limit: number,
): Promise<string[]> {
  if (limit <= 0) return [];
  const { text, values } = admissionSql.waiting(endpointId, limit);
  const { rows } = await db.query<{ id: string }>(text, values);
  return rows.map((row) => row.id);
}

export interface FastClaim {
  claimed: Map<string, Delivery>;
  /** Consecutive failures on each claimed delivery's endpoint (its circuit is closed). */
  failures: Map<string, number>;
  /** Each claimed delivery's endpoint row version, read by the claim. */
  endpointVersions: Map<string, string>;
}

/**
 * admissionSql.fastClaim; a single statement, so it needs no transaction of its own, and must not
 * run inside one (its asynchronous commit would apply to the whole transaction).
 */
export async function fastClaim(
  db: Db,
  requests: readonly ClaimRequest[],
  breakerEnabled: boolean,
): Promise<FastClaim> {
  if (requests.length === 0) {
    return { claimed: new Map(), failures: new Map(), endpointVersions: new Map() };
  }
  const { text, values } = admissionSql.fastClaim(requests, breakerEnabled);
  const { rows } = await db.query<DeliveryRow & { f_failures: number; e_version: string }>(
    text,
    values,
  );
  return {
    claimed: new Map(rows.map((row) => [row.id, toDelivery(row)])),
    failures: new Map(rows.map((row) => [row.endpoint_id, row.f_failures])),
    endpointVersions: new Map(rows.map((row) => [row.endpoint_id, row.e_version])),
  };
}

export async function claimRequests(
  tx: Db,
  requests: readonly ClaimRequest[],
): Promise<Map<string, Delivery>> {
  if (requests.length === 0) return new Map();
  const { text, values } = admissionSql.claim(requests);
  const { rows } = await tx.query<DeliveryRow>(text, values);
  return new Map(rows.map((row) => [row.id, toDelivery(row)]));
}
