/**
 * Claim: pending → sending (the attempt counted, claim = the job and its job run), for the
 * deliveries that meet the send conditions (conditions.ts). Two ways in, each one statement for a
 * whole batch: the fast claim, when every condition holds (on its own, or at fetch, inside the
 * statement that fetches the jobs), and the full admission's claim of what it admitted
 * (worker/admission.ts decides, from `loadCandidates`, with the circuit's and the limits' rules).
 * `probeTargets` resolves circuit-probe jobs to a delivery.
 */
import type { Db, Sql } from '../../db/types.js';
import { DELIVERY_COLUMNS, toDelivery, type Delivery, type DeliveryRow } from '../deliveries.js';
import { ENDPOINT_VERSION } from '../endpoints.js';
import type { CircuitState } from '../pacing.js';
import type { FetchAlongside } from '../../queue.js';
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

/**
 * What a fast claim returns beside the delivery: its endpoint's consecutive failures (the circuit
 * is closed) and the endpoint row's version.
 */
const FAST_CLAIM_EXTRAS = `COALESCE((SELECT p.consecutive_failures FROM endpoint_pacing p
    WHERE p.endpoint_id = d.endpoint_id), 0) AS p_failures,
  (SELECT ${ENDPOINT_VERSION} FROM endpoints e WHERE e.id = d.endpoint_id) AS e_version`;

/** Where the claim at fetch puts a claimed delivery's columns in the fetched job's row. */
const AT_FETCH_PREFIX = 'claimed.';
/** Each column the claim at fetch returns, and its name in the row (prefixed once, here). */
const AT_FETCH_COLUMNS = [
  ...DELIVERY_COLUMNS.split(',').map((column) => column.trim()),
  'p_failures',
  'e_version',
].map((column) => ({ column, key: `${AT_FETCH_PREFIX}${column}` }));
const AT_FETCH_ID = `${AT_FETCH_PREFIX}id`;

/** Which jobs of a fetch the claim at fetch may claim, per endpoint. */
export interface ClaimAtFetchRoom {
  /** Deliveries it may claim for these endpoints (0: none, leave them to the backlog). */
  byEndpoint: ReadonlyMap<string, number>;
  /** For any other endpoint. */
  otherwise: number;
}

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
      RETURNING d.*, ${FAST_CLAIM_EXTRAS}`,
      values: [...claims.values, breakerEnabled],
    };
  },
  /**
   * The fast claim in the fetch's own statement: `fetch` is pg-boss's fetch (an UPDATE of its job
   * table RETURNING the jobs), and the statement returns its rows, each with the delivery its job
   * claimed (AT_FETCH_PREFIX columns, null when not claimed). A fresh lead's delivery then goes
   * from its job to its lane in one round trip instead of two. It claims exactly what the fast
   * claim would, within `room`, oldest job first per endpoint; probes and everything it leaves
   * go the usual way.
   *
   * Run on the fetch's connections, whose commits do not wait for the WAL flush, which is what
   * the fast claim asks for (see fastClaim).
   */
  claimAtFetch: (fetch: Sql, room: ClaimAtFetchRoom, breakerEnabled: boolean): Sql => {
    const at = (offset: number) => `$${fetch.values.length + offset}`;
    const claimedColumns = AT_FETCH_COLUMNS.map(
      ({ column, key }) => `cl.${column} AS "${key}"`,
    ).join(', ');
    return {
      text: `WITH fetched AS (${fetch.text}),
      requested AS MATERIALIZED (
        SELECT f.data->>'deliveryId' AS id, f.id::text AS job_id, f."retryCount"::int AS job_run,
          row_number() OVER (PARTITION BY f.data->>'endpointId' ORDER BY f.id) AS nth,
          COALESCE((${at(1)}::jsonb ->> (f.data->>'endpointId'))::int, ${at(2)}::int) AS room
        FROM fetched f
        WHERE COALESCE(f.data->>'deliveryId', '') <> ''
          AND COALESCE(f.data->>'probe', 'false') <> 'true'),
      claimed AS (
        UPDATE deliveries d SET ${CLAIM_SET}
        FROM requested c
        WHERE c.nth <= c.room AND d.id = c.id AND ${allConditions(at(3))}
        RETURNING d.*, ${FAST_CLAIM_EXTRAS})
      SELECT f.*, ${claimedColumns}
      FROM fetched f LEFT JOIN claimed cl ON cl.claim_job_id = f.id::text`,
      // The room as one jsonb object rather than arrays: scalars let PostgreSQL keep one plan.
      values: [
        ...fetch.values,
        JSON.stringify(Object.fromEntries(room.byEndpoint)),
        room.otherwise,
        breakerEnabled,
      ],
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

/** One delivery a fast claim claimed (on its own or at fetch), with what it read beside it. */
export interface FastClaimed {
  delivery: Delivery;
  /** Consecutive failures on its endpoint (its circuit is closed). */
  failures: number;
  /** Its endpoint's row version, read by the claim. */
  endpointVersion: string;
}

type FastClaimedRow = DeliveryRow & { p_failures: number; e_version: string };

function readFastClaimed(row: FastClaimedRow): FastClaimed {
  return { delivery: toDelivery(row), failures: row.p_failures, endpointVersion: row.e_version };
}

/** Fast-claimed deliveries, by delivery and by endpoint. */
export function collectFastClaims(items: Iterable<FastClaimed>): FastClaim {
  const fast: FastClaim = { claimed: new Map(), failures: new Map(), endpointVersions: new Map() };
  for (const { delivery, failures, endpointVersion } of items) {
    fast.claimed.set(delivery.id, delivery);
    fast.failures.set(delivery.endpointId, failures);
    fast.endpointVersions.set(delivery.endpointId, endpointVersion);
  }
  return fast;
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
  if (requests.length === 0) return collectFastClaims([]);
  const { text, values } = claimSql.fastClaim(requests, breakerEnabled);
  const { rows } = await db.query<FastClaimedRow>(text, values);
  return collectFastClaims(rows.map(readFastClaimed));
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

/** The delivery a fetched job's row says the claim at fetch claimed for it, if any. */
function readClaimedAtFetch(row: Readonly<Record<string, unknown>>): FastClaimed | null {
  if (row[AT_FETCH_ID] == null) return null;
  const claimed: Record<string, unknown> = {};
  for (const { column, key } of AT_FETCH_COLUMNS) claimed[column] = row[key];
  return readFastClaimed(claimed as unknown as FastClaimedRow);
}

/**
 * The claim at fetch (claimSql.claimAtFetch) as the queue's fetch takes it: each fetched job comes
 * with the delivery claimed for it, or null.
 */
export function claimAtFetch(
  room: ClaimAtFetchRoom,
  breakerEnabled: boolean,
): FetchAlongside<FastClaimed | null> {
  return {
    sql: (fetch) => claimSql.claimAtFetch(fetch, room, breakerEnabled),
    read: readClaimedAtFetch,
  };
}
