/** The Top Provider lead fields (R1): the one list every UI, mapping and API reads. */

export interface CatalogueField {
  key: string;
  label: string;
  example: string;
}

export const LEAD_FIELDS: readonly CatalogueField[] = Object.freeze([
  { key: 'leadId', label: 'Lead ID', example: 'lead_01JS8K4N2Q7X' },
  { key: 'leadOrderId', label: 'Lead Order ID', example: 'lo_4821' },
  { key: 'leadOrderName', label: 'Lead Order', example: 'Background Checks — East Coast' },
  { key: 'createdAt', label: 'Created At', example: '2026-04-20T14:03:12+00:00' },
  { key: 'firstName', label: 'First Name', example: 'Jane' },
  { key: 'lastName', label: 'Last Name', example: 'Doe' },
  { key: 'fullName', label: 'Full Name', example: 'Jane Doe' },
  { key: 'email', label: 'Email Address', example: 'jane@example.com' },
  { key: 'phone', label: 'Phone Number', example: '+1 555 010 2030' },
  { key: 'company', label: 'Company', example: 'Acme Corp' },
  { key: 'jobTitle', label: 'Job Title', example: 'HR Specialist' },
  { key: 'companySize', label: 'Company Size', example: '51-200' },
  { key: 'industry', label: 'Industry', example: 'Staffing' },
  { key: 'serviceCategory', label: 'Service Category', example: 'Background Checks' },
  {
    key: 'message',
    label: 'Message',
    example: 'Looking for background check services for our team.',
  },
  { key: 'city', label: 'City', example: 'Boston' },
  { key: 'state', label: 'State/Region', example: 'MA' },
  { key: 'postalCode', label: 'Postal Code', example: '02110' },
  { key: 'country', label: 'Country', example: 'US' },
  { key: 'timeZone', label: 'Time Zone (IANA)', example: 'America/New_York' },
  {
    key: 'requestedMeetingTime',
    label: 'Requested Meeting Time',
    example: '2026-04-22T19:45:00+00:00',
  },
  {
    key: 'formattedRequestedMeetingTime',
    label: 'Formatted Requested Meeting Time',
    example: 'Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time',
  },
] as const);

export const LEAD_FIELD_KEYS: readonly string[] = LEAD_FIELDS.map((field) => field.key);

const KEY_SET: ReadonlySet<string> = new Set(LEAD_FIELD_KEYS);

export function isLeadFieldKey(key: string): boolean {
  return KEY_SET.has(key);
}

/** The fields whose presence in a mapping makes an endpoint eligible for lead updates (R4). */
export const MEETING_FIELD_KEYS: readonly string[] = [
  'requestedMeetingTime',
  'formattedRequestedMeetingTime',
];

/** The sample lead used by "Send test" and previews: every catalogue field at its example value. */
export function sampleLead(): Record<string, string> {
  const lead: Record<string, string> = Object.create(null);
  for (const field of LEAD_FIELDS) lead[field.key] = field.example;
  return { ...lead };
}
