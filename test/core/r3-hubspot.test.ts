/**
 * R3 HubSpot (issue 20, point 8): HubSpot's internal names from the start, checked on save;
 * context and legal consent as the endpoint sets them; objectTypeId 0-1 unless a name says
 * otherwise; HubSpot's error types in words.
 */
import { classifyResponse } from '../../core/classify.js';
import { formatPayload } from '../../core/formats/index.js';
import { describeHubSpotError, hubSpotNameProblem } from '../../core/formats/hubspot.js';
import { mapLead, standardMappings, validateMappingSettings } from '../../core/mapping.js';

const URL = 'https://api.hsforms.com/submissions/v3/integration/submit/1/abc';

describe('HubSpot standard mappings', () => {
  test('a hubspot endpoint starts from contact property internal names', () => {
    expect(standardMappings('hubspot')).toEqual([
      { field: 'firstName', output: 'firstname' },
      { field: 'lastName', output: 'lastname' },
      { field: 'email', output: 'email' },
      { field: 'phone', output: 'phone' },
      { field: 'company', output: 'company' },
      { field: 'jobTitle', output: 'jobtitle' },
    ]);
    expect(
      validateMappingSettings({
        format: 'hubspot',
        fieldMappings: standardMappings('hubspot'),
        constants: [],
      }),
    ).toEqual([]);
    // Other formats keep the catalogue's names.
    expect(standardMappings('json').map((m) => m.output)).toEqual([
      'firstName',
      'lastName',
      'email',
      'phone',
    ]);
  });
});

describe('HubSpot output names are internal names', () => {
  test('camelCase, dots, dashes and spaces are refused with the path and a suggestion', () => {
    const problems = validateMappingSettings({
      format: 'hubspot',
      fieldMappings: [
        { field: 'email', output: 'email' },
        { field: 'firstName', output: 'firstName' },
        { field: 'lastName', output: 'contact.last-name' },
      ],
      constants: [{ key: 'Lead Source', value: 'tp' }],
    });
    expect(problems).toEqual([
      {
        path: 'fieldMappings[1].output',
        message: expect.stringContaining(
          'output name "firstName" is not a HubSpot internal name: use lower case letters, digits and underscores (such as "firstname")',
        ),
      },
      {
        path: 'fieldMappings[2].output',
        message: expect.stringContaining('(such as "contact_last_name")'),
      },
      {
        path: 'constants[0].key',
        message: expect.stringContaining('constant key "Lead Source" is not a HubSpot internal'),
      },
    ]);
  });

  test('digits, underscores and an object type prefix are fine; the rule is hubspot only', () => {
    for (const name of ['hs_lead_status', 'address2', '0-2/name', '2-123456/deal_stage']) {
      expect(hubSpotNameProblem(name)).toBeNull();
    }
    expect(hubSpotNameProblem('0-2/Name')).toContain('"0-2/Name" is not a HubSpot internal name');
    expect(
      validateMappingSettings({
        format: 'json',
        fieldMappings: [{ field: 'firstName', output: 'firstName' }],
        constants: [],
      }),
    ).toEqual([]);
  });
});

describe('HubSpot payload', () => {
  const lead = { firstName: 'George', email: 'george.sanchez@example.com', company: 'Acme Corp' };
  const mapped = mapLead(
    lead,
    [
      { field: 'firstName', output: 'firstname' },
      { field: 'email', output: 'email' },
      { field: 'company', output: '0-2/name' },
    ],
    [],
    'new_lead',
  );

  test('objectTypeId is 0-1, or the type a name starts with', () => {
    const { payload, body } = formatPayload('hubspot', mapped, { webhookUrl: URL });
    expect(payload).toEqual({
      fields: [
        { name: 'firstname', value: 'George', objectTypeId: '0-1' },
        { name: 'email', value: 'george.sanchez@example.com', objectTypeId: '0-1' },
        { name: 'name', value: 'Acme Corp', objectTypeId: '0-2' },
      ],
      WEBHOOKURL: URL,
    });
    expect(body).not.toContain('context');
  });

  test('context and legal consent are sent as the endpoint set them, as text', () => {
    const { payload, body } = formatPayload('hubspot', mapped, {
      webhookUrl: URL,
      hubspot: {
        context: { pageUri: 'https://example.com/quote', pageName: '={{ $workflow.id }}' },
        legalConsentOptions: {
          consent: {
            consentToProcess: true,
            text: 'I agree to allow Acme to store and process my data.',
            communications: [{ value: true, subscriptionTypeId: 999, text: 'Marketing' }],
          },
        },
      },
    });
    expect(Object.keys(payload as object)).toEqual([
      'fields',
      'context',
      'legalConsentOptions',
      'WEBHOOKURL',
    ]);
    expect(JSON.parse(body)).toEqual(
      expect.objectContaining({
        context: { pageUri: 'https://example.com/quote', pageName: '={{ $workflow.id }}' },
        legalConsentOptions: {
          consent: {
            consentToProcess: true,
            text: 'I agree to allow Acme to store and process my data.',
            communications: [{ value: true, subscriptionTypeId: 999, text: 'Marketing' }],
          },
        },
      }),
    );
  });

  test('an empty context is left out', () => {
    const { payload } = formatPayload('hubspot', mapped, {
      webhookUrl: URL,
      hubspot: { context: { pageUri: '', pageName: '' }, legalConsentOptions: null },
    });
    expect(Object.keys(payload as object)).toEqual(['fields', 'WEBHOOKURL']);
  });
});

describe("HubSpot's error answers in words", () => {
  test('known types are explained, unknown ones shown as they are', () => {
    expect(describeHubSpotError('MISSING_PROCESSING_CONSENT')).toBe(
      'MISSING_PROCESSING_CONSENT (the form requires consent to process, and none was sent)',
    );
    expect(describeHubSpotError('SOMETHING_NEW')).toBe('SOMETHING_NEW');
    expect(describeHubSpotError('__proto__')).toBe('__proto__');
    const body = JSON.stringify({
      status: 'error',
      errors: [
        { message: "Error in 'fields.firstName'.", errorType: 'FIELD_NOT_IN_FORM_DEFINITION' },
      ],
    });
    expect(classifyResponse({ statusCode: 400, headers: {}, body }).error).toBe(
      'HTTP 400 Bad Request: FIELD_NOT_IN_FORM_DEFINITION (a field name is not on the form: map to the form’s internal names)',
    );
  });
});
