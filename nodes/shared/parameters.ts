/**
 * Reading node parameters without paying for them once per item.
 *
 * `getNodeParameter(name, i)` resolves expressions for item `i` and copies the value, at a cost
 * per call. A parameter whose raw value holds no expression is the same for every item, so it is read
 * once (for the first item that asks) and the value is reused; a parameter that holds an
 * expression anywhere inside it is read per item, as n8n would. Values handed out are shared by
 * the items of one execution: callers must not mutate them.
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
 * The raw value is read with `rawExpressions`, which hands back the stored parameter as it is:
 * `getNode().parameters` would deep-copy the whole node (a Field Mapper's every mapping) once per
 * execution.
 */
export function parameterReader(context: IExecuteFunctions): ParameterReader {
  const fixed = new Map<string, unknown>();
  return <T>(name: string, itemIndex: number, fallback: T): T => {
    if (fixed.has(name)) return fixed.get(name) as T;
    const raw = context.getNodeParameter(name, itemIndex, fallback as never, {
      rawExpressions: true,
    }) as RawValue;
    if (containsExpression(raw)) return context.getNodeParameter(name, itemIndex, fallback) as T;
    const value = context.getNodeParameter(name, itemIndex, fallback) as T;
    fixed.set(name, value);
    return value;
  };
}
