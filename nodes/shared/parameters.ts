/**
 * Reading node parameters without paying for them once per item.
 *
 * `getNodeParameter(name, i)` resolves expressions for item `i` (~50 µs each in n8n) and copies the
 * value. A parameter whose raw value holds no expression is the same for every item, so it is read
 * once (for the first item that asks) and the value is reused; a parameter that holds an
 * expression anywhere inside it is read per item, as n8n would. Values handed out are shared:
 * callers must not mutate them.
 */
import type { IExecuteFunctions, INodeParameters, NodeParameterValueType } from 'n8n-workflow';

type RawValue = NodeParameterValueType | INodeParameters | undefined;

/** True when an n8n parameter value (or anything nested in it) is an expression (`=...`). */
export function containsExpression(value: RawValue | unknown): boolean {
  if (typeof value === 'string') return value.startsWith('=');
  if (Array.isArray(value)) return value.some((entry) => containsExpression(entry));
  if (typeof value === 'object' && value !== null) {
    return Object.values(value).some((entry) => containsExpression(entry));
  }
  return false;
}

export type ParameterReader = <T>(name: string, itemIndex: number, fallback: T) => T;

/**
 * Resolved values of fixed parameters that are objects (a Field Mapper's mappings, a Webhook
 * Deliver's headers), by the stored raw object and the parameter's name. A headless runner
 * executes one compiled workflow again and again, and its nodes' stored parameters are the same
 * objects each time; resolving a fixed object copies and validates it anew (~3% of the worker's
 * CPU in a fan-out of four-delivery groups), always to the same result. The n8n app builds its
 * workflow, and so these objects, again for each execution, which leaves nothing here to reuse.
 * Cached values are frozen: the sharing that callers must respect is then enforced.
 */
const resolvedByRaw = new WeakMap<object, Map<string, unknown>>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const entry of Object.values(value)) deepFreeze(entry);
  }
  return value;
}

/**
 * The raw value is read with `rawExpressions`, which hands back the stored parameter as it is:
 * `getNode().parameters` would deep-copy the whole node (a Field Mapper's every mapping) once per
 * execution, ~2.5% of the worker's CPU in a fan-out of small groups.
 */
export function parameterReader(context: IExecuteFunctions): ParameterReader {
  const fixed = new Map<string, unknown>();
  return <T>(name: string, itemIndex: number, fallback: T): T => {
    if (fixed.has(name)) return fixed.get(name) as T;
    const raw = context.getNodeParameter(name, itemIndex, fallback as never, {
      rawExpressions: true,
    }) as RawValue;
    if (containsExpression(raw)) return context.getNodeParameter(name, itemIndex, fallback) as T;
    let value: T;
    if (typeof raw === 'object' && raw !== null) {
      let byName = resolvedByRaw.get(raw);
      if (!byName) resolvedByRaw.set(raw, (byName = new Map()));
      if (byName.has(name)) value = byName.get(name) as T;
      else {
        value = deepFreeze(context.getNodeParameter(name, itemIndex, fallback) as T);
        byName.set(name, value);
      }
    } else {
      value = context.getNodeParameter(name, itemIndex, fallback) as T;
    }
    fixed.set(name, value);
    return value;
  };
}
