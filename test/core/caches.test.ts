/**
 * Caches: the one bounded-cache rule (least recently used dropped first), and no cache in core/
 * keyed by a plaintext secret.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BoundedCache } from '../../core/boundedCache.js';
import { generateSigningSecret, signatureHeaders, verifySignature } from '../../core/signing.js';

describe('BoundedCache', () => {
  test('holds at most its capacity, dropping the least recently used first', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // `b` is now the least recently used
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.has('b')).toBe(false);
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  test('setting a held key replaces its value without dropping another', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10); // `a` used last
    expect(cache.size).toBe(2);
    cache.set('c', 3);
    expect(cache.has('b')).toBe(false);
    expect(cache.get('a')).toBe(10);
  });

  test('has() does not count as a use', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.has('a')).toBe(true);
    cache.set('c', 3);
    expect(cache.has('a')).toBe(false);
  });

  test('keeps falsy values and tells them from a miss', () => {
    const cache = new BoundedCache<string, boolean>(3);
    cache.set('no', false);
    expect(cache.get('no')).toBe(false);
    expect(cache.get('missing')).toBeUndefined();
    expect(cache.delete('no')).toBe(true);
    expect(cache.has('no')).toBe(false);
  });

  test.each([0, -1, 1.5, NaN])('refuses capacity %p', (capacity) => {
    expect(() => new BoundedCache(capacity)).toThrow(/positive integer/);
  });
});

const CORE = join(__dirname, '..', '..', 'core');

function coreSources(dir = CORE): { file: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return coreSources(path);
    return entry.name.endsWith('.ts')
      ? [{ file: path.slice(CORE.length + 1), text: readFileSync(path, 'utf8') }]
      : [];
  });
}

describe('caches in core/', () => {
  test('every module-level cache is a BoundedCache or keyed by an object (WeakMap)', () => {
    const caches: string[] = [];
    for (const { file, text } of coreSources()) {
      for (const match of text.matchAll(/^(?:export )?(?:const|let) (\w+)[^=\n]*= new (\w+)</gm)) {
        caches.push(`${file} ${match[1]}: ${match[2]}`);
      }
    }
    // A new cache in core/ must be added here on purpose, under the same rule.
    expect(caches.sort()).toEqual([
      'deliver.ts lookupDispatchers: WeakMap',
      'deliver.ts targets: BoundedCache',
      'meeting.ts displayFormatters: BoundedCache',
      'meeting.ts zoneValidity: BoundedCache',
      'names.ts lastAccepted: BoundedCache',
      'signing.ts keysBySecretList: WeakMap',
    ]);
  });

  test('no cache is looked up or filled by a secret', () => {
    const offenders = coreSources().flatMap(({ file, text }) =>
      [...text.matchAll(/\.(?:get|set|has)\(\s*(\w*secret\w*)\s*[,)]/gi)].map(
        (match) => `${file}: ${match[0]}`,
      ),
    );
    expect(offenders).toEqual([]);
  });

  test('signing keys follow the secret list, even one changed in place', () => {
    const first = generateSigningSecret();
    const second = generateSigningSecret();
    const secrets = [first];
    const message = { id: 'msg_1', timestamp: new Date(), body: '{"a":1}' };
    const sign = () => signatureHeaders({ ...message, secrets });
    const verifies = (headers: ReturnType<typeof sign>, secret: string) =>
      verifySignature({ body: message.body, headers, secrets: [secret], now: message.timestamp })
        .ok;

    const before = sign();
    expect(verifies(before, first)).toBe(true);
    secrets[0] = second;
    const after = sign();
    expect(verifies(after, second)).toBe(true);
    expect(verifies(after, first)).toBe(false);
    // Another list holding the same secret signs the same.
    expect(signatureHeaders({ ...message, secrets: [second] })['webhook-signature']).toBe(
      after['webhook-signature'],
    );
  });
});
