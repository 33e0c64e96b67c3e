/** Small helpers for handling untrusted records without touching prototypes. */

/**
 * The string form of a field value; null when there is none (undefined, null or ''). Scalars are
 * stringified and objects JSON-encoded, because n8n items may carry numbers or nested data where
 * the catalogue expects text.
 */
export function toFieldValue(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value) ?? null;
    } catch {
      return String(value);
    }
  }
  return null;
}

/** Reads an own property only: an inherited `constructor` or `__proto__` is never a lead value. */
export function readOwn(record: object, key: string): unknown {
  return Object.hasOwn(record, key) ? (record as Record<string, unknown>)[key] : undefined;
}

/**
 * Sets an own, enumerable property. Unlike `obj[key] = value`, it never invokes a setter (the
 * `__proto__` one above all), so a hostile key cannot swap the object's prototype. A key the
 * object neither has nor inherits is simply assigned, which is the same for it and several times
 * cheaper (every outgoing request's headers are built with this); any other key is defined.
 */
export function defineOwn(target: object, key: string, value: unknown): void {
  if (!(key in target) && Object.isExtensible(target)) {
    (target as Record<string, unknown>)[key] = value;
    return;
  }
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
