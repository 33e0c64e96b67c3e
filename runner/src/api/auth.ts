/**
 * Bearer authentication. Sellers use their API keys (looked up by sha256); the provider uses its
 * own key (compared in constant time). A valid key of the wrong kind is 403, anything else 401.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { Db } from '../db/types.js';
import { findSellerIdByApiKey } from '../store/sellers.js';
import { ApiError } from './errors.js';

export type AuthKind = 'none' | 'seller' | 'provider';
export type SellerAuth = { kind: 'seller'; sellerId: string };
export type ProviderAuth = { kind: 'provider' };
export type NoAuth = { kind: 'none' };
export type AuthFor<A extends AuthKind> = A extends 'seller'
  ? SellerAuth
  : A extends 'provider'
    ? ProviderAuth
    : NoAuth;

function bearerToken(req: Request): string {
  const header = req.get('authorization');
  if (!header) {
    throw new ApiError(401, 'unauthorized', 'missing Authorization: Bearer <API key> header');
  }
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match) {
    throw new ApiError(401, 'unauthorized', 'the Authorization header must be "Bearer <API key>"');
  }
  return match[1];
}

/** Constant-time comparison (both sides hashed first, so lengths never leak). */
export function sameSecret(a: string, b: string): boolean {
  const hash = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(hash(a), hash(b));
}

export async function authenticate<A extends AuthKind>(
  req: Request,
  kind: A,
  deps: { db: Db; providerApiKey: string },
): Promise<AuthFor<A>> {
  if (kind === 'none') return { kind: 'none' } as AuthFor<A>;
  const token = bearerToken(req);
  const isProvider = sameSecret(token, deps.providerApiKey);
  if (kind === 'provider') {
    if (isProvider) return { kind: 'provider' } as AuthFor<A>;
    if (await findSellerIdByApiKey(deps.db, token)) {
      throw new ApiError(
        403,
        'forbidden',
        'this route needs the provider API key, not a seller key',
      );
    }
    throw new ApiError(401, 'unauthorized', 'invalid API key');
  }
  if (isProvider) {
    throw new ApiError(403, 'forbidden', 'this route needs a seller API key, not the provider key');
  }
  const sellerId = await findSellerIdByApiKey(deps.db, token);
  if (!sellerId) throw new ApiError(401, 'unauthorized', 'invalid API key');
  return { kind: 'seller', sellerId } as AuthFor<A>;
}
