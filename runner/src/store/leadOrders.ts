/** Lead orders: a seller's standing orders; every lead arrives under one. */
import { BoundedCache } from '../../../core/boundedCache.js';
import type { Db, Sql } from '../db/types.js';
import { newId } from '../ids.js';

export interface LeadOrder {
  id: string;
  sellerId: string;
  name: string;
  createdAt: Date;
}

interface LeadOrderRow {
  id: string;
  seller_id: string;
  name: string;
  created_at: Date;
}

const COLUMNS = 'id, seller_id, name, created_at';

export const leadOrderSql = {
  insert: (id: string, sellerId: string, name: string): Sql => ({
    text: `INSERT INTO lead_orders (id, seller_id, name) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
    values: [id, sellerId, name],
  }),
  get: (id: string): Sql => ({
    text: `SELECT ${COLUMNS} FROM lead_orders WHERE id = $1`,
    values: [id],
  }),
  listForSeller: (sellerId: string): Sql => ({
    text: `SELECT ${COLUMNS} FROM lead_orders WHERE seller_id = $1 ORDER BY created_at, id`,
    values: [sellerId],
  }),
  ownedIds: (sellerId: string, ids: readonly string[]): Sql => ({
    text: 'SELECT id FROM lead_orders WHERE seller_id = $1 AND id = ANY ($2::text[])',
    values: [sellerId, ids],
  }),
};

function toLeadOrder(row: LeadOrderRow): LeadOrder {
  return { id: row.id, sellerId: row.seller_id, name: row.name, createdAt: row.created_at };
}

export async function createLeadOrder(
  db: Db,
  input: { sellerId: string; name: string },
): Promise<LeadOrder> {
  const { text, values } = leadOrderSql.insert(newId('leadOrder'), input.sellerId, input.name);
  const { rows } = await db.query<LeadOrderRow>(text, values);
  return toLeadOrder(rows[0]);
}

export async function getLeadOrder(db: Db, id: string): Promise<LeadOrder | null> {
  const { text, values } = leadOrderSql.get(id);
  const { rows } = await db.query<LeadOrderRow>(text, values);
  return rows[0] ? toLeadOrder(rows[0]) : null;
}

/**
 * Lead orders never change once created (the runner has no rename or delete for them), so intake
 * keeps the ones it has found, per Db: a lead costs one round trip less. A missing id is not kept
 * (it may be created next); the set is bounded, least recently used dropped first. An order removed behind the
 * runner's back shows up as a foreign key violation on the lead, and is then forgotten.
 */
export const LEAD_ORDER_CACHE_SIZE = 10_000;
const knownLeadOrders = new WeakMap<Db, BoundedCache<string, LeadOrder>>();

export async function getLeadOrderCached(db: Db, id: string): Promise<LeadOrder | null> {
  let known = knownLeadOrders.get(db);
  if (!known) {
    known = new BoundedCache(LEAD_ORDER_CACHE_SIZE);
    knownLeadOrders.set(db, known);
  }
  const hit = known.get(id);
  if (hit) return hit;
  const order = await getLeadOrder(db, id);
  if (order) {
    known.set(id, Object.freeze(order));
  }
  return order;
}

export function forgetLeadOrder(db: Db, id: string): void {
  knownLeadOrders.get(db)?.delete(id);
}

export async function listLeadOrders(db: Db, sellerId: string): Promise<LeadOrder[]> {
  const { text, values } = leadOrderSql.listForSeller(sellerId);
  const { rows } = await db.query<LeadOrderRow>(text, values);
  return rows.map(toLeadOrder);
}

/** The subset of `ids` that are lead orders of this seller. */
export async function ownedLeadOrderIds(
  db: Db,
  sellerId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { text, values } = leadOrderSql.ownedIds(sellerId, ids);
  const { rows } = await db.query<{ id: string }>(text, values);
  return new Set(rows.map((row) => row.id));
}
