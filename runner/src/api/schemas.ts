/**
 * Request and response schemas (zod v4). Requests are parsed with them; responses are only
 * documented (OpenAPI). Shape rules live here; domain rules (catalogue keys, output names,
 * collisions, header names) are core's, run by the handlers, so each message is written once.
 */
import { z } from 'zod/v4';
import { LEAD_FIELD_KEYS } from '../../../core/catalogue.js';
import {
  ENDPOINT_TYPES,
  MESSAGE_TYPES,
  PAYLOAD_FORMATS,
  type EndpointType,
  type MessageType,
  type PayloadFormat,
} from '../../../core/types.js';
import { parseInstant } from '../../../core/instant.js';
import {
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  HISTORY_PAYLOAD_MAX_CHARS,
} from '../store/attempts.js';
import { HubSpotOptions } from './hubspotSchemas.js';

const tuple = <T extends string>(values: readonly T[]) => values as unknown as [T, ...T[]];

// ---------------------------------------------------------------------------------- params
export const IdParams = z.object({ id: z.string().min(1).max(100) });

// ---------------------------------------------------------------------------------- endpoints
const Name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');
const Url = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .describe('Absolute http(s) URL the leads are POSTed to');
const Format = z.enum(tuple<PayloadFormat>(PAYLOAD_FORMATS));
const Type = z.enum(tuple<EndpointType>(ENDPOINT_TYPES));
const Header = z.strictObject({
  name: z.string().max(256, 'must be at most 256 characters'),
  value: z.string().max(8192, 'must be at most 8192 characters'),
});
const Constant = z.strictObject({
  key: z.string().max(1000, 'must be at most 1000 characters'),
  value: z.string().max(8192, 'must be at most 8192 characters'),
});
const FieldMapping = z.strictObject({
  field: z.string().max(100, 'must be at most 100 characters').describe('A key of GET /v1/fields'),
  output: z
    .string()
    .max(1000, 'must be at most 1000 characters')
    .describe('Name in the payload; dots nest in JSON'),
});
const Headers = z.array(Header).max(50, 'at most 50 headers');
const Constants = z.array(Constant).max(100, 'at most 100 constants');
const FieldMappings = z.array(FieldMapping).max(200, 'at most 200 field mappings');
const LeadOrderIds = z
  .array(z.string().min(1).max(100))
  .max(100, 'at most 100 lead orders')
  .describe('Empty: every lead order of the seller');
const TimeoutMs = z
  .number()
  .int('must be a whole number of milliseconds')
  .min(1000, 'must be at least 1000')
  .max(30000, 'must be at most 30000');

const MaxConcurrency = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(1000, 'must be at most 1000')
  .nullable()
  .describe('Deliveries in flight at once, across all workers; null: no limit');
const RateLimitPerSecond = z
  .number()
  .min(0.01, 'must be at least 0.01')
  .max(10000, 'must be at most 10000')
  .nullable()
  .describe('Attempts started per second (bursts up to one second’s worth); null: no limit');

export const EndpointCreateBody = z.strictObject({
  name: Name,
  url: Url,
  format: Format.default('json'),
  headers: Headers.default([]),
  constants: Constants.default([]),
  leadOrderIds: LeadOrderIds.default([]),
  fieldMappings: FieldMappings.optional().describe(
    'Default: firstName, lastName, email, phone under their own names; for format hubspot ' +
      'HubSpot’s internal names firstname, lastname, email, phone, company, jobtitle',
  ),
  type: Type.default('new_leads'),
  enabled: z.boolean().default(true),
  timeoutMs: TimeoutMs.default(10000),
  maxConcurrency: MaxConcurrency.default(null),
  rateLimitPerSecond: RateLimitPerSecond.default(null),
  hubspot: HubSpotOptions.nullable().default(null),
});
export type EndpointCreateBody = z.output<typeof EndpointCreateBody>;

export const EndpointPatchBody = z.strictObject({
  name: Name.optional(),
  url: Url.optional(),
  format: Format.optional(),
  headers: Headers.optional().describe(
    'A header whose value is sent back exactly as GET shows it (redacted) keeps its stored value',
  ),
  constants: Constants.optional(),
  leadOrderIds: LeadOrderIds.optional(),
  fieldMappings: FieldMappings.optional(),
  type: Type.optional(),
  enabled: z.boolean().optional(),
  timeoutMs: TimeoutMs.optional(),
  maxConcurrency: MaxConcurrency.optional(),
  rateLimitPerSecond: RateLimitPerSecond.optional(),
  hubspot: HubSpotOptions.nullable().optional(),
});
export type EndpointPatchBody = z.output<typeof EndpointPatchBody>;

