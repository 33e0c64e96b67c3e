/**
 * HubSpot Forms API v3 payload (R3; the seed's "George Sanchez" example is the golden):
 * `{"fields":[{name, value, objectTypeId:"0-1"}…], "WEBHOOKURL": url}`, no messageType.
 */
import { assertValidEntryNames } from '../names.js';
import type { FormattedPayload, MappedLead } from '../types.js';

export const HUBSPOT_CONTENT_TYPE = 'application/json';
/** HubSpot's object type id of Contacts. */
export const HUBSPOT_CONTACT_OBJECT_TYPE = '0-1';

export interface HubSpotField {
  name: string;
  value: string;
  objectTypeId: string;
}

export interface HubSpotPayload {
  fields: HubSpotField[];
  WEBHOOKURL: string;
}

export function formatHubSpot(
  mapped: MappedLead,
  webhookUrl: string | undefined,
): FormattedPayload {
  if (typeof webhookUrl !== 'string' || webhookUrl === '') {
    throw new Error('Cannot format hubspot payload: the webhook URL is needed for WEBHOOKURL');
  }
  assertValidEntryNames(mapped.entries, 'hubspot');
  const fields: HubSpotField[] = [];
  for (const { name, value } of mapped.entries) {
    // HubSpot treats an empty value as "clear this property": fields without a value are left out.
    if (value === null || value === '') continue;
    fields.push({ name, value, objectTypeId: HUBSPOT_CONTACT_OBJECT_TYPE });
  }
  const payload: HubSpotPayload = { fields, WEBHOOKURL: webhookUrl };
  return { body: JSON.stringify(payload), contentType: HUBSPOT_CONTENT_TYPE, payload };
}
