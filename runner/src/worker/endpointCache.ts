/**
 * The endpoints a worker process has loaded, by id. The claim reads the row version of each
 * claimed delivery's endpoint in the same statement, so a batch uses a held endpoint only when it
 * is the committed one; an edited endpoint (settings, secret rotation) is read again. A batch of
 * known endpoints then needs no endpoint read at all, one statement less per batch.
 */
import { BoundedCache } from '../../../core/boundedCache.js';
import type { Endpoint } from '../store/endpoints.js';

export const ENDPOINT_CACHE_SIZE = 10_000;

export class EndpointCache {
  private readonly entries: BoundedCache<string, Endpoint>;

  constructor(limit = ENDPOINT_CACHE_SIZE) {
    this.entries = new BoundedCache(limit);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** The held endpoint when it is at `version`. */
  current(id: string, version: string | undefined): Endpoint | undefined {
    const endpoint = this.entries.get(id);
    return endpoint && version !== undefined && endpoint.version === version ? endpoint : undefined;
  }

  remember(endpoint: Endpoint): void {
    this.entries.set(endpoint.id, endpoint);
  }
}
