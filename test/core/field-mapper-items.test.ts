/** Items between the nodes: the Field Mapper's `{name: value}` object and its inverse. */
import { formatPayload } from '../../core/formats/index.js';
import { fieldsOfMappedLead, mapLead, mappedLeadFromFields } from '../../core/mapping.js';
import type { MessageType } from '../../core/types.js';

describe('fieldsOfMappedLead / mappedLeadFromFields', () => {
  const mapped = mapLead(
    { firstName: 'Jane', email: 'jane@example.com' },
    [
      { field: 'firstName', output: 'contact.first' },
      { field: 'phone', output: 'contact.phone' },
      { field: 'email', output: 'email' },
    ],
    [{ key: 'source', value: 'top-provider' }],
    'new_lead',
  );

  test('fields in entry order, null for no value', () => {
    const fields = fieldsOfMappedLead(mapped);
    expect(Object.entries(fields)).toEqual([
      ['contact.first', 'Jane'],
      ['contact.phone', null],
      ['email', 'jane@example.com'],
      ['source', 'top-provider'],
    ]);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
  });

  test('the round trip gives the same payload in every format', () => {
    const back = mappedLeadFromFields('new_lead', fieldsOfMappedLead(mapped));
    expect(back.entries.map(({ name, value }) => [name, value])).toEqual(
      mapped.entries.map(({ name, value }) => [name, value]),
    );
    for (const format of ['json', 'xml', 'form', 'hubspot'] as const) {
      const options = { webhookUrl: 'https://x.test/h' };
      expect(formatPayload(format, back, options).body).toBe(
        formatPayload(format, mapped, options).body,
      );
    }
  });

  test('values from n8n items are normalised to string | null', () => {
    const back = mappedLeadFromFields('lead_update', {
      n: 42,
      b: false,
      o: { a: 1 },
      l: [1, 'x'],
      u: undefined,
      z: null,
      e: '',
    });
    expect(back).toEqual({
      messageType: 'lead_update',
      entries: [
        { name: 'n', value: '42', source: 'field' },
        { name: 'b', value: 'false', source: 'field' },
        { name: 'o', value: '{"a":1}', source: 'field' },
        { name: 'l', value: '[1,"x"]', source: 'field' },
        { name: 'u', value: null, source: 'field' },
        { name: 'z', value: null, source: 'field' },
        { name: 'e', value: null, source: 'field' },
      ],
    });
  });

  test('a __proto__ output survives as a key and is then refused by formatPayload', () => {
    const hostile = mapLead(
      { email: 'x@y' },
      [{ field: 'email', output: '__proto__' }],
      [],
      'new_lead',
    );
    const fields = fieldsOfMappedLead(hostile);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.keys(fields)).toEqual(['__proto__']);
    const back = mappedLeadFromFields('new_lead', fields);
    expect(() => formatPayload('json', back)).toThrow(/forbidden segment/);
  });

  test('a bad messageType or fields object is refused', () => {
    expect(() => mappedLeadFromFields('nope' as MessageType, {})).toThrow(/messageType must be/);
    expect(() => mappedLeadFromFields('new_lead', null as never)).toThrow(TypeError);
    expect(() => mapLead({}, [], [], undefined as never)).toThrow(/messageType must be/);
  });
});
