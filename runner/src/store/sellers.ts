/** Sellers (tenants) and their API keys. */
import { createHash, randomBytes } from 'node:crypto';
import type { Db, Sql } from '../db/types.js';
import { newId } from '../ids.js';

export interface Seller {
  id: string;
  name: string;
  createdAt: Date;
}

export const API_KEY_PREFIX = 'ld_sk_';

interface SellerRow {
  id: string;
  name: string;
  created_at: Date;
}

export const sellerSql = {
  insert: (id: string, name: string): Sql => ({
    text: 'INSERT INTO sellers (id, name) VALUES ($1, $2) RETURNING id, name, created_at',
    values: [id, name],
  }),
  get: (id: string): Sql => ({
    text: 'SELECT id, name, created_at FROM sellers WHERE id = $1',
    values: [id],
  }),
  count: (): Sql => ({ text: 'SELECT count(*)::int AS count FROM sellers', values: [] }),
};

export const apiKeySql = {
  insert: (id: string, sellerId: string, keyHash: string, keyPrefix: string): Sql => ({
    text: 'INSERT INTO api_keys (id, seller_id, key_hash, key_prefix) VALUES ($1, $2, $3, $4)',
    values: [id, sellerId, keyHash, keyPrefix],
  }),
  sellerByHash: (keyHash: string): Sql => ({
    text: 'SELECT seller_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
    values: [keyHash],
  }),
};

function toSeller(row: SellerRow): Seller {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** `ld_sk_` + 32 random bytes (base64url). Only its sha256 is stored. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Adds a key to a seller; returns the key itself, which is never readable again. */
export async function createApiKey(db: Db, sellerId: string): Promise<string> {
  const key = generateApiKey();
  const { text, values } = apiKeySql.insert(
    newId('apiKey'),
    sellerId,
    hashApiKey(key),
    key.slice(0, API_KEY_PREFIX.length + 6),
  );
  await db.query(text, values);
  return key;
}

/** The seller a (non-revoked) key belongs to, or null. */
export async function findSellerIdByApiKey(db: Db, key: string): Promise<string | null> {
  const { text, values } = apiKeySql.sellerByHash(hashApiKey(key));
  const { rows } = await db.query<{ seller_id: string }>(text, values);
  return rows[0]?.seller_id ?? null;
}

/** Creates a seller and its first API key in one transaction. */
export async function createSeller(
  db: Db,
  name: string,
): Promise<{ seller: Seller; apiKey: string }> {
  return db.transaction(async (tx) => {
    const { text, values } = sellerSql.insert(newId('seller'), name);
    const { rows } = await tx.query<SellerRow>(text, values);
    const apiKey = await createApiKey(tx, rows[0].id);
    return { seller: toSeller(rows[0]), apiKey };
  });
}

export async function getSeller(db: Db, id: string): Promise<Seller | null> {
  const { text, values } = sellerSql.get(id);
  const { rows } = await db.query<SellerRow>(text, values);
  return rows[0] ? toSeller(rows[0]) : null;
}

export async function countSellers(db: Db): Promise<number> {
  const { text, values } = sellerSql.count();
  const { rows } = await db.query<{ count: number }>(text, values);
  return rows[0].count;
}
