/** One entry point for the four payload formats (R3). */
import {
  PAYLOAD_FORMATS,
  type FormattedPayload,
  type MappedLead,
  type PayloadFormat,
} from '../types.js';
import { FORM_CONTENT_TYPE, formatForm } from './form.js';
import { HUBSPOT_CONTENT_TYPE, formatHubSpot } from './hubspot.js';
import { JSON_CONTENT_TYPE, formatJson } from './json.js';
import { XML_CONTENT_TYPE, formatXml } from './xml.js';

export { buildJsonObject } from './json.js';
export { escapeXmlText, XML_DECLARATION } from './xml.js';
export type { HubSpotField, HubSpotPayload } from './hubspot.js';

export const CONTENT_TYPES: Readonly<Record<PayloadFormat, string>> = Object.freeze({
  json: JSON_CONTENT_TYPE,
  xml: XML_CONTENT_TYPE,
  form: FORM_CONTENT_TYPE,
  hubspot: HUBSPOT_CONTENT_TYPE,
});

export interface FormatOptions {
  /** The endpoint URL; required by the hubspot format (its WEBHOOKURL property). */
  webhookUrl?: string;
}

/**
 * The exact body, content type and structured payload of a mapped lead. Throws an Error with a
 * clear message when the names are unsafe or collide, or when hubspot lacks the webhook URL.
 */
export function formatPayload(
  format: PayloadFormat,
  mapped: MappedLead,
  options: FormatOptions = {},
): FormattedPayload {
  switch (format) {
    case 'json':
      return formatJson(mapped);
    case 'xml':
      return formatXml(mapped);
    case 'form':
      return formatForm(mapped);
    case 'hubspot':
      return formatHubSpot(mapped, options.webhookUrl);
    default:
      throw new Error(
        `Unknown payload format ${JSON.stringify(format)} (one of ${PAYLOAD_FORMATS.join(', ')})`,
      );
  }
}
