/**
 * HubSpot Forms API v3 payload (R3; the seed's "George Sanchez" example is the golden):
 * `{"fields":[{name, value, objectTypeId:"0-1"}…], "WEBHOOKURL": url}`, no messageType, plus the
 * endpoint's optional `context` and `legalConsentOptions` (Forms v3 submit: forms that require
 * consent refuse a submission without it).
 *
 * objectTypeId: every field goes to Contacts (`0-1`), as the seed's example does, unless its
 * output name names another object type with a prefix, `<objectTypeId>/<property>` (for example
 * `0-2/name`, a company's name): HubSpot's internal names never hold a slash, so the prefix can
 * never be mistaken for part of a name.
 */
import { assertValidEntryNames } from '../names.js';
import type { FieldMapping, FormattedPayload, MappedLead } from '../types.js';

export const HUBSPOT_CONTENT_TYPE = 'application/json';
/** HubSpot's object type id of Contacts. */
export const HUBSPOT_CONTACT_OBJECT_TYPE = '0-1';

/** The standard mappings of a HubSpot endpoint: contact property internal names (R2, the seed). */
export const HUBSPOT_STANDARD_MAPPINGS: readonly FieldMapping[] = Object.freeze(
  (
    [
      ['firstName', 'firstname'],
      ['lastName', 'lastname'],
      ['email', 'email'],
      ['phone', 'phone'],
      ['company', 'company'],
      ['jobTitle', 'jobtitle'],
    ] as const
  ).map(([field, output]) => Object.freeze({ field, output })),
);

export interface HubSpotField {
  name: string;
  value: string;
  objectTypeId: string;
}

/** Forms v3 `context`: where the submission came from (both optional). */
export interface HubSpotContext {
  pageUri?: string;
  pageName?: string;
}

export interface HubSpotCommunicationConsent {
  value: boolean;
  subscriptionTypeId: number;
  text: string;
}

/** Forms v3 `legalConsentOptions`: explicit consent, or a legitimate interest (one of the two). */
export type HubSpotLegalConsentOptions =
  | {
      consent: {
        consentToProcess: boolean;
        text: string;
        communications?: HubSpotCommunicationConsent[];
      };
    }
  | {
      legitimateInterest: {
        value: boolean;
        subscriptionTypeId: number;
        legalBasis: 'LEAD' | 'CUSTOMER';
        text: string;
      };
    };

/** An endpoint's HubSpot settings, sent with every submission (data, never parameter text). */
export interface HubSpotOptions {
  context?: HubSpotContext | null;
  legalConsentOptions?: HubSpotLegalConsentOptions | null;
}

export interface HubSpotPayload {
  fields: HubSpotField[];
  context?: HubSpotContext;
  legalConsentOptions?: HubSpotLegalConsentOptions;
  WEBHOOKURL: string;
}

const OBJECT_TYPE_PREFIX = /^(\d{1,10}-\d{1,10})\/(.*)$/s;
const INTERNAL_NAME = /^[a-z0-9_]+$/;

/** The object type and property of an output name: `0-2/name` → 0-2, name; `email` → 0-1, email. */
export function hubSpotTarget(name: string): { objectTypeId: string; property: string } {
  const prefixed = OBJECT_TYPE_PREFIX.exec(name);
  return prefixed
    ? { objectTypeId: prefixed[1], property: prefixed[2] }
    : { objectTypeId: HUBSPOT_CONTACT_OBJECT_TYPE, property: name };
}

/**
 * Why `name` is not a HubSpot property internal name (lower case letters, digits, underscores;
 * optionally after an object type prefix), or null. `firstName` would be refused by a real form.
 */
export function hubSpotNameProblem(name: string): string | null {
  const { property } = hubSpotTarget(name);
  if (INTERNAL_NAME.test(property)) return null;
  const suggestion = property.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
  return (
    `"${name}" is not a HubSpot internal name: use lower case letters, digits and underscores` +
    (suggestion !== '' && suggestion !== property ? ` (such as "${suggestion}")` : '') +
    `; another object type than contacts goes before a slash, as in "0-2/name"`
  );
}

