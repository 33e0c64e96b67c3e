/** Seller route for the history across all of the seller's webhooks (R6). */
import { historyPage, InvalidCursorError } from '../../store/attempts.js';
import { validationFailed } from '../errors.js';
import { defineRoute } from '../route.js';
import { HistoryQuery, HistoryResponse } from '../schemas.js';
import { attemptView } from '../views.js';
import { errorResponses } from './errorDocs.js';

export const sellerHistoryRoute = defineRoute({
  method: 'get',
  path: '/v1/history',
  auth: 'seller',
  tag: 'Deliveries',
  summary:
    "Notification history across all of the seller's webhooks (each attempt names its endpointId): newest first, keyset-paginated, with the same filters as an endpoint's history",
  query: HistoryQuery,
  responses: {
    200: { description: 'One page', schema: HistoryResponse },
    ...errorResponses(400, 401, 403),
  },
  async handler({ query, auth, deps, res }) {
    try {
      const page = await historyPage(deps.db, { ...query, sellerId: auth.sellerId });
      res.json({ items: page.items.map(attemptView), nextCursor: page.nextCursor });
    } catch (err) {
      if (err instanceof InvalidCursorError) {
        throw validationFailed([{ path: 'cursor', message: err.message }]);
      }
      throw err;
    }
  },
});

export const historyRoutes = [sellerHistoryRoute];
