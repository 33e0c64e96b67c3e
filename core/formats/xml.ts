/**
 * XML payload (R3): `<?xml …?>`, root `<lead>`, `<messageType>` first, one element per entry with
 * the output name kept literally (dots included).
 *
 * Written by hand rather than with fast-xml-parser's XMLBuilder: the builder passes control
 * characters through unescaped and gives names such as `#text` or `@_x` special meaning, so it
 * cannot guarantee well-formed output for arbitrary values.
 */
import { assertValidEntryNames } from '../names.js';
import type { FormattedPayload, MappedLead } from '../types.js';
import { flatRecord } from './flat.js';

export const XML_CONTENT_TYPE = 'application/xml';
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

// Characters outside the XML 1.0 Char production (C0 controls except tab/LF/CR, lone surrogates,
// U+FFFE, U+FFFF) cannot appear in a document at all, not even as character references.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A literal CR would be normalised to LF by every parser; the reference keeps it.
  '\r': '&#13;',
};

/**
 * Escapes a text value. Characters XML cannot carry are replaced with U+FFFD (the Unicode
 * replacement character) rather than failing the delivery: one stray control character in a
 * lead's message should not keep the lead from the seller, and the replacement shows the loss.
 */
export function escapeXmlText(value: string): string {
  return value.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"'\r]/g, (char) => ENTITIES[char]);
}

export function formatXml(mapped: MappedLead): FormattedPayload {
  assertValidEntryNames(mapped.entries, 'xml');
  const payload = flatRecord(mapped);
  // Empty values are written as `<name></name>`, one form for every element.
  const elements = Object.keys(payload).map(
    (name) => `<${name}>${escapeXmlText(payload[name])}</${name}>`,
  );
  const body = `${XML_DECLARATION}\n<lead>${elements.join('')}</lead>`;
  return { body, contentType: XML_CONTENT_TYPE, payload };
}
