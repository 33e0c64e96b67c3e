/**
 * Array parameters as PostgreSQL array literals, built in one pass. node-postgres does the same
 * by string concatenation element by element, which showed in a worker's allocation profile (the
 * batch statements pass hundreds of ids at a time). The literal is
 * the one node-postgres would send: every element double-quoted with `\` and `"` escaped, null
 * unquoted as NULL; arrays of anything else (nested arrays, dates, buffers, objects) are left to
 * node-postgres.
 */

function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

function literalOf(values: readonly unknown[]): string | null {
  const parts = new Array<string>(values.length);
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index];
    if (typeof value === 'string') parts[index] = quoted(value);
    else if (typeof value === 'number' && Number.isFinite(value)) parts[index] = quoted(`${value}`);
    else if (value === null || value === undefined) parts[index] = 'NULL';
    else return null;
  }
  return `{${parts.join(',')}}`;
}

/** `values` with each array of strings, finite numbers and nulls replaced by its literal. */
export function withArrayLiterals(values: readonly unknown[] | undefined): unknown[] | undefined {
  if (!values) return undefined;
  let result: unknown[] | undefined;
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index];
    if (!Array.isArray(value)) continue;
    const literal = literalOf(value);
    if (literal === null) continue;
    result ??= values.slice();
    result[index] = literal;
  }
  return result ?? (values as unknown[]);
}
