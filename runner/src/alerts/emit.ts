/**
 * Where alerts come from: each is queued in the transaction that makes its event happen (the
 * circuit's change, the settlement that fails a delivery for good), so an alert is never lost nor
 * sent for something rolled back; and nothing is sent there: the alert worker sends it later,
 * so no alert URL can slow down the path that records deliveries. Endpoints whose seller has no
 * alert URL cost one indexed lookup and no job.
 */
import type { Db } from '../db/types.js';
import type { DeliveryQueue } from '../queue.js';
import { alertedEndpoints } from '../store/alerts.js';
import type { Delivery } from '../store/deliveries.js';
import type { EndpointPacing } from '../store/pacing.js';
import { circuitOpenedAlert, deliveryFailedAlert, endpointRecoveredAlert } from './events.js';

export type AlertQueue = Pick<DeliveryQueue, 'enqueueAlerts'>;

/** The circuit of `endpointId` opened (from closed) or closed (from open or half-open). */
export async function queueCircuitAlert(
  tx: Db,
  queue: AlertQueue,
  endpointId: string,
  change: { opened: boolean; closed: boolean; before: EndpointPacing; after: EndpointPacing },
  at: Date,
): Promise<void> {
  const firstOpening = change.opened && change.before.circuitState === 'closed';
  if (!firstOpening && !change.closed) return;
  const endpoint = (await alertedEndpoints(tx, [endpointId])).get(endpointId);
  if (!endpoint) return;
  await queue.enqueueAlerts(tx, [
    firstOpening
      ? circuitOpenedAlert(endpoint, change.after, at)
      : endpointRecoveredAlert(endpoint, change.before.openedAt, at),
  ]);
}

export interface FailedForGood {
  delivery: Delivery;
  httpStatus: number | null;
  error: string | null;
}

/** Deliveries that failed for good in one settlement (Send tests never alert). */
export async function queueFailureAlerts(
  tx: Db,
  queue: AlertQueue,
  failed: readonly FailedForGood[],
  at: Date,
): Promise<void> {
  const real = failed.filter(({ delivery }) => !delivery.test);
  if (real.length === 0) return;
  const endpoints = await alertedEndpoints(
    tx,
    real.map(({ delivery }) => delivery.endpointId),
  );
  if (endpoints.size === 0) return;
  await queue.enqueueAlerts(
    tx,
    real.flatMap(({ delivery, httpStatus, error }) => {
      const endpoint = endpoints.get(delivery.endpointId);
      if (!endpoint) return [];
      return [
        deliveryFailedAlert(
          endpoint,
          {
            id: delivery.id,
            leadId: delivery.leadId,
            messageType: delivery.messageType,
            // attemptCount counts the claims, this one's included.
            attempts: delivery.attemptCount,
            httpStatus,
            error,
          },
          at,
        ),
      ];
    }),
  );
}
