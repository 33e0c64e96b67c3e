/** Seller routes for deliveries: resend a failed one (R5). */
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
  summary: 'Resend a failed delivery: back to pending, attempt schedule restarted',
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
        throw new ApiError(
          409,
          'not_failed',
          `only failed deliveries can be resent; this one is ${result.status}`,
          [{ path: 'id', message: `delivery is ${result.status}` }],
        );
      }
      return result.delivery;
    });
    res.status(202).json({ id: delivery.id, status: 'pending' });
  },
});

export const deliveryRoutes = [resendDeliveryRoute];
