/** Prefixed, time-ordered ids and the secret box. */
import { newId, ulid } from '../../src/ids.js';
import { createSecretBox } from '../../src/store/secretBox.js';

test('ids are prefixed, 26 Crockford characters, and sort by creation', () => {
  const ids = Array.from({ length: 1000 }, () => newId('delivery'));
  for (const id of ids) expect(id).toMatch(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/);
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
  expect(newId('seller')).toMatch(/^sel_/);
  expect(newId('leadOrder')).toMatch(/^lo_/);
  expect(newId('endpoint')).toMatch(/^ep_/);
  expect(newId('lead')).toMatch(/^lead_/);
});

test('the time part encodes the millisecond', () => {
  expect(ulid(0).slice(0, 10)).toBe('0000000000');
  expect(
    ulid(Date.parse('2026-01-01T00:00:00Z')) < ulid(Date.parse('2026-01-01T00:00:00.001Z')),
  ).toBe(true);
});

test('the secret box round-trips, uses a fresh IV and refuses a wrong key', () => {
  const box = createSecretBox(Buffer.alloc(32, 1));
  const a = box.seal('whsec_abc');
  const b = box.seal('whsec_abc');
  expect(a).toMatch(/^enc:v1:/);
  expect(a).not.toBe(b);
  expect(box.open(a)).toBe('whsec_abc');
  expect(() => createSecretBox(Buffer.alloc(32, 2)).open(a)).toThrow('SECRETS_KEY');
  expect(() => box.open('plaintext')).toThrow();
});

test('ids of one millisecond keep increasing past a carry between the random halves', () => {
  const now = Date.parse('2026-12-03T09:00:00Z');
  const ids = Array.from({ length: 5000 }, () => ulid(now));
  for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  expect(new Set(ids.map((id) => id.slice(0, 10)))).toEqual(new Set([ulid(now).slice(0, 10)]));
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
});
