/**
 * Prefixed, time-ordered identifiers: `<prefix>_` + 26 Crockford base32 characters holding a
 * 48-bit millisecond timestamp and 80 random bits (the ULID layout). Ids made in the same
 * millisecond by one process increase monotonically, so sorting by id sorts by creation.
 */
import { randomBytes } from 'node:crypto';

export const ID_PREFIXES = {
  seller: 'sel',
  apiKey: 'key',
  leadOrder: 'lo',
  endpoint: 'ep',
  lead: 'lead',
  delivery: 'msg',
  attempt: 'att',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_BITS = 80n;
const RANDOM_MAX = (1n << RANDOM_BITS) - 1n;

let lastTime = -1;
let lastRandom = 0n;

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) {
    out = CROCKFORD[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/** The 26-character ULID-like body for the current time. */
export function ulid(now: number = Date.now()): string {
  let random: bigint;
  if (now === lastTime && lastRandom < RANDOM_MAX) {
    random = lastRandom + 1n;
  } else {
    random = BigInt(`0x${randomBytes(10).toString('hex')}`);
  }
  lastTime = now;
  lastRandom = random;
  return encode(BigInt(now), 10) + encode(random, 16);
}

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${ulid()}`;
}
