/**
 * The answer Webhook Deliver gives the request that started its flow, when that flow's Lead
 * Trigger is set to respond after delivery (n8n's 'responseNode' mode). The sender (the lead
 * provider or the Lead Delivery runner) then learns whether the lead reached the receiver, not only
 * that n8n got it: a failed delivery comes back as a status the sender retries, with the
 * receiver's error in the body, so the sender's history shows why.
 */
import type {
  IDataObject,
  IExecuteFunctions,
  IN8nHttpFullResponse,
  INodeExecutionData,
} from 'n8n-workflow';

export const LEAD_TRIGGER_TYPE = 'n8n-nodes-lead-delivery.leadTrigger';
/** The Lead Trigger's `respond` value that hands the answer to Webhook Deliver (its default). */
const RESPOND_AFTER_DELIVERY = 'afterDelivery';

/** Whether an enabled Lead Trigger upstream of this node waits for the delivery to answer. */
export function triggerAwaitsDelivery(context: IExecuteFunctions): boolean {
  const parents = context.getParentNodes(context.getNode().name, { includeNodeParameters: true });
  return parents.some(
    (parent) =>
      parent.type === LEAD_TRIGGER_TYPE &&
      !parent.disabled &&
      (parent.parameters?.respond ?? RESPOND_AFTER_DELIVERY) === RESPOND_AFTER_DELIVERY,
  );
}

interface DeliveryReport {
  deliveryId: string | null;
  success: boolean;
  statusCode: number | null;
  outcome: string | null;
  cause: string | null;
  error: string | null;
  retryAfterMs: number | null;
}

function reportOf(json: IDataObject): DeliveryReport {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const number = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    deliveryId: text(json.deliveryId),
    success: json.success === true,
    statusCode: number(json.statusCode),
    // An error item (Continue On Fail) has no outcome: it was never sent.
    outcome: text(json.outcome),
    cause: text(json.cause),
    error: text(json.error),
    retryAfterMs: number(json.retryAfterMs),
  };
}

/**
 * 200 when every item was delivered. Otherwise the first failure's error, and a status that tells
 * the sender what to do:
 * - 422 when every failure is the receiver refusing that lead's payload (cause `rejected`: 400,
 *   409, 413, 422): sending the same lead again cannot succeed, so the sender must not retry;
 * - 503 with Retry-After when the receiver asked to be retried later;
 * - 502 otherwise (the receiver failed, was unreachable, refused our credentials or URL, or the
 *   item could not be sent): the sender retries.
 */
export function triggerAnswer(items: readonly INodeExecutionData[]): IN8nHttpFullResponse {
  const reports = items.map((item) => reportOf(item.json));
  const failed = reports.filter((report) => !report.success);
  const deliveries = reports.map(({ deliveryId, success, statusCode, outcome, error }) => ({
    deliveryId,
    success,
    statusCode,
    outcome,
    error,
  }));
  const headers: IDataObject = { 'content-type': 'application/json; charset=utf-8' };
  const counts = { delivered: reports.length - failed.length, failed: failed.length };
  if (failed.length === 0) {
    return { statusCode: 200, headers, body: { ...counts, deliveries } };
  }
  const first = failed[0];
  const message = first.error ?? 'the delivery failed';
  const body = {
    error: { code: 'delivery_failed', message: `Delivery to the receiver failed: ${message}` },
    ...counts,
    deliveries,
  };
  if (failed.every((report) => report.cause === 'rejected')) {
    return { statusCode: 422, headers, body };
  }
  const retryAfterMs = Math.max(0, ...failed.map((report) => report.retryAfterMs ?? 0));
  if (retryAfterMs > 0) {
    headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
    return { statusCode: 503, headers, body };
  }
  return { statusCode: 502, headers, body };
}
