/**
 * Standard Webhooks signing (spec R5): `webhook-id`, `webhook-timestamp` and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`), with `whsec_` secrets. The HMAC is node's
 * native one: the standardwebhooks library computes it in JavaScript (fast-sha256), a visible
 * share of a worker's CPU per delivery. The tests check every signature against the library's,
 * the reference implementation.
 */
import {
  createHmac,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

export const SIGNING_SECRET_PREFIX = 'whsec_';
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new secret: `whsec_` + base64 of 24 random bytes (192 bits). */
export function generateSigningSecret(): string {
  return SIGNING_SECRET_PREFIX + randomBytes(24).toString('base64');
}

// A type alias, not an interface, so it is assignable to the Record-typed header parameters.
export type SignatureHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/** Standard base64 characters, padding optional (the reference implementation takes both). */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The decoded keys of a list of secrets, as key objects (an HMAC keyed with one skips importing
 * the key bytes again per signature). Kept by the list object, never by the secret text: a caller
 * signs a batch with one list (WebhookDeliver reads its credential once per execution), and the
 * keys go when the list does, so no secret outlives its execution as a map key. The secrets are
 * kept beside the keys by reference only, to notice a list changed in place.
 */
const keysBySecretList = new WeakMap<
  readonly string[],
  { secrets: readonly string[]; keys: KeyObject[] }
>();

function signingKey(secret: string): KeyObject {
  if (typeof secret !== 'string') throw new Error('Invalid signing secret: not a string');
  const encoded = secret.startsWith(SIGNING_SECRET_PREFIX)
    ? secret.slice(SIGNING_SECRET_PREFIX.length)
    : secret;
  if (encoded === '') throw new Error("Invalid signing secret: it can't be empty");
  if (!BASE64.test(encoded)) throw new Error('Invalid signing secret: not base64');
  return createSecretKey(Buffer.from(encoded, 'base64'));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((secret, index) => secret === b[index]);
}

function signingKeys(list: readonly string[]): KeyObject[] {
  const held = keysBySecretList.get(list);
  if (held && sameList(held.secrets, list)) return held.keys;
  const keys = list.map(signingKey);
  keysBySecretList.set(list, { secrets: [...list], keys });
  return keys;
}

function signWith(key: KeyObject, id: string, timestamp: Date, body: string | Buffer): string {
  const hmac = createHmac('sha256', key);
  hmac.update(`${id}.${Math.floor(timestamp.getTime() / 1000)}.`);
  hmac.update(body);
  return `v1,${hmac.digest('base64')}`;
}

/**
 * The three Standard Webhooks headers. With several secrets (rotation: the new one and the one
 * being retired) the signature header lists one `v1,` signature per secret, space-separated, so
 * receivers holding either secret verify.
 */
export function signatureHeaders(input: {
  id: string;
  timestamp: Date;
  body: string | Buffer;
  secrets: readonly string[];
}): SignatureHeaders {
  const { id, timestamp, body, secrets } = input;
  if (secrets.length === 0) throw new Error('signatureHeaders needs at least one secret');
  if (typeof id !== 'string' || id === '') throw new Error('signatureHeaders needs a message id');
  if (!(timestamp instanceof Date) || Number.isNaN(timestamp.getTime())) {
    throw new Error('signatureHeaders needs a valid timestamp');
  }
  const keys = signingKeys(secrets);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': keys.map((key) => signWith(key, id, timestamp, body)).join(' '),
  };
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** Node's IncomingHttpHeaders or any plain header record, in any letter case. */
export type HeaderRecord = Record<string, string | string[] | undefined>;

function headerValue(headers: HeaderRecord, name: string): string | undefined {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue;
    const value = headers[key];
    // Several header lines of the same name are one comma/space-joined list in HTTP; for the
    // signature list a space keeps each `v1,…` entry intact.
    return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verifies a received webhook against any of the secrets and any listed `v1` signature, refusing
 * timestamps more than `toleranceSeconds` away from `now` (replay protection).
 */
export function verifySignature(input: {
  body: string | Buffer;
  headers: HeaderRecord;
  secrets: readonly string[];
  toleranceSeconds?: number;
  now?: Date;
}): VerifyResult {
  const { body, headers, secrets } = input;
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = input.now ?? new Date();
  const id = headerValue(headers, 'webhook-id');
  const timestampText = headerValue(headers, 'webhook-timestamp');
  const signatureList = headerValue(headers, 'webhook-signature');
  if (!id) return { ok: false, reason: 'missing webhook-id header' };
  if (!timestampText) return { ok: false, reason: 'missing webhook-timestamp header' };
  if (!signatureList) return { ok: false, reason: 'missing webhook-signature header' };
  if (secrets.length === 0) return { ok: false, reason: 'no signing secret configured' };
  if (!/^\d{1,15}$/.test(timestampText.trim())) {
    return { ok: false, reason: 'invalid webhook-timestamp header' };
  }

  const timestampSeconds = Number(timestampText.trim());
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (nowSeconds - timestampSeconds > tolerance) {
    return { ok: false, reason: 'message timestamp too old' };
  }
  if (timestampSeconds - nowSeconds > tolerance) {
    return { ok: false, reason: 'message timestamp too new' };
  }

  const given = signatureList
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, signature]) => version === 'v1' && signature)
    .map(([, signature]) => signature);
  const timestamp = new Date(timestampSeconds * 1000);
  let usableSecrets = 0;
  for (const secret of secrets) {
    let expected: string;
    try {
      expected = signWith(signingKey(secret), id, timestamp, body).slice('v1,'.length);
    } catch {
      continue; // a malformed secret in a rotation list must not hide a valid one
    }
    usableSecrets += 1;
    if (given.some((signature) => sameSignature(expected, signature))) return { ok: true };
  }
  if (usableSecrets === 0) return { ok: false, reason: 'invalid signing secret' };
  return { ok: false, reason: 'no matching signature' };
}
