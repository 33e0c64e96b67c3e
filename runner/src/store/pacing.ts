/**
 * Per-endpoint pacing state: the circuit breaker (closed | open | half_open, consecutive failures,
 * cause, next probe) and the rate limit's token bucket. No row means closed with a full bucket.
 * Rows are locked (FOR UPDATE) by whoever changes them: a claim admitting deliveries of a limited
 * or not-closed endpoint, and the recorder counting an endpoint's outcomes.
 */
import type { Db, Sql } from '../db/types.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface EndpointPacing {
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
export interface LockedPacing extends EndpointPacing {
  dbNow: Date;
  probeStatus: string | null;
}

interface PacingRow {
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

const PACING_COLUMNS = `p.endpoint_id, p.circuit_state, p.consecutive_failures, p.last_cause,
  p.last_error, p.opened_at, p.next_probe_at, p.reopen_count, p.probe_delivery_id, p.tokens,
  p.tokens_at`;

export const pacingSql = {
  ensure: (endpointIds: readonly string[]): Sql => ({
    text: `INSERT INTO endpoint_pacing (endpoint_id)
      SELECT e.id FROM endpoints e WHERE e.id = ANY ($1::text[])
      ON CONFLICT (endpoint_id) DO NOTHING`,
    values: [endpointIds],
  }),
  lock: (endpointIds: readonly string[]): Sql => ({
    text: `SELECT ${PACING_COLUMNS},
        (SELECT d.status FROM deliveries d WHERE d.id = p.probe_delivery_id) AS probe_status
      FROM endpoint_pacing p WHERE p.endpoint_id = ANY ($1::text[])
      ORDER BY p.endpoint_id FOR UPDATE OF p`,
    values: [endpointIds],
  }),
  inFlight: (endpointIds: readonly string[]): Sql => ({
    text: `SELECT endpoint_id, count(*)::int AS count FROM deliveries
      WHERE endpoint_id = ANY ($1::text[]) AND status = 'sending' GROUP BY endpoint_id`,
    values: [endpointIds],
  }),
  save: (pacing: EndpointPacing): Sql => ({
    text: `UPDATE endpoint_pacing SET circuit_state = $2, consecutive_failures = $3, last_cause = $4,
        last_error = $5, opened_at = $6, next_probe_at = $7, reopen_count = $8,
        probe_delivery_id = $9, tokens = $10, tokens_at = $11, updated_at = now()
      WHERE endpoint_id = $1`,
    values: [
      pacing.endpointId,
      pacing.circuitState,
      pacing.consecutiveFailures,
      pacing.lastCause,
      pacing.lastError,
      pacing.openedAt,
      pacing.nextProbeAt,
      pacing.reopenCount,
      pacing.probeDeliveryId,
      pacing.tokens,
      pacing.tokensAt,
    ],
  }),
  /** Back to closed with an empty failure count (an endpoint's URL changed). */
  reset: (endpointId: string): Sql => ({
    text: `UPDATE endpoint_pacing SET circuit_state = 'closed', consecutive_failures = 0,
        opened_at = NULL, next_probe_at = NULL, reopen_count = 0, probe_delivery_id = NULL,
        updated_at = now()
      WHERE endpoint_id = $1 AND (circuit_state <> 'closed' OR consecutive_failures <> 0)
      RETURNING endpoint_id`,
    values: [endpointId],
  }),
};

function toPacing(row: PacingRow): EndpointPacing {
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

/** The pacing row of a closed circuit that never failed (what no row means). */
export function closedPacing(endpointId: string): EndpointPacing {
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
export async function lockPacing(
  tx: Db,
  endpointIds: readonly string[],
): Promise<Map<string, LockedPacing>> {
  if (endpointIds.length === 0) return new Map();
  const ensure = pacingSql.ensure(endpointIds);
  await tx.query(ensure.text, ensure.values);
  const { text, values } = pacingSql.lock(endpointIds);
  const { rows } = await tx.query<PacingRow>(text, values);
  // The clock after the locks are ours (now() is the transaction's start, maybe before a wait).
  const clock = await tx.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  const dbNow = clock.rows[0].now;
  return new Map(
    rows.map((row) => {
      const pacing = toPacing(row);
      return [
        row.endpoint_id,
        {
          ...pacing,
          // Never behind what an earlier holder wrote: the bucket only refills forwards.
          dbNow:
            pacing.tokensAt && pacing.tokensAt.getTime() > dbNow.getTime()
              ? pacing.tokensAt
              : dbNow,
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
  const { text, values } = pacingSql.inFlight(endpointIds);
  const { rows } = await tx.query<{ endpoint_id: string; count: number }>(text, values);
  return new Map(rows.map((row) => [row.endpoint_id, row.count]));
}

export async function savePacing(tx: Db, pacing: EndpointPacing): Promise<void> {
  const { text, values } = pacingSql.save(pacing);
  await tx.query(text, values);
}

/** True when the endpoint's circuit was not closed (or had failures) and is now reset. */
export async function resetPacing(tx: Db, endpointId: string): Promise<boolean> {
  const { text, values } = pacingSql.reset(endpointId);
  const { rowCount } = await tx.query(text, values);
  return rowCount > 0;
}
