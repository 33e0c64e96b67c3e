/** Leads: the provider's people, with their current R1 data. */
import type { LeadRecord } from '../../../core/types.js';
import type { Db, Sql } from '../db/types.js';

export interface Lead {
  id: string;
  sellerId: string;
  leadOrderId: string;
  data: LeadRecord;
  createdAt: Date;
  updatedAt: Date;
}

interface LeadRow {
  id: string;
  seller_id: string;
  lead_order_id: string;
  data: LeadRecord;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, seller_id, lead_order_id, data, created_at, updated_at';

export const leadSql = {
  get: (id: string, forUpdate = false): Sql => ({
    text: `SELECT ${COLUMNS} FROM leads WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    values: [id],
  }),
  updateData: (id: string, data: LeadRecord): Sql => ({
    text: `UPDATE leads SET data = $2::jsonb, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
    values: [id, JSON.stringify(data)],
  }),
};

function toLead(row: LeadRow): Lead {
  return {
    id: row.id,
    sellerId: row.seller_id,
    leadOrderId: row.lead_order_id,
    data: row.data,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function getLead(
  db: Db,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Lead | null> {
  const { text, values } = leadSql.get(id, options.forUpdate);
  const { rows } = await db.query<LeadRow>(text, values);
  return rows[0] ? toLead(rows[0]) : null;
}

export async function updateLeadData(db: Db, id: string, data: LeadRecord): Promise<Lead | null> {
  const { text, values } = leadSql.updateData(id, data);
  const { rows } = await db.query<LeadRow>(text, values);
  return rows[0] ? toLead(rows[0]) : null;
}
