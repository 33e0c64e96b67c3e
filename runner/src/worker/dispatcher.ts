import type { INodeExecutionData } from 'n8n-workflow';

import { withMeetingFields } from '../../../core/meeting.js';
import type { DeliveryOutcome } from '../../../core/types.js';
import { executeWorkflow, prepareWorkflow, type PreparedWorkflow } from '../engine/execute.js';
import { NODE_TYPE } from '../engine/nodeTypes.js';
import { outputsOfNodeType, runError } from '../engine/runResults.js';
import { workflowForEndpoint } from '../engine/templates.js';
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
}

/** What an execution needs of an endpoint. */
export type DispatchEndpoint = Pick<
  Endpoint,
  'id' | 'url' | 'format' | 'headers' | 'constants' | 'fieldMappings' | 'timeoutMs'
>;

/** What an execution needs of a delivery. */
export type DispatchDelivery = Pick<Delivery, 'id' | 'messageType' | 'leadSnapshot'>;

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
    },
    pairedItem: { item: index },
  }));
}

/**
 * Each endpoint's template, filled and prepared, by endpoint object: the worker's endpoint cache
 * hands out the same object until the row changes (a changed row is a new object), so a batch
 * reuses the definition of the batch before it instead of filling the template again.
 */
const preparedByEndpoint = new WeakMap<
  DispatchEndpoint,
  { concurrency: number; prepared: PreparedWorkflow }
>();

function preparedFor(endpoint: DispatchEndpoint, concurrency: number): PreparedWorkflow {
  const held = preparedByEndpoint.get(endpoint);
  if (held && held.concurrency === concurrency) return held.prepared;
  const prepared = prepareWorkflow(
    workflowForEndpoint({
      id: endpoint.id,
      url: endpoint.url,
      format: endpoint.format,
      headers: endpoint.headers,
      constants: endpoint.constants,
      fieldMappings: endpoint.fieldMappings,
      timeoutMs: endpoint.timeoutMs,
      signingCredentialId: credentialIdOf(endpoint),
      concurrency,
    }),
  );
  preparedByEndpoint.set(endpoint, { concurrency, prepared });
  return prepared;
}

function credentialIdOf(endpoint: DispatchEndpoint): string {
  return `endpoint:${endpoint.id}`;
}

/**
 * Runs the endpoint's template once for all of `deliveries` (one execution, many items) and
 * reads each delivery's attempt off the Webhook Deliver output, traced back by pairedItem.
 * A delivery the workflow never reached (a node error) is reported as a permanent failure with
 * the workflow's error, so it is recorded rather than lost.
 */
export async function dispatchToEndpoint(
  endpoint: DispatchEndpoint,
  deliveries: readonly DispatchDelivery[],
  options: DispatchOptions,
): Promise<AttemptReport[]> {
  const credentialId = credentialIdOf(endpoint);
  const prepared = preparedFor(endpoint, options.concurrency);
  const { definition } = prepared;
  const [secret, previousSecret] = options.signingSecrets;
  const startedAt = new Date();
  const run = await executeWorkflow(prepared, triggerItems(deliveries), {
    credentials: { [credentialId]: { secret, previousSecret: previousSecret ?? '' } },
    executionId: options.executionId,
  });

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
      return {
        deliveryId: delivery.id,
        startedAt,
        durationMs: 0,
        success: false,
        outcome: 'permanent',
        httpStatus: null,
        error: `workflow error: ${error}`,
        retryAfterMs: null,
        responseExcerpt: null,
        requestHeaders: {},
        payload: body.body,
        contentType: body.contentType,
        cause: 'workflow',
      };
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
      requestHeaders: (json.requestHeaders as Record<string, string> | undefined) ?? {},
      payload: body.body,
      contentType: body.contentType,
      cause: asString(json.cause),
    };
  });
}
