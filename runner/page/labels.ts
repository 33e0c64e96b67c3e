/** The words the page uses for the API's values (the seed's own wording). */
import type { EndpointType, PayloadFormat } from '../../core/types.js';

export const FORMAT_OPTIONS: ReadonlyArray<{ value: PayloadFormat; label: string }> = [
  { value: 'json', label: 'JSON (recommended)' },
  { value: 'xml', label: 'XML' },
  { value: 'form', label: 'Form' },
  { value: 'hubspot', label: 'HubSpot Forms API' },
];

export const FORMAT_SHORT: Readonly<Record<PayloadFormat, string>> = {
  json: 'JSON',
  xml: 'XML',
  form: 'Form',
  hubspot: 'HubSpot Forms API',
};

export const TYPE_OPTIONS: ReadonlyArray<{
  value: EndpointType;
  label: string;
  help: string;
}> = [
  {
    value: 'new_leads',
    label: 'New leads only (default)',
    help: 'The endpoint receives only initial lead deliveries.',
  },
  {
    value: 'lead_updates',
    label: 'Lead updates only',
    help: 'The endpoint receives only lead update messages. Use this to route updates to a different URL than new leads.',
  },
  {
    value: 'both',
    label: 'New leads and lead updates',
    help: 'The endpoint receives both. Suitable when the receiving system can upsert on a unique lead identifier.',
  },
];

export const TYPE_SHORT: Readonly<Record<EndpointType, string>> = {
  new_leads: 'New leads only',
  lead_updates: 'Lead updates only',
  both: 'New leads and lead updates',
};

export const ROUTING_PATTERNS: ReadonlyArray<{ title: string; text: string }> = [
  {
    title: 'Separate URL for updates',
    text: 'Create a second webhook endpoint with a different URL and set its type to Lead updates only.',
  },
  {
    title: 'Single endpoint for both',
    text: 'Set the endpoint type to New leads and lead updates and branch on messageType server-side.',
  },
  {
    title: 'No update deliveries',
    text: "Leave the endpoint at New leads only (useful when the receiving system can't handle re-deliveries).",
  },
];
