/** Request and response schemas of a seller's alert settings (issue 20; routes/alerts.ts). */
import { z } from 'zod/v4';
import { ALERT_TYPES } from '../alerts/events.js';

export const AlertSettingsPatchBody = z.strictObject({
  url: z
    .string()
    .trim()
    .min(1, 'must not be empty (send null to turn alerts off)')
    .max(2048, 'must be at most 2048 characters')
    .nullable()
    .describe('Absolute http(s) URL alerts are POSTed to; null: no alerts'),
});
export type AlertSettingsPatchBody = z.output<typeof AlertSettingsPatchBody>;

export const AlertSettingsView = z.object({
  url: z.string().nullable(),
  signingSecretPrefix: z
    .string()
    .nullable()
    .describe('The alert signing secret, as a prefix; null until an alert URL is first set'),
  types: z.array(z.enum(ALERT_TYPES)).describe('The alert types a seller may receive'),
});

export const AlertSettingsSaved = AlertSettingsView.extend({
  signingSecret: z
    .string()
    .optional()
    .describe('The whsec_… secret alerts are signed with: shown once, when it is created'),
});

export const AlertSecretRotated = z.object({
  signingSecret: z.string().describe('The new whsec_… secret, shown once; it signs from now on'),
});
