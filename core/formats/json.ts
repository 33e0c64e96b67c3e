/** JSON payload (R3): messageType first, then the entries; dotted names build nested objects. */
import { assertValidEntryNames } from '../names.js';
import type { FormattedPayload, MappedLead } from '../types.js';
import { defineOwn, readOwn } from '../values.js';

export const JSON_CONTENT_TYPE = 'application/json';

type JsonObject = { [key: string]: JsonValue };
type JsonValue = string | null | JsonObject;

function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object';
}

/** The nested object of a mapped lead, in entry order (integer-like keys aside, as in any object). */
export function buildJsonObject(mapped: MappedLead): JsonObject {
  // Checked again here, not only at save time: the entries may come from any n8n item.
  assertValidEntryNames(mapped.entries, 'json');
  const root: JsonObject = {};
  defineOwn(root, 'messageType', mapped.messageType);
  for (const { name, value } of mapped.entries) {
    const segments = name.split('.');
    const leaf = segments.pop() as string;
    let node = root;
    for (const segment of segments) {
      // Own properties only and defineProperty for writes: with the names checked above this is
      // belt and braces, but it keeps the walk unable to reach Object.prototype by construction.
      let child = readOwn(node, segment);
      if (child === undefined) {
        child = {};
        defineOwn(node, segment, child);
      }
      if (!isJsonObject(child)) {
        throw new Error(`Cannot format json payload: "${name}" collides with a value`);
      }
      node = child;
    }
    defineOwn(node, leaf, value);
  }
  return root;
}

export function formatJson(mapped: MappedLead): FormattedPayload {
  const payload = buildJsonObject(mapped);
  return { body: JSON.stringify(payload), contentType: JSON_CONTENT_TYPE, payload };
}
