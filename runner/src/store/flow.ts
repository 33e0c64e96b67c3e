/**
 * Per-endpoint flow state: the circuit breaker (closed | open | half_open, consecutive failures,
 * cause, next probe) and the rate limit's token bucket. No row means closed with a full bucket.
 * Rows are locked (FOR UPDATE) by whoever changes them: a claim admitting deliveries of a limited
 * or not-closed endpoint, and the recorder counting an endpoint's outcomes.
 */
import type { Db, Sql } from '../db/types.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface EndpointFlow {
  endpointId: string;
  circuitState: CircuitState;
  consecutiveFailures: number;
  lastCause: string | null;
  lastError: string | null;
  openedAt: Date | null;
  nextProbeAt: Date | null;
  reopenCount: number;
  probeDeliveryId: string | null;
  tokens: number | null;
  tokensAt: Date | null;
}

/** A locked row, with the database's clock and the probe delivery's status. */
export interface LockedFlow extends EndpointFlow {
  dbNow: Date;
  probeStatus: string | null;
}

interface FlowRow {
  endpoint_id: string;
  circuit_state: CircuitState;
  consecutive_failures: number;
  last_cause: string | null;
  last_error: string | null;
  opened_at: Date | null;
  next_probe_at: Date | null;
  reopen_count: number;
  probe_delivery_id: string | null;
  tokens: number | null;
  tokens_at: Date | null;
  probe_status?: string | null;
}

const FLOW_COLUMNS = `f.endpoint_id, f.circuit_state, f.consecutive_failures, f.last_cause,
  f.last_error, f.opened_at, f.next_probe_at, f.reopen_count, f.probe_delivery_id, f.tokens,
  f.tokens_at`;

export const flowSql = {
  ensure: (endpointIds: readonly string[]): Sql => ({
    text: `INSERT INTO endpoint_flow (endpoint_id)
      SELECT e.id FROM endpoints e WHERE e.id = ANY ($1::text[])
      ON CONFLICT (endpoint_id) DO NOTHING`,
    values: [endpointIds],
  }),
  lock: (endpointIds: readonly string[]): Sql => ({
    text: `SELECT ${FLOW_COLUMNS},
        (SELECT d.status FROM deliveries d WHERE d.id = f.probe_delivery_id) AS probe_status
      FROM endpoint_flow f WHERE f.endpoint_id = ANY ($1::text[])
      ORDER BY f.endpoint_id FOR UPDATE OF f`,
    values: [endpointIds],
  }),
  inFlight: (endpointIds: readonly string[]): Sql => ({
    text: `SELECT endpoint_id, count(*)::int AS count FROM deliveries
      WHERE endpoint_id = ANY ($1::text[]) AND status = 'sending' GROUP BY endpoint_id`,
    values: [endpointIds],
  }),
  save: (flow: EndpointFlow): Sql => ({
    text: `UPDATE endpoint_flow SET circuit_state = $2, consecutive_failures = $3, last_cause = $4,
        last_error = $5, opened_at = $6, next_probe_at = $7, reopen_count = $8,
        probe_delivery_id = $9, tokens = $10, tokens_at = $11, updated_at = now()
      WHERE endpoint_id = $1`,
    values: [
      flow.endpointId,
      flow.circuitState,
      flow.consecutiveFailures,
      flow.lastCause,
      flow.lastError,
      flow.openedAt,
      flow.nextProbeAt,
      flow.reopenCount,
      flow.probeDeliveryId,
      flow.tokens,
      flow.tokensAt,
    ],
  }),
  /** Back to closed with an empty failure count (an endpoint's URL changed). */
  reset: (endpointId: string): Sql => ({
    text: `UPDATE endpoint_flow SET circuit_state = 'closed', consecutive_failures = 0,
        opened_at = NULL, next_probe_at = NULL, reopen_count = 0, probe_delivery_id = NULL,
        updated_at = now()
      WHERE endpoint_id = $1 AND (circuit_state <> 'closed' OR consecutive_failures <> 0)
      RETURNING endpoint_id`,
    values: [endpointId],
  }),
};

function toFlow(row: FlowRow): EndpointFlow {
  return {
    endpointId: row.endpoint_id,
    circuitState: row.circuit_state,
    consecutiveFailures: row.consecutive_failures,
    lastCause: row.last_cause,
    lastError: row.last_error,
    openedAt: row.opened_at,
    nextProbeAt: row.next_probe_at,
    reopenCount: row.reopen_count,
    probeDeliveryId: row.probe_delivery_id,
    tokens: row.tokens === null ? null : Number(row.tokens),
    tokensAt: row.tokens_at,
  };
}

/** The flow row of a closed circuit that never failed (what no row means). */
export function closedFlow(endpointId: string): EndpointFlow {
  return {
    endpointId,
    circuitState: 'closed',
    consecutiveFailures: 0,
    lastCause: null,
    lastError: null,
    openedAt: null,
    nextProbeAt: null,
    reopenCount: 0,
    probeDeliveryId: null,
    tokens: null,
    tokensAt: null,
  };
}

/** Creates missing rows and locks them, in endpoint id order. */
export async function lockFlows(
  tx: Db,
  endpointIds: readonly string[],
): Promise<Map<string, LockedFlow>> {
  if (endpointIds.length === 0) return new Map();
  const ensure = flowSql.ensure(endpointIds);
  await tx.query(ensure.text, ensure.values);
  const { text, values } = flowSql.lock(endpointIds);
  const { rows } = await tx.query<FlowRow>(text, values);
  // The clock after the locks are ours (now() is the transaction's start, maybe before a wait).
  const clock = await tx.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  const dbNow = clock.rows[0].now;
  return new Map(
    rows.map((row) => {
      const flow = toFlow(row);
      return [
        row.endpoint_id,
        {
          ...flow,
          // Never behind what an earlier holder wrote: the bucket only refills forwards.
          dbNow: flow.tokensAt && flow.tokensAt.getTime() > dbNow.getTime() ? flow.tokensAt : dbNow,
          probeStatus: row.probe_status ?? null,
        },
      ];
    }),
  );
}

/** Deliveries in status sending per endpoint, across every worker. */
export async function inFlightCounts(
  tx: Db,
  endpointIds: readonly string[],
): Promise<Map<string, number>> {
  if (endpointIds.length === 0) return new Map();
  const { text, values } = flowSql.inFlight(endpointIds);
  const { rows } = await tx.query<{ endpoint_id: string; count: number }>(text, values);
  return new Map(rows.map((row) => [row.endpoint_id, row.count]));
}

export async function saveFlow(tx: Db, flow: EndpointFlow): Promise<void> {
  const { text, values } = flowSql.save(flow);
  await tx.query(text, values);
}

/** True when the endpoint's circuit was not closed (or had failures) and is now reset. */
export async function resetFlow(tx: Db, endpointId: string): Promise<boolean> {
  const { text, values } = flowSql.reset(endpointId);
  const { rowCount } = await tx.query(text, values);
  return rowCount > 0;
}