/** An instant by core's one rule (core/instant.ts), as a Date; the problem as core words it. */
export const Instant = z
  .string()
  .max(100, 'must be at most 100 characters')
  .transform((text, ctx) => {
    try {
      return parseInstant(text);
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: (err as Error).message, input: text });
      return z.NEVER;
    }
  });

export const MessageTypeEnum = z.enum(tuple<MessageType>(MESSAGE_TYPES));

export const HistoryQuery = z
  .object({
    status: z.enum(['success', 'failure']).optional(),
    messageType: MessageTypeEnum.optional(),
    leadId: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'must be a lead id (letters, digits, _ . : -)')
      .optional()
      .describe('Only attempts of this lead'),
    test: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .transform((value) => value === 'true')
      .optional()
      .describe('true: Send test attempts only; false: real deliveries only'),
    from: Instant.optional().describe('Started at or after (ISO 8601)'),
    to: Instant.optional().describe('Started before (ISO 8601)'),
    cursor: z.string().min(1).max(500).optional().describe('nextCursor of the previous page'),
    limit: z.coerce
      .number({ error: `must be a whole number from 1 to ${HISTORY_MAX_LIMIT}` })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(HISTORY_MAX_LIMIT, `must be at most ${HISTORY_MAX_LIMIT}`)
      .default(HISTORY_DEFAULT_LIMIT),
  })
  .superRefine((value, ctx) => {
    if (value.from && value.to && value.from.getTime() >= value.to.getTime()) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
    }
  });

// ---------------------------------------------------------------------------------- provider
export const SellerCreateBody = z.strictObject({ name: Name });

export const LeadOrderCreateBody = z.strictObject({
  sellerId: z.string().min(1).max(100),
  name: Name,
});

/** A lead value: text, or a number/boolean taken as its text; null = no value. */
const LeadValue = z
  .union([
    z.string().max(10_000, 'must be at most 10000 characters'),
    z.number(),
    z.boolean(),
    z.null(),
  ])
  .transform((value) => (value === null ? null : String(value)));

export const Lead = z
  .strictObject(Object.fromEntries(LEAD_FIELD_KEYS.map((key) => [key, LeadValue.optional()])))
  .describe('The lead, by the keys of GET /v1/fields');

export const LeadIntakeBody = z.strictObject({
  leadOrderId: z.string().min(1).max(100),
  lead: Lead,
});
export type LeadIntakeBody = z.output<typeof LeadIntakeBody>;

export const MeetingBody = z.strictObject({
  requestedMeetingTime: z
    .string()
    .max(100)
    .nullable()
    .describe('ISO 8601 with an offset or Z; null when the lead withdrew its meeting request'),
});

// ---------------------------------------------------------------------------------- responses
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
});

export const FieldsResponse = z.object({
  fields: z.array(z.object({ key: z.string(), label: z.string(), example: z.string() })),
});

const Timestamp = z.string().describe('ISO 8601');

export const EndpointView = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  format: Format,
  headers: z.array(z.object({ name: z.string(), value: z.string().describe('Redacted') })),
  constants: z.array(z.object({ key: z.string(), value: z.string() })),
  leadOrderIds: z.array(z.string()),
  fieldMappings: z.array(z.object({ field: z.string(), output: z.string() })),
  type: Type,
  enabled: z.boolean(),
  timeoutMs: z.number().int(),
  maxConcurrency: z.number().int().nullable(),
  rateLimitPerSecond: z.number().nullable(),
  hubspot: HubSpotOptions.nullable(),
  circuit: z
    .object({
      state: z
        .enum(['closed', 'open', 'half_open'])
        .describe('open: paused after repeated failures; half_open: one probe delivery in flight'),
      cause: z
        .string()
        .nullable()
        .describe(
          'Of the last counted failure of the endpoint: dns, connect, tls, timeout, network, ' +
            'http_3xx, http_4xx (e.g. 401, 404, 429), http_5xx. A lead whose payload is ' +
            'refused (400, 409, 413, 422) fails alone and is not counted',
        ),
      lastError: z.string().nullable(),
      openedAt: Timestamp.nullable(),
      consecutiveFailures: z.number().int(),
      nextProbeAt: Timestamp.nullable().describe('When a probe delivery is tried (open)'),
    })
    .describe('Circuit breaker: while open nothing is sent and nothing dropped'),
  signingSecretPrefix: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastDelivery: z
    .object({
      status: z.enum(['success', 'failure']),
      at: Timestamp,
      httpStatus: z.number().int().nullable(),
    })
    .nullable(),
});

