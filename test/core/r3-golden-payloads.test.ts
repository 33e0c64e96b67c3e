/** R3/R4: the seed's four example payloads (and our XML and form goldens) come out exactly. */
import { formatPayload } from '../../core/formats/index.js';
import { mapLead } from '../../core/mapping.js';
import { withMeetingFields } from '../../core/meeting.js';
import type { FieldMapping, LeadRecord } from '../../core/types.js';
import { goldenJson, goldenText } from './golden.js';

const jane: LeadRecord = { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' };
const identity = (...keys: string[]): FieldMapping[] => keys.map((k) => ({ field: k, output: k }));

const meetingLead: LeadRecord = {
  ...jane,
  timeZone: 'America/New_York',
  requestedMeetingTime: '2026-04-22T15:45:00-04:00',
};
const updateMappings = identity(
  'firstName',
  'lastName',
  'email',
  'requestedMeetingTime',
  'formattedRequestedMeetingTime',
);

describe('R3 golden payloads from the seed', () => {
  test('flat JSON: the seed example plus messageType new_lead (R4)', () => {
    const golden = goldenJson('flat-json.json');
    const mapped = mapLead(jane, identity('firstName', 'lastName', 'email'), [], 'new_lead');
    const result = formatPayload('json', mapped);
    expect(result.contentType).toBe('application/json');
    expect(result.payload).toEqual({ messageType: 'new_lead', ...golden });
    expect(result.body).toBe(JSON.stringify({ messageType: 'new_lead', ...golden }));
  });

  test('nested JSON: contact.* output names build the seed nested object', () => {
    const golden = goldenJson('nested-json.json');
    const mappings = ['firstName', 'lastName', 'email'].map((k) => ({
      field: k,
      output: `contact.${k}`,
    }));
    const result = formatPayload('json', mapLead(jane, mappings, [], 'new_lead'));
    expect(result.payload).toEqual({ messageType: 'new_lead', ...golden });
    expect(result.body).toBe(JSON.stringify({ messageType: 'new_lead', ...golden }));
  });

  test('HubSpot "George Sanchez": deep-equal and byte-equal to the seed example', () => {
    const golden = goldenJson('hubspot-george-sanchez.json');
    const george: LeadRecord = {
      firstName: 'George',
      lastName: 'Sanchez',
      email: 'george.sanchez@example.com',
      jobTitle: 'HR Specialist',
      company: 'Acme Corp',
      message: 'Looking for background check services for our team.',
      phone: null,
    };
    const mappings: FieldMapping[] = [
      { field: 'firstName', output: 'firstname' },
      { field: 'lastName', output: 'lastname' },
      { field: 'email', output: 'email' },
      { field: 'jobTitle', output: 'jobtitle' },
      { field: 'company', output: 'company' },
      { field: 'message', output: 'message' },
      { field: 'phone', output: 'phone' }, // no value: must be left out
    ];
    const result = formatPayload('hubspot', mapLead(george, mappings, [], 'new_lead'), {
      webhookUrl: 'https://api.hsforms.com/submissions/v3/integration/submit/...',
    });
    expect(result.contentType).toBe('application/json');
    expect(result.payload).toEqual(golden);
    expect(result.body).toBe(JSON.stringify(golden));
  });

  test('lead update "Jane Doe": meeting normalised to UTC, formatted in New York time', () => {
    const golden = goldenJson('lead-update-jane-doe.json');
    const lead = withMeetingFields(meetingLead);
    const result = formatPayload('json', mapLead(lead, updateMappings, [], 'lead_update'));
    expect(result.payload).toEqual(golden);
    expect(result.body).toBe(JSON.stringify(golden));
    expect(Object.keys(result.payload as object)[0]).toBe('messageType');
  });

  test('XML golden: declaration, <lead>, messageType first, empty value as <x></x>', () => {
    const lead = withMeetingFields(meetingLead);
    const mapped = mapLead(lead, [...updateMappings, ...identity('phone')], [], 'lead_update');
    const result = formatPayload('xml', mapped);
    expect(result.contentType).toBe('application/xml');
    expect(result.body).toBe(goldenText('lead-update-jane-doe.xml'));
    expect(result.payload).toEqual({ ...goldenJson('lead-update-jane-doe.json'), phone: '' });
  });

  test('form golden: urlencoded, messageType first, empty value as ""', () => {
    const mapped = mapLead(
      jane,
      identity('firstName', 'lastName', 'email', 'phone'),
      [],
      'new_lead',
    );
    const result = formatPayload('form', mapped);
    expect(result.contentType).toBe('application/x-www-form-urlencoded');
    expect(result.body).toBe(goldenText('flat.form.txt'));
    expect(result.payload).toEqual({
      messageType: 'new_lead',
      firstName: 'Jane',
      lastName: 'Doe',
      email: 'jane@example.com',
      phone: '',
    });
  });
});
