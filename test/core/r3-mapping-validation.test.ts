/** R2/R3: every problem of a mapping setup is reported with its path; collisions name both. */
import {
  STANDARD_MAPPINGS,
  RESERVED_OUTPUT_NAMES,
  validateMappingSettings,
} from '../../core/mapping.js';
import type { Constant, FieldMapping, PayloadFormat } from '../../core/types.js';

function problems(
  fieldMappings: FieldMapping[],
  constants: Constant[] = [],
  format: PayloadFormat = 'json',
) {
  return validateMappingSettings({ format, fieldMappings, constants });
}
const out = (output: string, field = 'email'): FieldMapping => ({ field, output });

describe('R2 standard mappings', () => {
  test('firstName, lastName, email, phone map to themselves', () => {
    expect(STANDARD_MAPPINGS).toEqual([
      { field: 'firstName', output: 'firstName' },
      { field: 'lastName', output: 'lastName' },
      { field: 'email', output: 'email' },
      { field: 'phone', output: 'phone' },
    ]);
    expect(problems([...STANDARD_MAPPINGS])).toEqual([]);
    expect(RESERVED_OUTPUT_NAMES).toEqual(['messageType']);
  });
});

describe('R3 validation of names, each problem with its path', () => {
  test('a valid setup in every format has no problems', () => {
    for (const format of ['json', 'xml', 'form', 'hubspot'] as const) {
      // HubSpot's internal names hold no dots (lower case letters, digits, underscores).
      const email = format === 'hubspot' ? 'email' : 'contact.email';
      expect(
        problems([out(email), out('name', 'firstName')], [{ key: 'source', value: 'tp' }], format),
      ).toEqual([]);
    }
  });

  test('unknown catalogue key', () => {
    expect(problems([out('a'), out('b', 'shoeSize')])).toEqual([
      {
        path: 'fieldMappings[1].field',
        message: expect.stringContaining('"shoeSize" is not a lead field'),
      },
    ]);
  });

  test('empty output and empty constant key', () => {
    expect(problems([out('')], [{ key: '', value: 'x' }])).toEqual([
      { path: 'fieldMappings[0].output', message: 'output name must not be empty' },
      { path: 'constants[0].key', message: 'constant key must not be empty' },
    ]);
  });

  test.each(['a..b', '.a', 'a.'])('empty segment in %p, in every format', (name) => {
    for (const format of ['json', 'form'] as const) {
      const found = problems([out('ok'), out(name)], [], format);
      expect(found).toEqual([
        { path: 'fieldMappings[1].output', message: expect.stringContaining('empty segment') },
      ]);
    }
    expect(problems([out('ok'), out(name)], [], 'hubspot')).toContainEqual({
      path: 'fieldMappings[1].output',
      message: expect.stringContaining('empty segment'),
    });
  });

  test.each(['__proto__', 'a.__proto__', 'constructor.prototype', 'x.constructor', 'prototype'])(
    'forbidden segment in %p (mapping and constant)',
    (name) => {
      for (const format of ['json', 'xml', 'form', 'hubspot'] as const) {
        const found = problems([out(name)], [{ key: name, value: 'v' }], format);
        expect(found).toContainEqual({
          path: 'fieldMappings[0].output',
          message: expect.stringContaining('forbidden segment'),
        });
        expect(found).toContainEqual({
          path: 'constants[0].key',
          message: expect.stringContaining('forbidden segment'),
        });
      }
    },
  );

  test('messageType is reserved for mappings and constants; messageType.x collides in JSON', () => {
    const found = problems([out('messageType')], [{ key: 'messageType', value: 'x' }]);
    expect(found).toContainEqual({
      path: 'fieldMappings[0].output',
      message: expect.stringContaining('reserved'),
    });
    expect(found).toContainEqual({
      path: 'constants[0].key',
      message: expect.stringContaining('reserved'),
    });
    expect(problems([out('messageType.kind')])).toEqual([
      {
        path: 'fieldMappings[0].output',
        message: expect.stringContaining('reserved top-level "messageType"'),
      },
    ]);
    expect(problems([out('messageType.kind')], [], 'form')).toEqual([]);
  });

  test('output longer than 200 characters', () => {
    expect(problems([out('a'.repeat(200))])).toEqual([]);
    expect(problems([out('a'.repeat(201))])).toEqual([
      { path: 'fieldMappings[0].output', message: 'output name must be at most 200 characters' },
    ]);
  });
});

