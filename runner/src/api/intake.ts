/**
 * Lead events (R4): a new lead, or a changed meeting time, fanned out to the eligible endpoints.
 * The lead row, its deliveries and their queue jobs are written in ONE transaction: a lead is
 * never accepted and lost, and a failure leaves nothing behind.
 */
import pLimit from 'p-limit';

import { BoundedCache } from '../../../core/boundedCache.js';
import { MEETING_FIELD_KEYS } from '../../../core/catalogue.js';
import { parseInstant, utcInstantText } from '../../../core/instant.js';
import { isValidTimeZone, normalizeMeetingTime, withMeetingFields } from '../../../core/meeting.js';
import type { LeadRecord, MessageType } from '../../../core/types.js';
import type { Db } from '../db/types.js';
import { newId } from '../ids.js';
import { createDeliveries, createNewLead, type JobQueue } from '../store/deliveryState/index.js';
import { eligibleEndpoints } from '../store/endpoints.js';
import {
  forgetLeadOrder,
  getLeadOrderCached,
  LEAD_ORDER_CACHE_SIZE,
  type LeadOrder,
} from '../store/leadOrders.js';
import { getLead, updateLeadData } from '../store/leads.js';
import type { IntakeCounts } from '../metrics.js';
import { ApiError, notFound, validationFailed, type ErrorDetail } from './errors.js';

export interface LeadEventResult {
  leadId: string;
  deliveries: Array<{ id: string; endpointId: string; messageType: MessageType }>;
}

/** The gate of INTAKE_MAX_TRANSACTIONS: one per API process. */
export interface IntakeSlots {
  /** Runs one intake's transaction once a slot is free. */
  run<T>(transaction: () => Promise<T>): Promise<T>;
  /** Intakes writing now, and intakes waiting for a slot. */
  counts(): IntakeCounts;
}

export interface IntakeDeps {
  db: Db;
  queue: JobQueue;
  intakeSlots: IntakeSlots;
}

/**
 * At most `max` intake transactions of this process at once; the others wait here, in order.
 * A burst of leads would otherwise run as many transactions side by side as the pool has
 * connections: on a database with few cores, their backends then take the CPU that the worker's
 * claims and records need, and every lead of the burst waits longer for its delivery. Waiting
 * in the process costs a queued callback; the transaction itself is as short as before.
 */
export function createIntakeSlots(max: number): IntakeSlots {
  const limit = pLimit(max);
  return {
    run: (transaction) => limit(transaction),
    counts: () => ({ active: limit.activeCount, waiting: limit.pendingCount }),
  };
}

const FOREIGN_KEY_VIOLATION = '23503';
const LEAD_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

function present(value: string | null | undefined): value is string {
  return typeof value === 'string' && value !== '';
}

/**
 * The lead as stored: runner-owned fields filled in (leadId, leadOrderId, leadOrderName,
 * createdAt, fullName when absent), time zone checked, meeting time normalised and formatted.
 */
export function prepareLead(
  input: LeadRecord,
  leadOrder: LeadOrder,
  now: Date = new Date(),
): LeadRecord {
  const details: ErrorDetail[] = [];
  const lead: LeadRecord = { ...input };

  if (present(lead.leadId)) {
    if (!LEAD_ID.test(lead.leadId)) {
      details.push({
        path: 'lead.leadId',
        message:
          'must be 1–100 characters of letters, digits, "_", ".", ":" or "-", starting with a letter or digit',
      });
    }
  } else {
    lead.leadId = newId('lead');
  }

  if (present(lead.leadOrderId) && lead.leadOrderId !== leadOrder.id) {
    details.push({
      path: 'lead.leadOrderId',
      message: `must be the leadOrderId of the request ("${leadOrder.id}") or absent`,
    });
  }
  lead.leadOrderId = leadOrder.id;
  lead.leadOrderName = leadOrder.name;

  // Written in UTC like the catalogue's example: `2026-04-20T14:03:12+00:00`.
  if (present(lead.createdAt)) {
    try {
      lead.createdAt = utcInstantText(parseInstant(lead.createdAt));
    } catch (err) {
      details.push({ path: 'lead.createdAt', message: (err as Error).message });
    }
  } else {
    lead.createdAt = utcInstantText(now);
  }

  if (!present(lead.fullName)) {
    const parts = [lead.firstName, lead.lastName].filter(present);
    if (parts.length > 0) lead.fullName = parts.join(' ');
  }

  if (present(lead.timeZone) && !isValidTimeZone(lead.timeZone)) {
    details.push({
      path: 'lead.timeZone',
      message: `"${lead.timeZone}" is not an IANA time zone (e.g. America/New_York)`,
    });
  }

  let prepared = lead;
  try {
    prepared = withMeetingFields(lead);
  } catch (err) {
    details.push({ path: 'lead.requestedMeetingTime', message: (err as Error).message });
  }

  if (details.length > 0) throw validationFailed(details);
  return prepared;
}

