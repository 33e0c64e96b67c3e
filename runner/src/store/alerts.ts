/**
 * A seller's alert settings (issue 20): the URL its operational webhooks go to and the secret that
 * signs them (sealed like every secret), and which endpoints' sellers want alerts at all.
 */
import type { Db, Sql } from '../db/types.js';
import type { SecretBox } from './secretBox.js';

export interface AlertSettings {
  url: string | null;
  /** `whsec_…`, plaintext; null until an alert URL is first set. */
  signingSecret: string | null;
}

/** An endpoint whose seller has an alert URL: what an alert about it names. */
export interface AlertedEndpoint {
  id: string;
  sellerId: string;
  name: string;
  url: string;
}

interface SettingsRow {
  alert_url: string | null;
  alert_signing_secret: string | null;
}

export const alertSql = {
  get: (sellerId: string): Sql => ({
    text: 'SELECT alert_url, alert_signing_secret FROM sellers WHERE id = $1',
    values: [sellerId],
  }),
  /** Sets (or clears) the URL; the first URL also gets the signing secret, kept from then on. */
  setUrl: (sellerId: string, url: string | null, sealedNewSecret: string): Sql => ({
    text: `UPDATE sellers SET alert_url = $2,
        alert_signing_secret = COALESCE(alert_signing_secret, $3)
      WHERE id = $1 RETURNING alert_url, alert_signing_secret`,
    values: [sellerId, url, sealedNewSecret],
  }),
  rotate: (sellerId: string, sealedSecret: string): Sql => ({
    text: `UPDATE sellers SET alert_signing_secret = $2
      WHERE id = $1 AND alert_signing_secret IS NOT NULL RETURNING alert_url, alert_signing_secret`,
    values: [sellerId, sealedSecret],
  }),
  /** Only endpoints whose seller set an alert URL: the others' events make no job at all. */
  alertedEndpoints: (endpointIds: readonly string[]): Sql => ({
    text: `SELECT e.id, e.seller_id, e.name, e.url FROM endpoints e
      JOIN sellers s ON s.id = e.seller_id
      WHERE e.id = ANY ($1::text[]) AND s.alert_url IS NOT NULL`,
    values: [endpointIds],
  }),
};

function toSettings(box: SecretBox, row: SettingsRow | undefined): AlertSettings | null {
  if (!row) return null;
  return {
    url: row.alert_url,
    signingSecret: row.alert_signing_secret ? box.open(row.alert_signing_secret) : null,
  };
}

export async function getAlertSettings(
  db: Db,
  box: SecretBox,
  sellerId: string,
): Promise<AlertSettings | null> {
  const { text, values } = alertSql.get(sellerId);
  const { rows } = await db.query<SettingsRow>(text, values);
  return toSettings(box, rows[0]);
}

/** The settings after the change, and whether `newSecret` became the signing secret. */
export async function setAlertUrl(
  db: Db,
  box: SecretBox,
  sellerId: string,
  url: string | null,
  newSecret: string,
): Promise<{ settings: AlertSettings; secretCreated: boolean } | null> {
  const { text, values } = alertSql.setUrl(sellerId, url, box.seal(newSecret));
  const { rows } = await db.query<SettingsRow>(text, values);
  const settings = toSettings(box, rows[0]);
  return settings ? { settings, secretCreated: settings.signingSecret === newSecret } : null;
}

/** The new secret in place (no grace period: alerts are not idempotent deliveries), or null. */
export async function rotateAlertSecret(
  db: Db,
  box: SecretBox,
  sellerId: string,
  newSecret: string,
): Promise<AlertSettings | null> {
  const { text, values } = alertSql.rotate(sellerId, box.seal(newSecret));
  const { rows } = await db.query<SettingsRow>(text, values);
  return toSettings(box, rows[0]);
}

export async function alertedEndpoints(
  tx: Db,
  endpointIds: readonly string[],
): Promise<Map<string, AlertedEndpoint>> {
  if (endpointIds.length === 0) return new Map();
  const { text, values } = alertSql.alertedEndpoints([...new Set(endpointIds)]);
  const { rows } = await tx.query<{ id: string; seller_id: string; name: string; url: string }>(
    text,
    values,
  );
  return new Map(
    rows.map((row) => [
      row.id,
      { id: row.id, sellerId: row.seller_id, name: row.name, url: row.url },
    ]),
  );
}
