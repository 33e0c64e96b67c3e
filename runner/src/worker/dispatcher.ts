import type { INodeExecutionData } from 'n8n-workflow';

import { withMeetingFields } from '../../../core/meeting.js';
import { BoundedCache } from '../../../core/boundedCache.js';
import { PAYLOAD_FORMATS, type DeliveryOutcome, type PayloadFormat } from '../../../core/types.js';
import type { DeliverySettings } from '../../../nodes/shared/deliverySettings.js';
import { executeWorkflow, prepareWorkflow, type PreparedWorkflow } from '../engine/execute.js';
import { NODE_TYPE } from '../engine/nodeTypes.js';
import { outputsOfNodeType, runError } from '../engine/runResults.js';
import {
  ENDPOINT_SIGNING_CREDENTIAL_ID,
  deliverySettingsFor,
  workflowForFormat,
} from '../engine/templates.js';
import type { Delivery } from '../store/deliveries.js';
import type { Endpoint } from '../store/endpoints.js';

/** What one delivery's attempt came to, as the template's Webhook Deliver node reported it. */
export interface AttemptReport {
  deliveryId: string;
  startedAt: Date;
  durationMs: number;
  success: boolean;
  outcome: DeliveryOutcome;
  httpStatus: number | null;
  error: string | null;
  retryAfterMs: number | null;
  responseExcerpt: string | null;
  /** Some of the excerpt's bytes were not UTF-8 (shown as U+FFFD). */
  responseInvalidUtf8: boolean;
  requestHeaders: Record<string, string>;
  /** The exact body sent (from Format Payload), when the workflow got that far. */
  payload: string | null;
  contentType: string | null;
  cause: string | null;
}

export interface DispatchOptions {
  /** Webhook Deliver's in-flight limit within this execution. */
  concurrency: number;
  /** Signing secrets of the endpoint, current first. */
  signingSecrets: string[];
  executionId?: string;
  /** How long the execution may run; default: executionTimeLimitMs of the group. */
  timeLimitMs?: number;
}

/** What an execution may take beyond its requests' own timeouts (the engine's work, connecting). */
export const EXECUTION_GRACE_MS = 5_000;

/**
 * The time limit of one execution: Webhook Deliver sends `concurrency` requests at a time, each
 * ending by the endpoint's timeout, so a healthy run takes at most that many rounds of it.
 */
export function executionTimeLimitMs(
  deliveries: number,
  concurrency: number,
  timeoutMs: number,
): number {
  return (
    Math.ceil(Math.max(1, deliveries) / Math.max(1, concurrency)) * timeoutMs + EXECUTION_GRACE_MS
  );
}

/** What an execution needs of an endpoint. */
export type DispatchEndpoint = Pick<
  Endpoint,
  'id' | 'url' | 'format' | 'headers' | 'constants' | 'fieldMappings' | 'timeoutMs'
>;

/** What an execution needs of a delivery. */
export type DispatchDelivery = Pick<Delivery, 'id' | 'messageType' | 'leadSnapshot'> &
  Partial<Pick<Delivery, 'test'>>;

const START_NODE = 'Lead Trigger';

function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function asNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The items the Lead Trigger emits in n8n, built from stored deliveries. */
export function triggerItems(deliveries: readonly DispatchDelivery[]): INodeExecutionData[] {
  return deliveries.map((delivery, index) => ({
    json: {
      ...withMeetingFields(delivery.leadSnapshot),
      messageType: delivery.messageType,
      deliveryId: delivery.id,
      // Only a Send test's item carries the key: a real delivery's items stay as they were.
      ...(delivery.test === true ? { test: true } : {}),
    },
    pairedItem: { item: index },
  }));
}

/** The prepared workflow of each format: one for every endpoint of that format. */
const preparedByFormat = new BoundedCache<PayloadFormat, PreparedWorkflow>(PAYLOAD_FORMATS.length);

function preparedFor(format: PayloadFormat): PreparedWorkflow {
  let prepared = preparedByFormat.get(format);
  if (!prepared) {
    prepared = prepareWorkflow(workflowForFormat(format));
    preparedByFormat.set(format, prepared);
  }
  return prepared;
}

/**
 * Each endpoint's delivery settings, by endpoint object: the worker's endpoint cache hands out the
 * same object until the row changes (a changed row is a new object), so the nodes see the same
 * settings object batch after batch and keep what they derived from it.
 */
const settingsByEndpoint = new WeakMap<DispatchEndpoint, DeliverySettings>();

function settingsFor(endpoint: DispatchEndpoint, concurrency: number): DeliverySettings {
  const held = settingsByEndpoint.get(endpoint);
  if (held && held.concurrency === concurrency) return held;
  const settings = deliverySettingsFor(endpoint, concurrency);
  settingsByEndpoint.set(endpoint, settings);
  return settings;
}

