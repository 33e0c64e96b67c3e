/**
 * Seller routes for deliveries: resend one (R5), failed or succeeded. A resend sends the same
 * delivery again, with the same id, so its `webhook-id` is the one the receiver may already have
 * seen: a receiver that deduplicates by webhook-id treats it as the same message. Its attempt
 * numbers run on from the ones before.
 */
import { resendDelivery } from '../../store/deliveryState/index.js';
import { ApiError, notFound } from '../errors.js';
import { defineRoute } from '../route.js';
import { IdParams, ResendAccepted } from '../schemas.js';
import { errorResponses } from './errorDocs.js';

export const resendDeliveryRoute = defineRoute({
  method: 'post',
  path: '/v1/deliveries/:id/resend',
  auth: 'seller',
  tag: 'Deliveries',
  summary:
    'Resend a failed or succeeded delivery: back to pending with its retry schedule restarted; it keeps its webhook-id (the receiver can deduplicate) and its attempt numbers run on',
  params: IdParams,
  responses: {
    202: { description: 'Queued again', schema: ResendAccepted },
    ...errorResponses(401, 403, 404, 409),
  },
  async handler({ params, auth, deps, res }) {
    const delivery = await deps.db.transaction(async (tx) => {
      const result = await resendDelivery(tx, deps.queue, auth.sellerId, params.id);
      if (!result.ok) {
        if (result.reason === 'not_found') {
          throw notFound('delivery', [{ path: 'id', message: `no delivery "${params.id}"` }]);
        }
        if (result.reason === 'replaced') {
          throw new ApiError(
            409,
            'replaced',
            'a newer update of this lead has been delivered since: resend that one instead, so the receiver does not get older data over newer',
            [{ path: 'id', message: 'delivery is an older lead_update' }],
          );
        }
        throw new ApiError(
          409,
          'not_ended',
          `only a failed or succeeded delivery can be resent; this one is ${result.status}`,
          [{ path: 'id', message: `delivery is ${result.status}` }],
        );
      }
      return result.delivery;
    });
    res.status(202).json({ id: delivery.id, status: 'pending' });
  },
});

export const deliveryRoutes = [resendDeliveryRoute];
