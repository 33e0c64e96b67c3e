/**
 * Endpoints (R2), always scoped by seller. Header values and signing secrets are sealed with the
 * SecretBox on the way in and opened on the way out: callers only ever see plaintext domain
 * objects, the table only ever holds ciphertext.
 */
import type {
  Constant,
  EndpointType,
  FieldMapping,
  HeaderPair,
  MessageType,
  PayloadFormat,
} from '../../../core/types.js';
import type { HubSpotOptions } from '../../../core/formats/hubspot.js';
import type { Db, Sql } from '../db/types.js';
import type { SecretBox } from './secretBox.js';

import type { EndpointSettings } from '../../../core/types.js';

export type { EndpointSettings };

/** The circuit breaker's state for an endpoint (endpoint_pacing; closed when it has no row). */
export interface EndpointCircuit {
  state: 'closed' | 'open' | 'half_open';
  cause: string | null;
  lastError: string | null;
  openedAt: Date | null;
  consecutiveFailures: number;
  nextProbeAt: Date | null;
}

export interface Endpoint extends EndpointSettings {
  id: string;
  sellerId: string;
  /** `whsec_…`, plaintext. */
  signingSecret: string;
  previousSigningSecret: string | null;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** The row's version (its xmin): every update of the endpoint changes it. */
  version: string;
  maxConcurrency: number | null;
  rateLimitPerSecond: number | null;
  circuit: EndpointCircuit;
}

export interface LastDelivery {
  status: 'success' | 'failure';
  at: Date;
  httpStatus: number | null;
}

export interface EndpointWithLastDelivery extends Endpoint {
  lastDelivery: LastDelivery | null;
}

/** The endpoints a lead event goes to, with `enabled` so a disabled one's delivery can be held. */
export interface EligibleEndpoint {
  id: string;
  enabled: boolean;
}

interface EndpointRow {
  id: string;
  seller_id: string;
  name: string;
  url: string;
  format: PayloadFormat;
  type: EndpointType;
  enabled: boolean;
  timeout_ms: number;
  headers: HeaderPair[];
  constants: Constant[];
  field_mappings: FieldMapping[];
  lead_order_ids: string[];
  signing_secret: string;
  previous_signing_secret: string | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: string;
  max_concurrency: number | null;
  rate_limit_per_second: number | null;
  hubspot_options: HubSpotOptions | null;
  circuit: {
    circuit_state: EndpointCircuit['state'];
    consecutive_failures: number;
    last_cause: string | null;
    last_error: string | null;
    opened_at: string | null;
    next_probe_at: string | null;
  } | null;
  last_status?: 'success' | 'failure' | null;
  last_at?: Date | null;
  last_http_status?: number | null;
}

/**
 * An endpoint row's version: its xmin, the transaction that wrote this row version. Every UPDATE
 * writes a new one, so a worker can tell whether the settings it holds are the committed ones.
 */
export const ENDPOINT_VERSION = 'e.xmin::text';

const COLUMNS = `e.id, e.seller_id, e.name, e.url, e.format, e.type, e.enabled, e.timeout_ms,
  e.headers, e.constants, e.field_mappings, e.lead_order_ids, e.signing_secret,
  e.previous_signing_secret, e.previous_secret_expires_at, e.created_at, e.updated_at,
  ${ENDPOINT_VERSION} AS version, e.max_concurrency, e.rate_limit_per_second, e.hubspot_options,
  (SELECT row_to_json(p) FROM endpoint_pacing p WHERE p.endpoint_id = e.id) AS circuit`;

const LAST_ATTEMPT = `LEFT JOIN LATERAL (
    SELECT a.status AS last_status, a.started_at AS last_at, a.http_status AS last_http_status
    FROM attempts a WHERE a.endpoint_id = e.id
    ORDER BY a.started_at DESC, a.id DESC LIMIT 1
  ) last ON true`;

/** The parameters shared by insert and update, in the order $n…$n+9 of both statements. */
function settingsValues(box: SecretBox, settings: EndpointSettings): unknown[] {
  return [
    settings.name,
    settings.url,
    settings.format,
    settings.type,
    settings.enabled,
    settings.timeoutMs,
    JSON.stringify(settings.headers.map((h) => ({ name: h.name, value: box.seal(h.value) }))),
    JSON.stringify(settings.constants.map((c) => ({ key: c.key, value: c.value }))),
    JSON.stringify(settings.fieldMappings.map((m) => ({ field: m.field, output: m.output }))),
    settings.leadOrderIds,
    settings.maxConcurrency ?? null,
    settings.rateLimitPerSecond ?? null,
    settings.hubspot ? JSON.stringify(settings.hubspot) : null,
  ];
}

/**
 * R4 eligibility, in SQL, as a condition on endpoints `e`: the seller's endpoints (enabled or not:
 * a disabled endpoint's deliveries are created and held) whose lead orders are empty or contain
 * this one, whose type takes this message type and, for updates, that map a meeting field. The
 * arguments name the parameters: seller id, lead order id, endpoint types (text[]) and, for
 * updates, the meeting field keys (text[]).
 */
