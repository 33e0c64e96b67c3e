/** R3: metacharacters, unicode and huge values survive every format byte-for-byte. */
import { XMLParser } from 'fast-xml-parser';
import { escapeXmlText, formatPayload } from '../../core/formats/index.js';
import type { HubSpotPayload } from '../../core/formats/index.js';
import type { MappedLead } from '../../core/types.js';

const HOSTILE: Record<string, string> = {
  markup: `<script>alert("x") & 'y'</script>`,
  cdataEnd: 'a ]]> b <![CDATA[ c',
  entityLike: '&amp; &lt; &#60; &#x3C;',
  emoji: 'Zoë 😀👩‍👩‍👧 ✓',
  rtl: 'שלום עולם مرحبا',
  combining: 'e\u0301 n\u0303 a\u030A',
  formChars: 'a=b&c=d+e%20f ?#',
  multiline: 'line one\nline two\ttabbed',
};

function mappedOf(values: Record<string, string | null>): MappedLead {
  return {
    messageType: 'new_lead',
    entries: Object.entries(values).map(([name, value]) => ({ name, value, source: 'field' })),
  };
}

const parser = new XMLParser({ parseTagValue: false, trimValues: false, processEntities: true });

function parseXmlLead(body: string): Record<string, string> {
  const document = parser.parse(body) as { lead: Record<string, string> };
  return document.lead;
}

describe('R3 hostile values round-trip', () => {
  test('JSON', () => {
    const result = formatPayload('json', mappedOf(HOSTILE));
    expect(JSON.parse(result.body)).toEqual({ messageType: 'new_lead', ...HOSTILE });
  });

  test('XML: parsed back with fast-xml-parser, every value equal', () => {
    const result = formatPayload('xml', mappedOf(HOSTILE));
    expect(result.body).not.toContain('<script>');
    expect(result.body).not.toContain(']]>');
    expect(parseXmlLead(result.body)).toEqual({ messageType: 'new_lead', ...HOSTILE });
  });

  test('XML: characters XML 1.0 cannot carry become U+FFFD, and the document stays well-formed', () => {
    const result = formatPayload('xml', mappedOf({ ctl: 'a\u0000b\u0008c\u001Fd\uFFFEe\uD800f' }));
    expect(result.body).toContain('<ctl>a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf</ctl>');
    expect(parseXmlLead(result.body).ctl).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf');
  });

  test('XML: a CR is written as a character reference so parsers cannot normalise it away', () => {
    expect(escapeXmlText('a\r\nb')).toBe('a&#13;\nb');
    expect(escapeXmlText(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;');
  });

  test('form: parsed back with URLSearchParams', () => {
    const result = formatPayload('form', mappedOf(HOSTILE));
    const params = new URLSearchParams(result.body);
    expect([...params.keys()][0]).toBe('messageType');
    expect(Object.fromEntries(params)).toEqual({ messageType: 'new_lead', ...HOSTILE });
  });

  test('HubSpot', () => {
    const result = formatPayload('hubspot', mappedOf(HOSTILE), { webhookUrl: 'https://x.test/h' });
    const parsed = JSON.parse(result.body) as HubSpotPayload;
    expect(Object.fromEntries(parsed.fields.map((f) => [f.name, f.value]))).toEqual(HOSTILE);
  });

  test('a 1 MB field value goes through every format intact', () => {
    const big = 'x'.repeat(512 * 1024) + '€'.repeat((512 * 1024) / 3);
    const mapped = mappedOf({ message: big });
    expect(JSON.parse(formatPayload('json', mapped).body).message).toBe(big);
    expect(parseXmlLead(formatPayload('xml', mapped).body).message).toBe(big);
    expect(new URLSearchParams(formatPayload('form', mapped).body).get('message')).toBe(big);
    const hubspot = formatPayload('hubspot', mapped, { webhookUrl: 'https://x.test/h' });
    expect((JSON.parse(hubspot.body) as HubSpotPayload).fields[0].value).toBe(big);
  });

  test('HubSpot requires the webhook URL and leaves out empty values', () => {
    const mapped = mappedOf({ a: 'x', b: null, c: '' });
    expect(() => formatPayload('hubspot', mapped)).toThrow(/webhook URL/);
    const result = formatPayload('hubspot', mapped, { webhookUrl: 'https://x.test/h' });
    expect(result.payload).toEqual({
      fields: [{ name: 'a', value: 'x', objectTypeId: '0-1' }],
      WEBHOOKURL: 'https://x.test/h',
    });
  });

  test('an unknown format is refused', () => {
    expect(() => formatPayload('yaml' as never, mappedOf({}))).toThrow(/Unknown payload format/);
  });
});
