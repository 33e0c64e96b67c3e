/** The worker's endpoint cache: an endpoint is served only at the version the claim read. */
import type { Endpoint } from '../../src/store/endpoints.js';
import { EndpointCache } from '../../src/worker/endpointCache.js';

const endpoint = (id: string, version: string) => ({ id, version }) as unknown as Endpoint;

test('serves a held endpoint only at the version asked for', () => {
  const cache = new EndpointCache();
  cache.remember(endpoint('ep_1', '100'));
  expect(cache.has('ep_1')).toBe(true);
  expect(cache.current('ep_1', '100')).toMatchObject({ id: 'ep_1', version: '100' });
  expect(cache.current('ep_1', '101')).toBeUndefined();
  expect(cache.current('ep_1', undefined)).toBeUndefined();
  expect(cache.current('ep_2', '100')).toBeUndefined();
  cache.remember(endpoint('ep_1', '101'));
  expect(cache.current('ep_1', '101')).toMatchObject({ version: '101' });
  expect(cache.current('ep_1', '100')).toBeUndefined();
});

test('holds at most its limit, dropping the least recently used first', () => {
  const cache = new EndpointCache(2);
  cache.remember(endpoint('a', '1'));
  cache.remember(endpoint('b', '1'));
  cache.remember(endpoint('a', '2')); // an update of one held: no eviction, `a` used last
  expect(cache.has('a') && cache.has('b')).toBe(true);
  cache.remember(endpoint('c', '1'));
  expect(cache.has('b')).toBe(false);
  expect(cache.has('a')).toBe(true);
  expect(cache.has('c')).toBe(true);
  expect(cache.current('a', '2')).toBeDefined(); // served: `c` is now the least recently used
  cache.remember(endpoint('d', '1'));
  expect(cache.has('c')).toBe(false);
  expect(cache.has('a')).toBe(true);
});