export function eligibleCondition(
  seller: string,
  leadOrder: string,
  types: string,
  meetingFields: string | null,
): string {
  const meeting = meetingFields
    ? `
        AND EXISTS (SELECT 1 FROM jsonb_array_elements(e.field_mappings) AS m
                    WHERE m ->> 'field' = ANY (${meetingFields}::text[]))`
    : '';
  return `e.seller_id = ${seller}
        AND (cardinality(e.lead_order_ids) = 0 OR ${leadOrder} = ANY (e.lead_order_ids))
        AND e.type = ANY (${types}::text[])${meeting}`;
}

export const endpointSql = {
  insert: (
    box: SecretBox,
    id: string,
    sellerId: string,
    settings: EndpointSettings,
    signingSecret: string,
  ): Sql => ({
    text: `INSERT INTO endpoints AS e (id, seller_id, name, url, format, type, enabled, timeout_ms,
        headers, constants, field_mappings, lead_order_ids, max_concurrency, rate_limit_per_second,
        hubspot_options, signing_secret)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11::jsonb, $12::text[],
        $13::int, $14::float8, $15::jsonb, $16)
      RETURNING ${COLUMNS}`,
    values: [id, sellerId, ...settingsValues(box, settings), box.seal(signingSecret)],
  }),
  update: (box: SecretBox, sellerId: string, id: string, settings: EndpointSettings): Sql => ({
    text: `UPDATE endpoints AS e SET name = $3, url = $4, format = $5, type = $6, enabled = $7,
        timeout_ms = $8, headers = $9::jsonb, constants = $10::jsonb, field_mappings = $11::jsonb,
        lead_order_ids = $12::text[], max_concurrency = $13::int, rate_limit_per_second = $14::float8,
        hubspot_options = $15::jsonb, updated_at = now()
      WHERE e.seller_id = $1 AND e.id = $2
      RETURNING ${COLUMNS}`,
    values: [sellerId, id, ...settingsValues(box, settings)],
  }),
  get: (sellerId: string, id: string, forUpdate = false): Sql => ({
    text: `SELECT ${COLUMNS} FROM endpoints e WHERE e.seller_id = $1 AND e.id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    values: [sellerId, id],
  }),
  getWithLastDelivery: (sellerId: string, id: string): Sql => ({
    text: `SELECT ${COLUMNS}, last.* FROM endpoints e ${LAST_ATTEMPT}
      WHERE e.seller_id = $1 AND e.id = $2`,
    values: [sellerId, id],
  }),
  /** Unscoped: for the worker, which starts from its jobs' endpoint ids. */
  getManyByIds: (ids: readonly string[]): Sql => ({
    text: `SELECT ${COLUMNS} FROM endpoints e WHERE e.id = ANY ($1::text[])`,
    values: [ids],
  }),
  listForSeller: (sellerId: string): Sql => ({
    text: `SELECT ${COLUMNS}, last.* FROM endpoints e ${LAST_ATTEMPT}
      WHERE e.seller_id = $1 ORDER BY e.created_at, e.id`,
    values: [sellerId],
  }),
  delete: (sellerId: string, id: string): Sql => ({
    text: 'DELETE FROM endpoints WHERE seller_id = $1 AND id = $2',
    values: [sellerId, id],
  }),
  /** R4 eligibility (eligibleCondition), in the endpoints' creation order. */
  eligible: (input: {
    sellerId: string;
    leadOrderId: string;
    types: readonly EndpointType[];
    meetingFields: readonly string[] | null;
  }): Sql => ({
    text: `SELECT e.id, e.enabled FROM endpoints e
      WHERE ${eligibleCondition('$1', '$2', '$3', input.meetingFields ? '$4' : null)}
      ORDER BY e.created_at, e.id`,
    values: input.meetingFields
      ? [input.sellerId, input.leadOrderId, input.types, input.meetingFields]
      : [input.sellerId, input.leadOrderId, input.types],
  }),
};

function toEndpoint(box: SecretBox, row: EndpointRow): Endpoint {
  return {
    id: row.id,
    sellerId: row.seller_id,
    name: row.name,
    url: row.url,
    format: row.format,
    headers: row.headers.map((h) => ({ name: h.name, value: box.open(h.value) })),
    constants: row.constants,
    leadOrderIds: row.lead_order_ids,
    fieldMappings: row.field_mappings,
    type: row.type,
    enabled: row.enabled,
    timeoutMs: row.timeout_ms,
    signingSecret: box.open(row.signing_secret),
    previousSigningSecret: row.previous_signing_secret
      ? box.open(row.previous_signing_secret)
      : null,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
    maxConcurrency: row.max_concurrency ?? null,
    rateLimitPerSecond:
      row.rate_limit_per_second === null ? null : Number(row.rate_limit_per_second),
    hubspot: row.hubspot_options ?? null,
    circuit: toCircuit(row.circuit),
  };
}

function toCircuit(row: EndpointRow['circuit']): EndpointCircuit {
  if (!row) {
    return {
      state: 'closed',
      cause: null,
      lastError: null,
      openedAt: null,
      consecutiveFailures: 0,
      nextProbeAt: null,
    };
  }
  return {
    state: row.circuit_state,
    cause: row.last_cause,
    lastError: row.last_error,
    openedAt: row.opened_at ? new Date(row.opened_at) : null,
    consecutiveFailures: row.consecutive_failures,
    nextProbeAt: row.next_probe_at ? new Date(row.next_probe_at) : null,
  };
}

function toEndpointWithLastDelivery(box: SecretBox, row: EndpointRow): EndpointWithLastDelivery {
  return {
    ...toEndpoint(box, row),
    lastDelivery:
      row.last_status && row.last_at
        ? { status: row.last_status, at: row.last_at, httpStatus: row.last_http_status ?? null }
        : null,
  };
}

export async function insertEndpoint(
  db: Db,
  box: SecretBox,
  input: { id: string; sellerId: string; settings: EndpointSettings; signingSecret: string },
): Promise<Endpoint> {
  const { text, values } = endpointSql.insert(
    box,
    input.id,
    input.sellerId,
    input.settings,
    input.signingSecret,
  );
  const { rows } = await db.query<EndpointRow>(text, values);
  return toEndpoint(box, rows[0]);
}

export async function updateEndpoint(
  db: Db,
  box: SecretBox,
  sellerId: string,
  id: string,
  settings: EndpointSettings,
): Promise<Endpoint | null> {
  const { text, values } = endpointSql.update(box, sellerId, id, settings);
  const { rows } = await db.query<EndpointRow>(text, values);
  return rows[0] ? toEndpoint(box, rows[0]) : null;
}

/** The seller's endpoint, or null (unknown id and another seller's id look the same). */
export async function getEndpoint(
  db: Db,
  box: SecretBox,
  sellerId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Endpoint | null> {
  const { text, values } = endpointSql.get(sellerId, id, options.forUpdate);
  const { rows } = await db.query<EndpointRow>(text, values);
  return rows[0] ? toEndpoint(box, rows[0]) : null;
}

export async function getEndpointWithLastDelivery(
  db: Db,
  box: SecretBox,
  sellerId: string,
  id: string,
): Promise<EndpointWithLastDelivery | null> {
  const { text, values } = endpointSql.getWithLastDelivery(sellerId, id);
  const { rows } = await db.query<EndpointRow>(text, values);
  return rows[0] ? toEndpointWithLastDelivery(box, rows[0]) : null;
}

/** Unscoped lookup of several endpoints, for the worker's batches. */
export async function getEndpointsByIds(
  db: Db,
  box: SecretBox,
  ids: readonly string[],
): Promise<Map<string, Endpoint>> {
  if (ids.length === 0) return new Map();
  const { text, values } = endpointSql.getManyByIds(ids);
  const { rows } = await db.query<EndpointRow>(text, values);
  return new Map(rows.map((row) => [row.id, toEndpoint(box, row)]));
}

export async function listEndpoints(
  db: Db,
  box: SecretBox,
  sellerId: string,
): Promise<EndpointWithLastDelivery[]> {
  const { text, values } = endpointSql.listForSeller(sellerId);
  const { rows } = await db.query<EndpointRow>(text, values);
  return rows.map((row) => toEndpointWithLastDelivery(box, row));
}

/** True when the seller's endpoint existed and was deleted (with its deliveries and history). */
export async function deleteEndpoint(db: Db, sellerId: string, id: string): Promise<boolean> {
  const { text, values } = endpointSql.delete(sellerId, id);
  const { rowCount } = await db.query(text, values);
  return rowCount > 0;
}

export const NEW_LEAD_ENDPOINT_TYPES: readonly EndpointType[] = ['new_leads', 'both'];
export const LEAD_UPDATE_ENDPOINT_TYPES: readonly EndpointType[] = ['lead_updates', 'both'];

/** The endpoints a lead event of `messageType` goes to (R4). */
export async function eligibleEndpoints(
  db: Db,
  input: {
    sellerId: string;
    leadOrderId: string;
    messageType: MessageType;
    /** The catalogue's MEETING_FIELD_KEYS; needed for lead_update. */
    meetingFields: readonly string[];
  },
): Promise<EligibleEndpoint[]> {
  const isUpdate = input.messageType === 'lead_update';
  const { text, values } = endpointSql.eligible({
    sellerId: input.sellerId,
    leadOrderId: input.leadOrderId,
    types: isUpdate ? LEAD_UPDATE_ENDPOINT_TYPES : NEW_LEAD_ENDPOINT_TYPES,
    meetingFields: isUpdate ? input.meetingFields : null,
  });
  const { rows } = await db.query<EligibleEndpoint>(text, values);
  return rows;
}
