/** Lead orders: the seller lists its own; the provider creates them. */
import { createLeadOrder, listLeadOrders } from '../../store/leadOrders.js';
import { getSeller } from '../../store/sellers.js';
import { notFound } from '../errors.js';
import { defineRoute } from '../route.js';
import { LeadOrderCreateBody, LeadOrderCreated, LeadOrderList } from '../schemas.js';
import { leadOrderView } from '../views.js';
import { errorResponses } from './errorDocs.js';

export const listLeadOrdersRoute = defineRoute({
  method: 'get',
  path: '/v1/lead-orders',
  auth: 'seller',
  tag: 'Lead orders',
  summary: "The seller's lead orders",
  responses: {
    200: { description: 'The lead orders', schema: LeadOrderList },
    ...errorResponses(401, 403),
  },
  async handler({ auth, deps, res }) {
    const orders = await listLeadOrders(deps.db, auth.sellerId);
    res.json({ items: orders.map(leadOrderView) });
  },
});

export const createLeadOrderRoute = defineRoute({
  method: 'post',
  path: '/v1/lead-orders',
  auth: 'provider',
  tag: 'Provider',
  summary: 'Create a lead order for a seller (provider key)',
  body: LeadOrderCreateBody,
  responses: {
    201: { description: 'Created', schema: LeadOrderCreated },
    ...errorResponses(400, 401, 403, 404),
  },
  async handler({ body, deps, res }) {
    const seller = await getSeller(deps.db, body.sellerId);
    if (!seller) {
      throw notFound('seller', [{ path: 'sellerId', message: `no seller "${body.sellerId}"` }]);
    }
    const order = await createLeadOrder(deps.db, { sellerId: seller.id, name: body.name });
    res.status(201).json({ id: order.id, sellerId: order.sellerId, name: order.name });
  },
});
