/**
 * parameterReader: a fixed parameter is read once per execution, an expression per item.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { parameterReader } from '../../nodes/shared/parameters';

/** A node's stored parameters. */
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

test('fixed parameters are resolved once per execution, expressions once per item', () => {
  const resolved: string[] = [];
  const first = parameterReader(execution(resolved));
  const mappings = first('fieldMappings', 0, {});
  expect(first('fieldMappings', 1, {})).toBe(mappings);
  expect(first('format', 0, '')).toBe('json');
  expect(first('format', 1, '')).toBe('json');
  expect(first('url', 0, '')).toBe('https://example.com/0');
  expect(first('url', 1, '')).toBe('https://example.com/1');

  const second = parameterReader(execution(resolved));
  expect(second('fieldMappings', 0, {})).toEqual(mappings);
  expect(second('url', 0, '')).toBe('https://example.com/0');

  expect(resolved).toEqual([
    'fieldMappings@0',
    'format@0',
    'url@0',
    'url@1',
    'fieldMappings@0',
    'url@0',
  ]);
  expect(mappings).toEqual({ mapping: [{ source: 'email', target: 'Email' }] });
});
