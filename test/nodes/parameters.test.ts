/**
 * parameterReader: a fixed parameter is read once per execution, an expression per item, and a
 * fixed object parameter once per stored object however many executions read it.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { parameterReader } from '../../nodes/shared/parameters';

/** A node's stored parameters as the engine keeps them: the same objects for every execution. */
const stored: Record<string, unknown> = {
  fieldMappings: { mapping: [{ source: 'email', target: 'Email' }] },
  format: 'json',
  url: '={{ $json.url }}',
};

function execution(resolved: string[]): IExecuteFunctions {
  return {
    getNodeParameter: (
      name: string,
      itemIndex: number,
      fallback?: unknown,
      options?: { rawExpressions?: boolean },
    ) => {
      const raw = Object.hasOwn(stored, name) ? stored[name] : fallback;
      if (options?.rawExpressions) return raw;
      resolved.push(`${name}@${itemIndex}`);
      if (name === 'url') return `https://example.com/${itemIndex}`;
      return structuredClone(raw);
    },
  } as unknown as IExecuteFunctions;
}

test('fixed objects are resolved once per stored object, other parameters once per execution or per item', () => {
  const resolved: string[] = [];
  const first = parameterReader(execution(resolved));
  const mappings = first('fieldMappings', 0, {});
  expect(first('fieldMappings', 1, {})).toBe(mappings);
  expect(first('format', 0, '')).toBe('json');
  expect(first('format', 1, '')).toBe('json');
  expect(first('url', 0, '')).toBe('https://example.com/0');
  expect(first('url', 1, '')).toBe('https://example.com/1');

  const second = parameterReader(execution(resolved));
  expect(second('fieldMappings', 0, {})).toBe(mappings);
  expect(second('format', 0, '')).toBe('json');
  expect(second('url', 0, '')).toBe('https://example.com/0');

  expect(resolved).toEqual(['fieldMappings@0', 'format@0', 'url@0', 'url@1', 'format@0', 'url@0']);
  expect(mappings).toEqual({ mapping: [{ source: 'email', target: 'Email' }] });
});

test('a shared value is frozen, so a node that changed it would fail instead of changing the next execution', () => {
  const read = parameterReader(execution([]));
  const mappings = read('fieldMappings', 0, {}) as { mapping: Array<{ target: string }> };
  expect(Object.isFrozen(mappings)).toBe(true);
  expect(() => mappings.mapping.push({ target: 'x' })).toThrow(/not extensible/);
  expect(() => {
    mappings.mapping[0].target = 'changed';
  }).toThrow(/read only|read-only/);
  expect(stored.fieldMappings).toEqual({ mapping: [{ source: 'email', target: 'Email' }] });
});
