/**
 * Create: a lead event's deliveries (status pending, due now, the lead as it is now as their
 * snapshot) and one job each, in the caller's transaction; and a Send test's delivery, created
 * already claimed by its own request. Backfill creates deliveries too (replay.ts).
 */
import type { LeadRecord, MessageType } from '../../../../core/types.js';
import type { Db, Sql } from '../../db/types.js';
import { newId } from '../../ids.js';
import { DELIVERY_COLUMNS, toDelivery, type Delivery, type DeliveryRow } from '../deliveries.js';
import { eligibleCondition, NEW_LEAD_ENDPOINT_TYPES } from '../endpoints.js';
import { queueJobs, type JobQueue } from './jobs.js';

export interface NewDelivery {
  id: string;
  sellerId: string;
  endpointId: string;
  leadId: string;
  messageType: MessageType;
  leadSnapshot: LeadRecord;
}

export interface NewLeadInput {
  id: string;
  sellerId: string;
  leadOrderId: string;
  data: LeadRecord;
  /** Ids for the deliveries, in the order of the endpoints (their creation order). */
  deliveryIds: readonly string[];
}

export type NewLeadResult =
  | { inserted: false }
  | {
      inserted: true;
      /** The deliveries created, in endpoint order. */
      deliveries: Array<{ id: string; endpointId: string }>;
    };

export const createSql = {
  /**
   * Intake's common case in one statement, one round trip instead of three (lead, eligible
   * endpoints, deliveries). The caller brings the delivery ids, generated in order; when more
   * endpoints are eligible than ids were brought, the lead is written alone and the statement
   * names the endpoints (`unwritten`), whose deliveries are then inserted by `insertMany`.
   */
  newLead: (input: NewLeadInput): Sql => ({
    text: `WITH lead AS (
        INSERT INTO leads (id, seller_id, lead_order_id, data) VALUES ($1, $2, $3, $4::jsonb)
        ON CONFLICT (id) DO NOTHING RETURNING id, seller_id, data
      ),
      targets AS (
        SELECT e.id, row_number() OVER (ORDER BY e.created_at, e.id)::int AS n FROM endpoints e
        WHERE ${eligibleCondition('$2', '$3', '$5', null)}
      ),
      fits AS (SELECT count(*) <= cardinality($6::text[]) AS ok FROM targets),
      made AS (
        INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, test, status,
          next_attempt_at, lead_snapshot)
        SELECT ($6::text[])[t.n], l.seller_id, t.id, l.id, 'new_lead', false, 'pending', now(),
          l.data
        FROM lead l CROSS JOIN targets t
        WHERE (SELECT ok FROM fits)
        RETURNING id, endpoint_id
      )
      SELECT EXISTS (SELECT 1 FROM lead) AS inserted,
        COALESCE((SELECT json_agg(json_build_array(m.id, m.endpoint_id)) FROM made m), '[]')
          AS made,
        CASE WHEN NOT (SELECT ok FROM fits)
          THEN (SELECT json_agg(t.id ORDER BY t.n) FROM targets t) END AS unwritten`,
    values: [
      input.id,
      input.sellerId,
      input.leadOrderId,
      JSON.stringify(input.data),
      NEW_LEAD_ENDPOINT_TYPES,
      input.deliveryIds,
    ],
  }),
  insertMany: (deliveries: readonly NewDelivery[]): Sql => ({
    text: `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, test,
        status, next_attempt_at, lead_snapshot)
      SELECT x.id, x.seller_id, x.endpoint_id, x.lead_id, x.message_type, false, 'pending', now(),
        x.lead_snapshot
      FROM jsonb_to_recordset($1::jsonb) AS x(id text, seller_id text, endpoint_id text,
        lead_id text, message_type text, lead_snapshot jsonb)
      RETURNING ${DELIVERY_COLUMNS}`,
    values: [
      JSON.stringify(
        deliveries.map((d) => ({
          id: d.id,
          seller_id: d.sellerId,
          endpoint_id: d.endpointId,
          lead_id: d.leadId,
          message_type: d.messageType,
          lead_snapshot: d.leadSnapshot,
        })),
      ),
    ],
  }),
  /**
   * A Send test's delivery, claimed by its own request (`test:<id>`, no job run) as it is
   * created: it is sent at once, whatever the endpoint's state, and takes no part in ordering.
   */
  insertTest: (input: NewDelivery): Sql => ({
    text: `INSERT INTO deliveries (id, seller_id, endpoint_id, lead_id, message_type, test,
        status, attempt_count, claim_job_id, next_attempt_at, lead_snapshot)
      VALUES ($1, $2, $3, $4, $5, true, 'sending', 1, 'test:' || $1::text, now(), $6::jsonb)
      RETURNING ${DELIVERY_COLUMNS}`,
    values: [
      input.id,
      input.sellerId,
      input.endpointId,
      input.leadId,
      input.messageType,
      JSON.stringify(input.leadSnapshot),
    ],
  }),
};

interface NewLeadRow {
  inserted: boolean;
  made: Array<[string, string]>;
  unwritten: string[] | null;
}

async function insertMany(tx: Db, deliveries: readonly NewDelivery[]): Promise<Delivery[]> {
  if (deliveries.length === 0) return [];
  const { text, values } = createSql.insertMany(deliveries);
  const { rows } = await tx.query<DeliveryRow>(text, values);
  const byId = new Map(rows.map((row) => [row.id, toDelivery(row)]));
  return deliveries.map((d) => byId.get(d.id)!);
}

/**
 * A new lead, its new_lead deliveries to every eligible endpoint (enabled or not: a disabled
 * endpoint's are held by the claim until it is enabled) and their jobs, inside `tx`.
 */
export async function createNewLead(
  tx: Db,
  queue: JobQueue,
  input: NewLeadInput,
): Promise<NewLeadResult> {
  const { text, values } = createSql.newLead(input);
  const { rows } = await tx.query<NewLeadRow>(text, values);
  const row = rows[0];
  if (!row.inserted) return { inserted: false };
  let deliveries: Array<{ id: string; endpointId: string }>;
  if (row.unwritten) {
    const written = await insertMany(
      tx,
      row.unwritten.map((endpointId) => ({
        id: newId('delivery'),
        sellerId: input.sellerId,
        endpointId,
        leadId: input.id,
        messageType: 'new_lead' as const,
        leadSnapshot: input.data,
      })),
    );
    deliveries = written.map((d) => ({ id: d.id, endpointId: d.endpointId }));
  } else {
    const order = new Map(input.deliveryIds.map((id, index) => [id, index]));
    deliveries = row.made
      .map(([id, endpointId]) => ({ id, endpointId }))
      .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }
  await queueJobs(
    tx,
    queue,
    deliveries.map((d) => ({ deliveryId: d.id, endpointId: d.endpointId })),
  );
  return { inserted: true, deliveries };
}

/** Deliveries of one lead event (a lead_update fan-out) and their jobs, inside `tx`. */
export async function createDeliveries(
  tx: Db,
  queue: JobQueue,
  deliveries: readonly NewDelivery[],
): Promise<Delivery[]> {
  const created = await insertMany(tx, deliveries);
  await queueJobs(
    tx,
    queue,
    created.map((d) => ({ deliveryId: d.id, endpointId: d.endpointId })),
  );
  return created;
}

/** A Send test's delivery, claimed for sending now (no job: the caller sends it itself). */
export async function createTestDelivery(db: Db, input: NewDelivery): Promise<Delivery> {
  const { text, values } = createSql.insertTest(input);
  const { rows } = await db.query<DeliveryRow>(text, values);
  return toDelivery(rows[0]);
}