/** A copy holding only what the options set, so an empty context is never sent. */
function present(options: HubSpotOptions | null | undefined): Partial<HubSpotPayload> {
  const extra: Partial<HubSpotPayload> = {};
  const context = options?.context;
  if (context) {
    const copy: HubSpotContext = {};
    if (typeof context.pageUri === 'string' && context.pageUri !== '')
      copy.pageUri = context.pageUri;
    if (typeof context.pageName === 'string' && context.pageName !== '')
      copy.pageName = context.pageName;
    if (Object.keys(copy).length > 0) extra.context = copy;
  }
  if (options?.legalConsentOptions) {
    // A deep copy: the payload must not share (frozen) objects with the settings it came from.
    extra.legalConsentOptions = JSON.parse(
      JSON.stringify(options.legalConsentOptions),
    ) as HubSpotLegalConsentOptions;
  }
  return extra;
}

export function formatHubSpot(
  mapped: MappedLead,
  webhookUrl: string | undefined,
  options?: HubSpotOptions | null,
): FormattedPayload {
  if (typeof webhookUrl !== 'string' || webhookUrl === '') {
    throw new Error('Cannot format hubspot payload: the webhook URL is needed for WEBHOOKURL');
  }
  assertValidEntryNames(mapped.entries, 'hubspot');
  const fields: HubSpotField[] = [];
  for (const { name, value } of mapped.entries) {
    // HubSpot treats an empty value as "clear this property": fields without a value are left out.
    if (value === null || value === '') continue;
    const { objectTypeId, property } = hubSpotTarget(name);
    fields.push({ name: property, value, objectTypeId });
  }
  const payload: HubSpotPayload = { fields, ...present(options), WEBHOOKURL: webhookUrl };
  return { body: JSON.stringify(payload), contentType: HUBSPOT_CONTENT_TYPE, payload };
}

/**
 * HubSpot's Forms v3 error types (`errors[].errorType` of a refused submission) in words, for the
 * history. Types not listed here are shown as HubSpot named them.
 */
export const HUBSPOT_ERROR_WORDS: Readonly<Record<string, string>> = Object.freeze({
  INVALID_EMAIL: 'the email address is not valid',
  BLOCKED_EMAIL: 'the form blocks this email address or its domain',
  REQUIRED_FIELD: 'a field the form requires has no value',
  INVALID_NUMBER: 'a number field holds something that is not a number',
  NUMBER_OUT_OF_RANGE: 'a number is outside the range the form allows',
  INPUT_TOO_LARGE: 'a value is longer than the form allows',
  FIELD_NOT_IN_FORM_DEFINITION: 'a field name is not on the form: map to the form’s internal names',
  VALUE_NOT_IN_FIELD_DEFINITION: 'a value is not one of the options of its field',
  MAX_NUMBER_OF_SUBMITTED_VALUES_EXCEEDED: 'more fields were sent than the form takes',
  INVALID_METADATA: 'the context (page URI, page name) is not valid',
  INVALID_PAGE_URI: 'the context’s page URI is not a valid URL',
  INVALID_HUTK: 'the context’s tracking cookie (hutk) is not valid',
  INVALID_IP_ADDRESS: 'the context’s IP address is not valid',
  INVALID_GOTOWEBINAR_WEBINAR_KEY: 'the context’s GoToWebinar key is not valid',
  INVALID_LEGAL_OPTION_FORMAT: 'the legal consent options are not in the form HubSpot expects',
  MISSING_PROCESSING_CONSENT: 'the form requires consent to process, and none was sent',
  MISSING_PROCESSING_CONSENT_TEXT: 'the consent to process has no text',
  MISSING_COMMUNICATION_CONSENT_TEXT: 'a communication consent has no text',
  MISSING_LEGITIMATE_INTEREST_TEXT: 'the legitimate interest has no text',
  DUPLICATE_SUBSCRIPTION_TYPE_ID: 'a subscription type is given twice in the consent',
  FORM_HAS_RECAPTCHA_ENABLED: 'the form has reCAPTCHA on, which API submissions cannot pass',
});

/** `INVALID_EMAIL` → `INVALID_EMAIL (the email address is not valid)`; unknown types as they are. */
export function describeHubSpotError(errorType: string): string {
  const words = Object.prototype.hasOwnProperty.call(HUBSPOT_ERROR_WORDS, errorType)
    ? HUBSPOT_ERROR_WORDS[errorType]
    : undefined;
  return words ? `${errorType} (${words})` : errorType;
}
