/**
 * Claim: pending → sending (the attempt counted, claim = the job and its job run), for the
 * deliveries that meet the send conditions (conditions.ts). Two ways in, each one statement for a
 * whole batch: the fast claim, when every condition holds, and the full admission's claim of what
 * it admitted (worker/admission.ts decides, from `loadCandidates`, with the circuit's and the
 * limits' rules). `probeTargets` resolves circuit-probe jobs to a delivery.
 */
import type { Db, Sql } from '../../db/types.js';
import { toDelivery, type Delivery, type DeliveryRow } from '../deliveries.js';
import { ENDPOINT_VERSION } from '../endpoints.js';
import type { CircuitState } from '../pacing.js';
import {
  allConditions,
  CLAIMABLE,
  conditionColumns,
  DUE,
  FIRST_OF_LEAD,
  toConditions,
  type CandidateConditions,
  type ConditionRow,
} from './conditions.js';

export interface ClaimRequest {
  deliveryId: string;
  /** The pg-boss job asking to send it, and its job run (pg-boss's retryCount: 0 first). */
  jobId: string;
  jobRun: number;
}

export interface Candidate {
  delivery: Delivery;
  request: ClaimRequest;
  /** Each send condition for this delivery (it is claimable). */
  conditions: CandidateConditions;
  maxConcurrency: number | null;
  rateLimitPerSecond: number | null;
  /** As last committed (unlocked read); locked and re-read when it matters. */
  circuitState: CircuitState;
  consecutiveFailures: number;
  /** The endpoint row's version as this read saw it. */
  endpointVersion: string;
}

function requestValues(requests: readonly ClaimRequest[]): unknown[] {
  return [
    requests.map((r) => r.deliveryId),
    requests.map((r) => r.jobId),
    requests.map((r) => r.jobRun),
  ];
}

/**
 * The claim requests as a relation c(id, job_id, job_run) taking $1-$3, with its values. One
 * request (every batch when leads trickle in) is three scalars: PostgreSQL then settles on one
 * generic plan per connection, where arrays of unknown length get a custom plan, planned anew at
 * every execution.
 */
function requestRelation(requests: readonly ClaimRequest[]): { sql: string; values: unknown[] } {
  if (requests.length !== 1) {
    return { sql: `unnest($1::text[], $2::text[], $3::int[])`, values: requestValues(requests) };
  }
  const [request] = requests;
  return {
    sql: `(SELECT $1::text, $2::text, $3::int)`,
    values: [request.deliveryId, request.jobId, request.jobRun],
  };
}

/**
 * A CTE that makes the statement's own transaction commit asynchronously (the setting is local to
 * it); joined into the statement's FROM list, since an unreferenced CTE is never evaluated.
 */
const ASYNC_COMMIT = `async_commit AS MATERIALIZED (
    SELECT set_config('synchronous_commit', 'off', true) AS synchronous_commit)`;

const CLAIM_SET = `status = 'sending', attempt_count = d.attempt_count + 1,
  claim_job_id = c.job_id, claim_job_run = c.job_run, updated_at = now()`;

