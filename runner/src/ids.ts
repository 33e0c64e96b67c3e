/**
 * Prefixed, time-ordered identifiers: `<prefix>_` + 26 Crockford base32 characters holding a
 * 48-bit millisecond timestamp and 80 random bits (the ULID layout). Ids made in the same
 * millisecond by one process increase monotonically, so sorting by id sorts by creation.
 */
import { randomFillSync } from 'node:crypto';

export const ID_PREFIXES = {
  seller: 'sel',
  apiKey: 'key',
  leadOrder: 'lo',
  endpoint: 'ep',
  lead: 'lead',
  delivery: 'msg',
  attempt: 'att',
  alert: 'alert',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The 80 random bits as two 40-bit halves in plain numbers (exact below 2^53): BigInt arithmetic
 * allocates several objects per id, and a worker makes one per attempt.
 */
const HALF = 2 ** 40;
const randomSource = Buffer.alloc(10);

let lastTime = -1;
let randomHigh = 0;
let randomLow = 0;

/** `length` base32 digits of the non-negative integer `value` (below 2^53), most significant first. */
function encode(value: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) {
    out = CROCKFORD[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

function drawRandom(): void {
  randomFillSync(randomSource);
  randomHigh = randomSource.readUIntBE(0, 5);
  randomLow = randomSource.readUIntBE(5, 5);
}

/** The 26-character ULID-like body for the current time. */
export function ulid(now: number = Date.now()): string {
  if (now !== lastTime) {
    drawRandom();
  } else if (randomLow < HALF - 1) {
    randomLow += 1;
  } else if (randomHigh < HALF - 1) {
    randomHigh += 1;
    randomLow = 0;
  } else {
    // 2^80 ids in one millisecond: start over from fresh random bits, as before.
    drawRandom();
  }
  lastTime = now;
  return encode(now, 10) + encode(randomHigh, 8) + encode(randomLow, 8);
}

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${ulid()}`;
}
