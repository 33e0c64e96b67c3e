import { sampleLead } from '../../../core/catalogue.js';
import type { MessageType } from '../../../core/types.js';
import type { DeliveryService, TestResult } from '../api/deps.js';
import type { Db } from '../db/types.js';
import { newId } from '../ids.js';
import type { DeliveryQueue } from '../queue.js';
import { createTestDelivery } from '../store/deliveryState/index.js';
import type { Endpoint } from '../store/endpoints.js';
import { dispatchToEndpoint } from './dispatcher.js';
import { recordAttempt } from './recorder.js';
import { signingSecretsOf } from './signingSecrets.js';

export interface SendTestDeps {
  db: Db;
  queue: DeliveryQueue;
}

/**
 * R7 "Send test": the catalogue's sample lead through the endpoint's real path (its template run
 * by WorkflowExecute: mapping, format, headers, signing), synchronously, recorded in history with
 * the test flag. A test is never retried: the seller is looking at the answer.
 */
export async function sendTest(deps: SendTestDeps, endpoint: Endpoint): Promise<TestResult> {
  const messageType: MessageType = endpoint.type === 'lead_updates' ? 'lead_update' : 'new_lead';
  const sample = sampleLead();
  const delivery = await createTestDelivery(deps.db, {
    id: newId('delivery'),
    sellerId: endpoint.sellerId,
    endpointId: endpoint.id,
    leadId: sample.leadId,
    messageType,
    leadSnapshot: sample,
  });
  const [sent] = await dispatchToEndpoint(endpoint, [delivery], {
    concurrency: 1,
    signingSecrets: signingSecretsOf(endpoint),
  });
  // The answer shows what the history shows (texts PostgreSQL cannot store replaced).
  const { report } = await recordAttempt(deps.db, deps.queue, delivery, sent, {
    retryScheduleMs: [],
  });
  return {
    success: report.success,
    httpStatus: report.httpStatus,
    durationMs: report.durationMs,
    error: report.error,
    responseExcerpt: report.responseExcerpt,
    payload: report.payload,
    contentType: report.contentType,
    cause: report.success ? null : report.cause,
  };
}

export function deliveryService(deps: SendTestDeps): DeliveryService {
  return { sendTest: (endpoint) => sendTest(deps, endpoint) };
}