export const claimSql = {
  /**
   * The common case in one statement: every send condition holds. Everything else is left for
   * the full admission.
   *
   * Its commit does not wait for the WAL flush (`ASYNC_COMMIT`): the claim stands between a
   * lead's job and its send, and a flush is a disk wait (a long one when the disk stalls).
   * Nothing is weakened: the attempt's record after the send commits durably and so flushes the
   * claim before it; a crash before that loses the claim together with the record, and the
   * delivery is sent again as when a worker dies mid-delivery (R5, at-least-once).
   */
  fastClaim: (requests: readonly ClaimRequest[], breakerEnabled: boolean): Sql => {
    const claims = requestRelation(requests);
    return {
      text: `WITH ${ASYNC_COMMIT}
      UPDATE deliveries d SET ${CLAIM_SET}
      FROM ${claims.sql} AS c(id, job_id, job_run), async_commit
      WHERE d.id = c.id AND ${allConditions('$4')}
      RETURNING d.*, COALESCE((SELECT p.consecutive_failures FROM endpoint_pacing p
        WHERE p.endpoint_id = d.endpoint_id), 0) AS p_failures,
        (SELECT ${ENDPOINT_VERSION} FROM endpoints e WHERE e.id = d.endpoint_id) AS e_version`,
      values: [...claims.values, breakerEnabled],
    };
  },
  /** The claimable deliveries of the requests with each send condition, oldest first. */
  candidates: (requests: readonly ClaimRequest[], breakerEnabled: boolean): Sql => ({
    text: `SELECT d.*, c.job_id AS c_job_id, c.job_run AS c_job_run,
        e.max_concurrency AS e_max_concurrency, e.rate_limit_per_second AS e_rate,
        ${ENDPOINT_VERSION} AS e_version,
        COALESCE(p.circuit_state, 'closed') AS p_circuit_state,
        COALESCE(p.consecutive_failures, 0) AS p_failures,
        ${conditionColumns('$4')}
      FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS c(id, job_id, job_run, ord)
      JOIN deliveries d ON d.id = c.id
      JOIN endpoints e ON e.id = d.endpoint_id
      LEFT JOIN endpoint_pacing p ON p.endpoint_id = d.endpoint_id
      WHERE ${CLAIMABLE}
      ORDER BY d.created_at, d.id, c.ord`,
    values: [...requestValues(requests), breakerEnabled],
  }),
  /** Per endpoint, its oldest pending delivery that is due and first of its lead. */
  probeTargets: (endpointIds: readonly string[]): Sql => ({
    text: `SELECT x.endpoint_id, x.id
      FROM unnest($1::text[]) AS e(id)
      CROSS JOIN LATERAL (
        SELECT d.endpoint_id, d.id FROM deliveries d
        WHERE d.endpoint_id = e.id AND d.status = 'pending' AND NOT d.test
          AND ${DUE} AND ${FIRST_OF_LEAD}
        ORDER BY d.created_at, d.id LIMIT 1
      ) x`,
    values: [endpointIds],
  }),
  /** The full admission's claim of what it admitted (still claimable: it holds their locks). */
  claim: (requests: readonly ClaimRequest[]): Sql => ({
    text: `UPDATE deliveries d SET ${CLAIM_SET}
      FROM unnest($1::text[], $2::text[], $3::int[]) AS c(id, job_id, job_run)
      WHERE d.id = c.id AND ${CLAIMABLE}
      RETURNING d.*`,
    values: requestValues(requests),
  }),
};

interface CandidateRow extends DeliveryRow, ConditionRow {
  c_job_id: string;
  c_job_run: number;
  e_max_concurrency: number | null;
  e_rate: number | null;
  p_circuit_state: CircuitState;
  p_failures: number;
  e_version: string;
}

/** The claimable deliveries of `requests`, oldest first; a delivery asked for twice comes once. */
export async function loadCandidates(
  tx: Db,
  requests: readonly ClaimRequest[],
  breakerEnabled: boolean,
): Promise<Candidate[]> {
  if (requests.length === 0) return [];
  const { text, values } = claimSql.candidates(requests, breakerEnabled);
  const { rows } = await tx.query<CandidateRow>(text, values);
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    candidates.push({
      delivery: toDelivery(row),
      request: { deliveryId: row.id, jobId: row.c_job_id, jobRun: row.c_job_run },
      conditions: toConditions(row),
      maxConcurrency: row.e_max_concurrency,
      rateLimitPerSecond: row.e_rate === null ? null : Number(row.e_rate),
      circuitState: row.p_circuit_state,
      consecutiveFailures: row.p_failures,
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
  const { text, values } = claimSql.probeTargets(endpointIds);
  const { rows } = await tx.query<{ endpoint_id: string; id: string }>(text, values);
  return new Map(rows.map((row) => [row.endpoint_id, row.id]));
}

export interface FastClaim {
  claimed: Map<string, Delivery>;
  /** Consecutive failures on each claimed delivery's endpoint (its circuit is closed). */
  failures: Map<string, number>;
  /** Each claimed delivery's endpoint row version, read by the claim. */
  endpointVersions: Map<string, string>;
}

/**
 * claimSql.fastClaim; a single statement, so it needs no transaction of its own, and must not
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
  const { text, values } = claimSql.fastClaim(requests, breakerEnabled);
  const { rows } = await db.query<DeliveryRow & { p_failures: number; e_version: string }>(
    text,
    values,
  );
  return {
    claimed: new Map(rows.map((row) => [row.id, toDelivery(row)])),
    failures: new Map(rows.map((row) => [row.endpoint_id, row.p_failures])),
    endpointVersions: new Map(rows.map((row) => [row.endpoint_id, row.e_version])),
  };
}

/** The full admission's claim: the admitted requests, pending → sending. */
export async function claimAdmitted(
  tx: Db,
  requests: readonly ClaimRequest[],
): Promise<Map<string, Delivery>> {
  if (requests.length === 0) return new Map();
  const { text, values } = claimSql.claim(requests);
  const { rows } = await tx.query<DeliveryRow>(text, values);
  return new Map(rows.map((row) => [row.id, toDelivery(row)]));
}
