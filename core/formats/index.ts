/** One entry point for the four payload formats (R3). */
import {
  PAYLOAD_FORMATS,
  type FormattedPayload,
  type MappedLead,
  type PayloadFormat,
} from '../types.js';
import { FORM_CONTENT_TYPE, formatForm } from './form.js';
import { HUBSPOT_CONTENT_TYPE, formatHubSpot, type HubSpotOptions } from './hubspot.js';
import { JSON_CONTENT_TYPE, formatJson } from './json.js';
import { XML_CONTENT_TYPE, formatXml } from './xml.js';

export { buildJsonObject } from './json.js';
export { escapeXmlText, XML_DECLARATION } from './xml.js';
export type {
  HubSpotField,
  HubSpotOptions,
  HubSpotPayload,
  HubSpotLegalConsentOptions,
  HubSpotContext,
} from './hubspot.js';
export { HUBSPOT_STANDARD_MAPPINGS, hubSpotNameProblem, describeHubSpotError } from './hubspot.js';

export const CONTENT_TYPES: Readonly<Record<PayloadFormat, string>> = Object.freeze({
  json: JSON_CONTENT_TYPE,
  xml: XML_CONTENT_TYPE,
  form: FORM_CONTENT_TYPE,
  hubspot: HUBSPOT_CONTENT_TYPE,
});

export interface FormatOptions {
  /** The endpoint URL; required by the hubspot format (its WEBHOOKURL property). */
  webhookUrl?: string;
  /** The endpoint's HubSpot context and legal consent options (hubspot format only). */
  hubspot?: HubSpotOptions | null;
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
      return formatHubSpot(mapped, options.webhookUrl, options.hubspot);
    default:
      throw new Error(
        `Unknown payload format ${JSON.stringify(format)} (one of ${PAYLOAD_FORMATS.join(', ')})`,
      );
  }
}
