/**
 * An endpoint's HubSpot settings (Forms v3 submit): the optional `context` and
 * `legalConsentOptions`, stored per endpoint and sent with every submission of the hubspot format
 * (as data: nodes/shared/deliverySettings.ts). The shapes are HubSpot's: consent to process with
 * its text and optional communication consents, or a legitimate interest with its legal basis.
 */
import { z } from 'zod/v4';

const Text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

const PageUri = z
  .string()
  .trim()
  .max(2048, 'must be at most 2048 characters')
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL, the page the lead came from')
  .describe('The page the lead was taken on');

const SubscriptionTypeId = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be a HubSpot subscription type id');

export const HubSpotContext = z
  .strictObject({
    pageUri: PageUri.optional(),
    pageName: Text(255).trim().min(1, 'must not be empty').optional(),
  })
  .describe('Forms v3 `context`: where the submission came from');

export const HubSpotLegalConsentOptions = z
  .union([
    z.strictObject({
      consent: z.strictObject({
        consentToProcess: z.boolean(),
        text: Text(5000).min(1, 'must not be empty'),
        communications: z
          .array(
            z.strictObject({
              value: z.boolean(),
              subscriptionTypeId: SubscriptionTypeId,
              text: Text(5000).min(1, 'must not be empty'),
            }),
          )
          .max(50, 'at most 50 communications')
          .optional(),
      }),
    }),
    z.strictObject({
      legitimateInterest: z.strictObject({
        value: z.boolean(),
        subscriptionTypeId: SubscriptionTypeId,
        legalBasis: z.enum(['LEAD', 'CUSTOMER']),
        text: Text(5000).min(1, 'must not be empty'),
      }),
    }),
  ])
  .describe(
    'Forms v3 `legalConsentOptions`: {consent: {consentToProcess, text, communications?}} or ' +
      '{legitimateInterest: {value, subscriptionTypeId, legalBasis, text}}',
  );

export const HubSpotOptions = z
  .strictObject({
    context: HubSpotContext.nullable().optional(),
    legalConsentOptions: HubSpotLegalConsentOptions.nullable().optional(),
  })
  .describe(
    'Sent with every submission of the hubspot format (other formats ignore it); null: none. ' +
      'objectTypeId is 0-1 (contacts) unless an output name starts with another type, as in 0-2/name',
  );