/** What a failed attempt that got no answer (nothing sent, or no answer to show) reports. */
export function unansweredReport(
  deliveryId: string,
  failure: Pick<AttemptReport, 'outcome' | 'error' | 'cause'> &
    Partial<Pick<AttemptReport, 'startedAt' | 'durationMs' | 'payload' | 'contentType'>>,
): AttemptReport {
  return {
    deliveryId,
    startedAt: failure.startedAt ?? new Date(),
    durationMs: failure.durationMs ?? 0,
    success: false,
    outcome: failure.outcome,
    httpStatus: null,
    error: failure.error,
    retryAfterMs: null,
    responseExcerpt: null,
    responseInvalidUtf8: false,
    requestHeaders: {},
    payload: failure.payload ?? null,
    contentType: failure.contentType ?? null,
    cause: failure.cause,
  };
}

/** Every delivery of a run that failed as a whole: retried on the schedule, not the receiver's fault. */
export function engineFailureReports(
  deliveries: readonly DispatchDelivery[],
  startedAt: Date,
  error: unknown,
): AttemptReport[] {
  const message = error instanceof Error ? error.message : String(error);
  return deliveries.map((delivery) =>
    unansweredReport(delivery.id, {
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      outcome: 'retryable',
      error: `workflow error: ${message}`,
      cause: 'workflow',
    }),
  );
}

/**
 * Runs the endpoint's template once for all of `deliveries` (one execution, many items) and
 * reads each delivery's attempt off the Webhook Deliver output, traced back by pairedItem.
 * A delivery the workflow never reached (a node error) is reported as a permanent failure with
 * the workflow's error, so it is recorded rather than lost. A run that fails as a whole (refused,
 * or cancelled at its time limit) is reported as a retryable failure of each of its deliveries:
 * this never throws for what an execution does.
 */
export async function dispatchToEndpoint(
  endpoint: DispatchEndpoint,
  deliveries: readonly DispatchDelivery[],
  options: DispatchOptions,
): Promise<AttemptReport[]> {
  const prepared = preparedFor(endpoint.format);
  const { definition } = prepared;
  const [secret, previousSecret] = options.signingSecrets;
  const startedAt = new Date();
  let run;
  try {
    run = await executeWorkflow(prepared, triggerItems(deliveries), {
      credentials: {
        [ENDPOINT_SIGNING_CREDENTIAL_ID]: { secret, previousSecret: previousSecret ?? '' },
      },
      deliverySettings: settingsFor(endpoint, options.concurrency),
      timeLimitMs:
        options.timeLimitMs ??
        executionTimeLimitMs(deliveries.length, options.concurrency, endpoint.timeoutMs),
      executionId: options.executionId,
    });
  } catch (error) {
    return engineFailureReports(deliveries, startedAt, error);
  }

  const bodies = new Map<number, { body: string | null; contentType: string | null }>();
  for (const formatted of outputsOfNodeType(run, definition, NODE_TYPE.formatPayload, START_NODE)) {
    if (formatted.startIndex === null) continue;
    bodies.set(formatted.startIndex, {
      body: asString(formatted.json.body),
      contentType: asString(formatted.json.contentType),
    });
  }
  const sent = new Map<number, Record<string, unknown>>();
  for (const delivered of outputsOfNodeType(
    run,
    definition,
    NODE_TYPE.webhookDeliver,
    START_NODE,
  )) {
    if (delivered.startIndex !== null) sent.set(delivered.startIndex, delivered.json);
  }
  const workflowError = runError(run);

  return deliveries.map((delivery, index) => {
    const json = sent.get(index);
    const body = bodies.get(index) ?? { body: null, contentType: null };
    if (!json || typeof json.outcome !== 'string') {
      const error =
        asString(json?.error) ??
        workflowError ??
        'the workflow produced no delivery for this message';
      return unansweredReport(delivery.id, {
        startedAt,
        outcome: 'permanent',
        error: `workflow error: ${error}`,
        cause: 'workflow',
        payload: body.body,
        contentType: body.contentType,
      });
    }
    return {
      deliveryId: delivery.id,
      startedAt: new Date(asString(json.startedAt) ?? startedAt.toISOString()),
      durationMs: asNumber(json.durationMs) ?? 0,
      success: json.success === true,
      outcome: json.outcome as DeliveryOutcome,
      httpStatus: asNumber(json.statusCode),
      error: asString(json.error),
      retryAfterMs: asNumber(json.retryAfterMs),
      responseExcerpt: asString(json.responseExcerpt),
      responseInvalidUtf8: json.responseInvalidUtf8 === true,
      requestHeaders: (json.requestHeaders as Record<string, string> | undefined) ?? {},
      payload: body.body,
      contentType: body.contentType,
      cause: asString(json.cause),
    };
  });
}