/** Creates the deliveries of one lead event and their jobs, inside `tx`. */
async function fanOut(
  tx: Db,
  queue: IntakeDeps['queue'],
  event: {
    sellerId: string;
    leadOrderId: string;
    leadId: string;
    snapshot: LeadRecord;
    messageType: MessageType;
  },
): Promise<LeadEventResult['deliveries']> {
  const endpoints = await eligibleEndpoints(tx, {
    sellerId: event.sellerId,
    leadOrderId: event.leadOrderId,
    messageType: event.messageType,
    meetingFields: MEETING_FIELD_KEYS,
  });
  // Disabled endpoints get their deliveries and jobs too: the claim holds those (pending) and
  // enabling the endpoint queues its pending deliveries again.
  const deliveries = await createDeliveries(
    tx,
    queue,
    endpoints.map((endpoint) => ({
      id: newId('delivery'),
      sellerId: event.sellerId,
      endpointId: endpoint.id,
      leadId: event.leadId,
      messageType: event.messageType,
      leadSnapshot: event.snapshot,
    })),
  );
  return deliveries.map((d) => ({
    id: d.id,
    endpointId: d.endpointId,
    messageType: d.messageType,
  }));
}

/**
 * How many deliveries the last lead of each lead order made: the number of delivery ids the next
 * one brings to its statement (store/deliveryState/create.ts). Too few costs one more statement,
 * too many a few unused ids. Bounded like the lead order cache, least recently used dropped first.
 */
const deliveriesPerLeadOrder = new BoundedCache<string, number>(LEAD_ORDER_CACHE_SIZE);
const UNKNOWN_LEAD_ORDER_DELIVERIES = 4;

function expectedDeliveries(leadOrderId: string): number {
  return deliveriesPerLeadOrder.get(leadOrderId) ?? UNKNOWN_LEAD_ORDER_DELIVERIES;
}

function rememberDeliveries(leadOrderId: string, count: number): void {
  if (deliveriesPerLeadOrder.get(leadOrderId) === count) return;
  deliveriesPerLeadOrder.set(leadOrderId, count);
}

function noLeadOrder(leadOrderId: string): ApiError {
  return notFound('lead order', [
    { path: 'leadOrderId', message: `no lead order "${leadOrderId}"` },
  ]);
}

/** POST /v1/leads: the lead, its deliveries and their jobs in one transaction. */
export async function acceptLead(
  deps: IntakeDeps,
  input: { leadOrderId: string; lead: LeadRecord },
): Promise<LeadEventResult> {
  const leadOrder = await getLeadOrderCached(deps.db, input.leadOrderId);
  if (!leadOrder) throw noLeadOrder(input.leadOrderId);
  const data = prepareLead(input.lead, leadOrder);
  const leadId = data.leadId as string;
  const deliveryIds = Array.from({ length: expectedDeliveries(leadOrder.id) }, () =>
    newId('delivery'),
  );
  return deps.intakeSlots.run(() =>
    deps.db.transaction(async (tx) => {
      const result = await createNewLead(tx, deps.queue, {
        id: leadId,
        sellerId: leadOrder.sellerId,
        leadOrderId: leadOrder.id,
        data,
        deliveryIds,
      }).catch((error: unknown) => {
        if ((error as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw error;
        forgetLeadOrder(deps.db, leadOrder.id);
        throw noLeadOrder(leadOrder.id);
      });
      if (!result.inserted) {
        throw new ApiError(409, 'lead_exists', `lead "${leadId}" already exists`, [
          {
            path: 'lead.leadId',
            message:
              'a lead with this id was already taken in; use POST /v1/leads/:id/meeting for changes',
          },
        ]);
      }
      const { deliveries } = result;
      rememberDeliveries(leadOrder.id, deliveries.length);
      return {
        leadId,
        deliveries: deliveries.map((d) => ({ ...d, messageType: 'new_lead' as const })),
      };
    }),
  );
}

/**
 * POST /v1/leads/:id/meeting: stores the new meeting time and sends `lead_update` to the eligible
 * endpoints. Posting the time the lead already has changes nothing and notifies no one.
 */
export async function changeMeeting(
  deps: IntakeDeps,
  leadId: string,
  requestedMeetingTime: string | null,
): Promise<LeadEventResult> {
  let normalized: string | null = null;
  if (requestedMeetingTime !== null && requestedMeetingTime.trim() !== '') {
    try {
      normalized = normalizeMeetingTime(requestedMeetingTime);
    } catch (err) {
      throw validationFailed([{ path: 'requestedMeetingTime', message: (err as Error).message }]);
    }
  }
  return deps.intakeSlots.run(() =>
    deps.db.transaction(async (tx) => {
      const lead = await getLead(tx, leadId, { forUpdate: true });
      if (!lead) throw notFound('lead', [{ path: 'id', message: `no lead "${leadId}"` }]);
      const current = lead.data.requestedMeetingTime ?? null;
      if (current === normalized) return { leadId, deliveries: [] };
      const data = withMeetingFields({ ...lead.data, requestedMeetingTime: normalized });
      const updated = await updateLeadData(tx, leadId, data);
      const deliveries = await fanOut(tx, deps.queue, {
        sellerId: lead.sellerId,
        leadOrderId: lead.leadOrderId,
        leadId,
        snapshot: updated?.data ?? data,
        messageType: 'lead_update',
      });
      return { leadId, deliveries };
    }),
  );
}
