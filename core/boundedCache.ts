/**
 * The one rule for every cache the project keeps for the life of a process: at most `capacity`
 * entries, the least recently used dropped first. Caches keyed by an object use a WeakMap
 * instead, where the key's own lifetime is the bound.
 *
 * Written here rather than taken from lru-cache: core/ ships inside the n8n community node
 * package, whose runtime dependencies are kept to what a node needs, and a Map already keeps
 * its keys in insertion order, so moving a used key to the end is the whole of LRU.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`BoundedCache capacity must be a positive integer, not ${capacity}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether `key` is kept (without making it the most recently used). */
  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The value kept for `key`, which becomes the most recently used. */
  get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key) as V;
    if (this.entries.size > 1) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Keeps `value` for `key` as the most recently used, dropping the least recently used if full. */
  set(key: K, value: V): void {
    if (this.entries.has(key)) this.entries.delete(key);
    else if (this.entries.size >= this.capacity) {
      this.entries.delete(this.entries.keys().next().value as K);
    }
    this.entries.set(key, value);
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
