/** One entry point for the four payload formats (R3). */
import {
  PAYLOAD_FORMATS,
  type FormattedPayload,
  type MappedLead,
  type PayloadFormat,
} from '../types.js';
import { formatForm } from './form.js';
import { formatHubSpot, type HubSpotOptions } from './hubspot.js';
import { formatJson } from './json.js';
import { formatXml } from './xml.js';

export { escapeXmlText } from './xml.js';
export type { HubSpotOptions, HubSpotPayload } from './hubspot.js';

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