const Warnings = z
  .array(z.object({ path: z.string(), message: z.string() }))
  .describe(
    'Saved, but probably not what you meant: e.g. an endpoint taking lead updates that maps no meeting field gets none',
  );

export const EndpointSaved = EndpointView.extend({ warnings: Warnings });

export const EndpointCreated = EndpointSaved.extend({
  signingSecret: z.string().describe('whsec_… — shown once, here'),
});

export const EndpointList = z.object({ items: z.array(EndpointView) });

const TroubleshootingView = z
  .object({
    issue: z.enum(['connection', 'authentication', 'field_mapping', 'timeout', 'http_error']),
    title: z.string(),
    solution: z.string(),
  })
  .nullable()
  .describe(
    "Advice for a failure, chosen by its cause (the seed's Common Issues & Solutions); null on success or when none fits",
  );

export const TestResultBody = z.object({
  success: z.boolean(),
  httpStatus: z.number().int().nullable(),
  durationMs: z.number(),
  error: z.string().nullable(),
  responseExcerpt: z.string().nullable(),
  payload: z.string().nullable(),
  contentType: z.string().nullable(),
  troubleshooting: TroubleshootingView,
});

export const AttemptView = z.object({
  id: z.string(),
  deliveryId: z.string(),
  endpointId: z.string(),
  leadId: z.string(),
  messageType: MessageTypeEnum,
  test: z.boolean(),
  attempt: z.number().int(),
  startedAt: Timestamp,
  durationMs: z.number().int(),
  status: z.enum(['success', 'failure']),
  httpStatus: z.number().int().nullable(),
  error: z.string().nullable(),
  responseExcerpt: z.string().nullable(),
  requestHeaders: z.record(z.string(), z.string()),
  payload: z
    .string()
    .nullable()
    .describe(
      `The exact body sent (null when none was). A body longer than ${HISTORY_PAYLOAD_MAX_CHARS} characters is kept only up to there: payloadTruncated says so`,
    ),
  contentType: z.string().nullable().describe('The Content-Type the body was sent with'),
  payloadTruncated: z.boolean().describe('payload holds only the start of a longer body'),
  payloadLength: z
    .number()
    .int()
    .nullable()
    .describe("The whole body's length in characters when payloadTruncated; else null"),
  cause: z
    .string()
    .nullable()
    .describe(
      'Why it failed: dns, connect, tls, timeout, network, blocked, http_3xx, http_4xx, http_5xx, rejected or workflow; null on success',
    ),
  troubleshooting: TroubleshootingView,
  deliveryStatus: z
    .enum(['pending', 'sending', 'succeeded', 'failed', 'cancelled', 'superseded'])
    .nullable()
    .describe("The delivery's status now"),
  resendable: z
    .boolean()
    .describe(
      "This is the delivery's latest attempt and the delivery has ended (failed or succeeded): POST /v1/deliveries/{deliveryId}/resend sends it again",
    ),
  notice: z
    .string()
    .nullable()
    .describe(
      'Set when the attempt is not shown exactly as it was: text that cannot be stored (NUL characters, lone surrogates, bytes that are not UTF-8) replaced by U+FFFD, or an outcome that could not be stored at all',
    ),
});

export const HistoryResponse = z.object({
  items: z.array(AttemptView),
  nextCursor: z.string().nullable(),
});

export const ResendAccepted = z.object({ id: z.string(), status: z.literal('pending') });

export const SecretRotated = z.object({
  signingSecret: z.string().describe('The new whsec_… secret — shown once, here'),
  previousSecretExpiresAt: Timestamp.describe(
    'Until then deliveries are signed with the previous secret as well',
  ),
});

export const LeadOrderView = z.object({ id: z.string(), name: z.string(), createdAt: Timestamp });
export const LeadOrderList = z.object({ items: z.array(LeadOrderView) });
export const LeadOrderCreated = z.object({
  id: z.string(),
  sellerId: z.string(),
  name: z.string(),
});

export const SellerCreated = z.object({
  id: z.string(),
  name: z.string(),
  apiKey: z.string().describe('ld_sk_… — shown once, here'),
});

export const LeadAccepted = z.object({
  leadId: z.string(),
  deliveries: z.array(
    z.object({ id: z.string(), endpointId: z.string(), messageType: MessageTypeEnum }),
  ),
});

export const Health = z.object({ ok: z.boolean(), db: z.boolean() });
