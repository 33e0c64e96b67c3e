/**
 * Request and response schemas (zod v4) of the replay and delivery-status routes
 * (routes/replay.ts); kept apart from schemas.ts only to keep files short.
 */
import { z } from 'zod/v4';
import { Instant, MessageTypeEnum } from './schemas.js';

/** `from` ≤ created_at < `to` (default now); `from` must be before `to`. */
function range<T extends z.ZodRawShape>(shape: T) {
  return z
    .strictObject({
      ...shape,
      from: Instant.describe('Created at or after (ISO 8601)'),
      to: Instant.optional().describe('Created before (ISO 8601); default: now'),
    })
    .superRefine((value, ctx) => {
      const { from, to = new Date() } = value as { from: Date; to?: Date };
      if (from.getTime() >= to.getTime()) {
        ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
      }
    });
}

export const ReplayBody = range({
  status: z.literal('failed').describe('Which deliveries to send again: failed ones'),
  dryRun: z
    .boolean()
    .optional()
    .describe('true: only count the deliveries a replay would send again (200), change nothing'),
});
export type ReplayBody = z.output<typeof ReplayBody>;

export const BackfillBody = range({
  leadOrderId: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('Only leads of this lead order (one of the endpoint’s); default: all it covers'),
});
export type BackfillBody = z.output<typeof BackfillBody>;

export const BulkAccepted = z.object({
  count: z.number().int().describe('Deliveries queued'),
});

export const ReplayCount = z.object({
  count: z.number().int().describe('Deliveries a replay would send again now'),
  dryRun: z.literal(true),
});

const Timestamp = z.string().describe('ISO 8601');

export const DeliveryView = z.object({
  id: z.string(),
  endpointId: z.string(),
  leadId: z.string(),
  messageType: MessageTypeEnum,
  test: z.boolean(),
  status: z
    .enum(['pending', 'sending', 'succeeded', 'failed', 'cancelled', 'superseded'])
    .describe('superseded: a newer lead_update of the lead carried its state, so it was not sent'),
  attemptCount: z.number().int(),
  nextAttemptAt: Timestamp.nullable(),
  lastError: z.string().nullable(),
  lastHttpStatus: z.number().int().nullable(),
  supersededBy: z.string().nullable().describe('The delivery that superseded this one'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