describe('R3 collisions: placed on the later path, worded by the rows a person sees', () => {
  test('mapping/mapping duplicate', () => {
    expect(problems([out('email'), out('x', 'phone'), out('email', 'company')])).toEqual([
      {
        path: 'fieldMappings[2].output',
        message:
          '"email" is used twice: by Field Mappings row 1 (Email Address) and by Field Mappings row 3 (Company)',
      },
    ]);
  });

  test('constant/constant and constant/mapping duplicates', () => {
    const found = problems(
      [out('source')],
      [
        { key: 'campaign', value: '1' },
        { key: 'campaign', value: '2' },
        { key: 'source', value: 'tp' },
      ],
    );
    expect(found).toEqual([
      {
        path: 'constants[1].key',
        message: '"campaign" is used twice: by Constants row 1 and by Constants row 2',
      },
      {
        path: 'constants[2].key',
        message:
          '"source" is used twice: by Field Mappings row 1 (Email Address) and by Constants row 3',
      },
    ]);
  });

  test('JSON prefix collision, either order, reported on the later path', () => {
    const [first] = problems([out('contact', 'firstName'), out('contact.email')]);
    expect(first.path).toBe('fieldMappings[1].output');
    expect(first.message).toContain('Field Mappings row 1 (First Name) "contact"');
    expect(first.message).toContain('Field Mappings row 2 (Email Address) "contact.email"');
    expect(first.message).not.toContain('fieldMappings[');

    const [second] = problems([out('data.contact.email')], [{ key: 'data.contact', value: 'x' }]);
    expect(second.path).toBe('constants[0].key');
    expect(second.message).toContain('Constants row 1 "data.contact"');
    expect(second.message).toContain('Field Mappings row 1 (Email Address) "data.contact.email"');
  });

  test('prefix names do not collide outside JSON (dots are literal there)', () => {
    for (const format of ['xml', 'form'] as const) {
      expect(problems([out('contact', 'firstName'), out('contact.email')], [], format)).toEqual([]);
    }
  });
});

describe('R3 XML element names', () => {
  test.each(['firstName', 'contact.email', 'first-name', '_x', 'prénom', '名前'])(
    'accepts %p',
    (name) => {
      expect(problems([out(name)], [], 'xml')).toEqual([]);
    },
  );

  test.each(['1st', '-x', 'first name', 'a:b', 'xmlData', 'XML', 'a<b', '#text', '@_attr', 'a&b'])(
    'refuses %p for mappings and constants',
    (name) => {
      const found = problems([out(name)], [{ key: name, value: 'v' }], 'xml');
      expect(found).toContainEqual({
        path: 'fieldMappings[0].output',
        message: expect.stringContaining('not a valid XML element name'),
      });
      expect(found).toContainEqual({
        path: 'constants[0].key',
        message: expect.stringContaining('not a valid XML element name'),
      });
      expect(problems([out(name)], [], 'json').some((p) => p.message.includes('XML'))).toBe(false);
    },
  );
});

describe('R2 constant values', () => {
  test.each(['a\nb', 'a\rb', 'a\u0000b', 'tab\there', 'bell\u0007'])(
    'refuses control characters in %p',
    (value) => {
      expect(problems([], [{ key: 'k', value }])).toEqual([
        { path: 'constants[0].value', message: expect.stringContaining('control characters') },
      ]);
    },
  );

  test('accepts unicode and punctuation', () => {
    expect(problems([], [{ key: 'k', value: 'Zoë 😀 <&> "q" שלום' }])).toEqual([]);
  });
});

describe('every problem is returned, not just the first', () => {
  test('several kinds at once', () => {
    const found = problems(
      [out('a..b'), out('__proto__', 'nope'), out('ok'), out('ok')],
      [{ key: 'messageType', value: 'x\n' }],
    );
    expect(found.map((p) => p.path)).toEqual([
      'fieldMappings[0].output',
      'fieldMappings[1].field',
      'fieldMappings[1].output',
      'constants[0].key',
      'constants[0].value',
      'fieldMappings[3].output',
    ]);
  });
});
