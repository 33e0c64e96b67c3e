/** R3: dotted names nest at any depth; no name or lead can reach Object.prototype. */
import { formatPayload } from '../../core/formats/index.js';
import { mapLead } from '../../core/mapping.js';
import type { MappedLead, PayloadFormat } from '../../core/types.js';

const FORMATS: PayloadFormat[] = ['json', 'xml', 'form', 'hubspot'];
const opts = { webhookUrl: 'https://example.com/hook' };

function mappedOf(names: Array<[string, string | null]>): MappedLead {
  return {
    messageType: 'new_lead',
    entries: names.map(([name, value]) => ({ name, value, source: 'field' as const })),
  };
}

afterEach(() => {
  // Nothing a test did may have left a property on the shared prototype.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
});

describe('R3 JSON nesting', () => {
  test('multi-level nesting data.contact.name.first, siblings merged', () => {
    const lead = { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' };
    const mapped = mapLead(
      lead,
      [
        { field: 'firstName', output: 'data.contact.name.first' },
        { field: 'lastName', output: 'data.contact.name.last' },
        { field: 'email', output: 'data.contact.email' },
        { field: 'phone', output: 'data.phone' },
      ],
      [
        { key: 'meta.source', value: 'top-provider' },
        { key: 'meta.version', value: '2' },
      ],
      'new_lead',
    );
    const result = formatPayload('json', mapped);
    expect(result.payload).toEqual({
      messageType: 'new_lead',
      data: {
        contact: { name: { first: 'Jane', last: 'Doe' }, email: 'jane@example.com' },
        phone: null,
      },
      meta: { source: 'top-provider', version: '2' },
    });
    expect(JSON.parse(result.body)).toEqual(result.payload);
  });

  test('a mapped field without a value is null (undefined, null and "" alike)', () => {
    const mapped = mapLead(
      { firstName: '', lastName: null },
      [
        { field: 'firstName', output: 'a' },
        { field: 'lastName', output: 'b' },
        { field: 'email', output: 'c' },
      ],
      [],
      'new_lead',
    );
    expect(mapped.entries.map((e) => e.value)).toEqual([null, null, null]);
    expect(formatPayload('json', mapped).body).toBe(
      '{"messageType":"new_lead","a":null,"b":null,"c":null}',
    );
  });
});

describe('R3 structured names are JSON-only', () => {
  test('XML and form keep dots literally; HubSpot uses the name as written', () => {
    const mapped = mappedOf([
      ['contact.email', 'jane@example.com'],
      ['contact.name.first', 'Jane'],
    ]);
    expect(formatPayload('xml', mapped).body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<lead><messageType>new_lead</messageType>' +
        '<contact.email>jane@example.com</contact.email><contact.name.first>Jane</contact.name.first></lead>',
    );
    expect(formatPayload('form', mapped).body).toBe(
      'messageType=new_lead&contact.email=jane%40example.com&contact.name.first=Jane',
    );
    expect(formatPayload('hubspot', mapped, opts).payload).toEqual({
      fields: [
        { name: 'contact.email', value: 'jane@example.com', objectTypeId: '0-1' },
        { name: 'contact.name.first', value: 'Jane', objectTypeId: '0-1' },
      ],
      WEBHOOKURL: 'https://example.com/hook',
    });
  });
});

describe('R3 prototype pollution is impossible', () => {
  test.each([
    '__proto__.polluted',
    'constructor.prototype.polluted',
    'a.__proto__.polluted',
    'prototype',
  ])('formatPayload refuses the name %p in every format', (name) => {
    for (const format of FORMATS) {
      expect(() => formatPayload(format, mappedOf([[name, 'yes']]), opts)).toThrow(
        /forbidden segment/,
      );
    }
  });

  test('formatPayload refuses colliding and duplicate names handed to it directly', () => {
    expect(() =>
      formatPayload(
        'json',
        mappedOf([
          ['contact', 'x'],
          ['contact.email', 'y'],
        ]),
      ),
    ).toThrow(/collides/);
    expect(() =>
      formatPayload(
        'form',
        mappedOf([
          ['a', 'x'],
          ['a', 'y'],
        ]),
      ),
    ).toThrow(/used twice/);
    expect(() => formatPayload('xml', mappedOf([['a b', 'x']]))).toThrow(/XML element name/);
    expect(() => formatPayload('json', mappedOf([['messageType', 'x']]))).toThrow(/reserved/);
  });

  test('a lead with an own __proto__ key and inherited names yields no inherited values', () => {
    const hostile = JSON.parse(
      '{"__proto__": {"polluted": "yes", "email": "proto@evil"}, "firstName": "Jane"}',
    ) as Record<string, string>;
    expect(Object.hasOwn(hostile, '__proto__')).toBe(true);
    const mapped = mapLead(
      hostile,
      [
        { field: 'firstName', output: 'firstName' },
        { field: 'email', output: 'email' },
        { field: 'constructor', output: 'ctor' },
        { field: 'toString', output: 'str' },
        { field: '__proto__', output: 'proto' },
      ],
      [],
      'new_lead',
    );
    expect(mapped.entries.map((e) => e.value)).toEqual([
      'Jane',
      null,
      null,
      null,
      JSON.stringify({ polluted: 'yes', email: 'proto@evil' }),
    ]);
    const json = formatPayload('json', mapped);
    expect(JSON.parse(json.body).email).toBeNull();
  });

  test('a lead whose prototype carries values does not leak them', () => {
    const lead = Object.create({ email: 'inherited@evil' }) as Record<string, string>;
    lead.firstName = 'Jane';
    const mapped = mapLead(lead, [{ field: 'email', output: 'email' }], [], 'new_lead');
    expect(mapped.entries[0].value).toBeNull();
  });
});

describe('R3 name checks after an accepted batch', () => {
  test.each(FORMATS)(
    '%s: a hostile name right after a valid list of the same length is still refused',
    (format) => {
      const valid = mappedOf([
        ['contact.name', 'Jane'],
        ['contact.email', 'jane@example.com'],
      ]);
      expect(() => formatPayload(format, valid, opts)).not.toThrow();
      expect(() => formatPayload(format, valid, opts)).not.toThrow();
      for (const hostile of ['__proto__.polluted', 'contact.name', 'constructor']) {
        const next = mappedOf([
          ['contact.name', 'Jane'],
          [hostile, 'x'],
        ]);
        expect(() => formatPayload(format, next, opts)).toThrow(/Cannot format/);
      }
      const notAString = {
        messageType: 'new_lead' as const,
        entries: [
          { name: 'contact.name', value: 'Jane', source: 'field' as const },
          { name: ['contact.email'] as unknown as string, value: 'x', source: 'field' as const },
        ],
      };
      expect(() => formatPayload(format, notAString, opts)).toThrow();
    },
  );
});
