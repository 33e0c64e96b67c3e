/**
 * Signing secret rotation (Standard Webhooks): the endpoint gets a new current secret and keeps
 * the one it replaces as `previous_signing_secret` until `previous_secret_expires_at`; deliveries
 * in that window carry a signature for each (worker/signingSecrets.ts). Rotating again inside the
 * window keeps only the newest previous secret (the one just replaced): there are never more than
 * two signatures. Scoped to the seller, sealed like every secret.
 */
import type { Db, Sql } from '../db/types.js';
import type { SecretBox } from './secretBox.js';

/** How long the replaced secret keeps signing: 24 h. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

export const signingSecretSql = {
  rotate: (sellerId: string, id: string, sealedSecret: string, graceMs: number): Sql => ({
    text: `UPDATE endpoints SET previous_signing_secret = signing_secret,
        previous_secret_expires_at = now() + $4::double precision * interval '1 millisecond',
        signing_secret = $3, updated_at = now()
      WHERE seller_id = $1 AND id = $2
      RETURNING previous_secret_expires_at`,
    values: [sellerId, id, sealedSecret, graceMs],
  }),
};

/** The replaced secret's expiry, or null when the seller has no such endpoint. */
export async function rotateSigningSecret(
  db: Db,
  box: SecretBox,
  input: { sellerId: string; endpointId: string; newSecret: string; graceMs?: number },
): Promise<{ previousSecretExpiresAt: Date } | null> {
  const { text, values } = signingSecretSql.rotate(
    input.sellerId,
    input.endpointId,
    box.seal(input.newSecret),
    input.graceMs ?? PREVIOUS_SECRET_GRACE_MS,
  );
  const { rows } = await db.query<{ previous_secret_expires_at: Date }>(text, values);
  return rows[0] ? { previousSecretExpiresAt: rows[0].previous_secret_expires_at } : null;
}
