/**
 * The statement of intake's common case (api/intake.ts decides around it): a new lead and its
 * deliveries to every eligible endpoint in one statement, one round trip instead of three (lead,
 * eligible endpoints, deliveries). The caller brings the delivery ids, generated in order; when
 * more endpoints are eligible than ids were brought, the lead is written alone and the statement
 * names the endpoints, for the caller to insert their deliveries itself in the same transaction.
 */
import type { LeadRecord } from '../../../core/types.js';
import type { Db, Sql } from '../db/types.js';
import { eligibleCondition, NEW_LEAD_ENDPOINT_TYPES } from './endpoints.js';

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
      /** The deliveries written, in endpoint order. */
      deliveries: Array<{ id: string; endpointId: string }>;
      /** Set when the ids were too few: every eligible endpoint, none of them written yet. */
      unwritten: string[] | null;
    };

export const intakeSql = {
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
};

interface NewLeadRow {
  inserted: boolean;
  made: Array<[string, string]>;
  unwritten: string[] | null;
}

export async function insertNewLead(tx: Db, input: NewLeadInput): Promise<NewLeadResult> {
  const { text, values } = intakeSql.newLead(input);
  const { rows } = await tx.query<NewLeadRow>(text, values);
  const row = rows[0];
  if (!row.inserted) return { inserted: false };
  const order = new Map(input.deliveryIds.map((id, index) => [id, index]));
  const deliveries = row.made
    .map(([id, endpointId]) => ({ id, endpointId }))
    .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  return { inserted: true, deliveries, unwritten: row.unwritten };
}
