/**
 * Seller routes for bulk delivery work on one endpoint: replay failed deliveries of a time range,
 * backfill past leads to a newly added endpoint, and read one delivery's status (R4: a superseded
 * update is visible here).
 */
import { getDeliveryForSeller, type Delivery } from '../../store/deliveries.js';
import { getEndpoint, NEW_LEAD_ENDPOINT_TYPES } from '../../store/endpoints.js';
import { ownedLeadOrderIds } from '../../store/leadOrders.js';
import { backfill, countReplayable, replayFailed } from '../../store/deliveryState/index.js';
import { ApiError, notFound, validationFailed } from '../errors.js';
import {
  BackfillBody,
  BulkAccepted,
  DeliveryView,
  ReplayBody,
  ReplayCount,
} from '../replaySchemas.js';
import { defineRoute } from '../route.js';
import { IdParams } from '../schemas.js';
import { errorResponses } from './errorDocs.js';

const endpointNotFound = (id: string) =>
  notFound('endpoint', [{ path: 'id', message: `no endpoint "${id}"` }]);

export const replayRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints/:id/replay',
  auth: 'seller',
  tag: 'Endpoints',
  summary:
    'Send the failed deliveries created in [from, to) again: back to pending, retry schedule restarted (dryRun: only count them)',
  params: IdParams,
  body: ReplayBody,
  responses: {
    200: { description: 'dryRun: how many would be sent again', schema: ReplayCount },
    202: { description: 'Queued again', schema: BulkAccepted },
    ...errorResponses(400, 401, 403, 404),
  },
  async handler({ params, body, auth, deps, res }) {
    const range = { from: body.from, to: body.to ?? new Date() };
    if (body.dryRun === true) {
      const endpoint = await getEndpoint(deps.db, deps.box, auth.sellerId, params.id);
      if (!endpoint) throw endpointNotFound(params.id);
      const count = await countReplayable(deps.db, auth.sellerId, endpoint.id, range);
      res.status(200).json({ count, dryRun: true });
      return;
    }
    const count = await deps.db.transaction(async (tx) => {
      const endpoint = await getEndpoint(tx, deps.box, auth.sellerId, params.id);
      if (!endpoint) throw endpointNotFound(params.id);
      return replayFailed(tx, deps.queue, auth.sellerId, endpoint.id, range);
    });
    res.status(202).json({ count });
  },
});

export const backfillRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints/:id/backfill',
  auth: 'seller',
  tag: 'Endpoints',
  summary:
    'Send past leads taken in during [from, to) to this endpoint as new_lead, once: leads it already has are skipped',
  params: IdParams,
  body: BackfillBody,
  responses: {
    202: { description: 'Queued', schema: BulkAccepted },
    ...errorResponses(400, 401, 403, 404, 409),
  },
  async handler({ params, body, auth, deps, res }) {
    const endpoint = await getEndpoint(deps.db, deps.box, auth.sellerId, params.id);
    if (!endpoint) throw endpointNotFound(params.id);
    if (!NEW_LEAD_ENDPOINT_TYPES.includes(endpoint.type)) {
      throw new ApiError(
        409,
        'wrong_endpoint_type',
        `this endpoint takes ${endpoint.type} only, not new leads`,
        [{ path: 'id', message: `endpoint type is ${endpoint.type}` }],
      );
    }
    const leadOrderId = body.leadOrderId ?? null;
    if (leadOrderId !== null) {
      const owned = await ownedLeadOrderIds(deps.db, auth.sellerId, [leadOrderId]);
      if (!owned.has(leadOrderId)) {
        throw validationFailed([
          { path: 'leadOrderId', message: `"${leadOrderId}" is not one of your lead orders` },
        ]);
      }
      if (endpoint.leadOrderIds.length > 0 && !endpoint.leadOrderIds.includes(leadOrderId)) {
        throw validationFailed([
          {
            path: 'leadOrderId',
            message: `"${leadOrderId}" is not one of this endpoint's lead orders`,
          },
        ]);
      }
    }
    const count = await deps.db.transaction((tx) =>
      backfill(tx, deps.queue, {
        sellerId: auth.sellerId,
        endpointId: endpoint.id,
        leadOrderId,
        range: { from: body.from, to: body.to ?? new Date() },
      }),
    );
    res.status(202).json({ count });
  },
});

export function deliveryView(delivery: Delivery) {
  return {
    id: delivery.id,
    endpointId: delivery.endpointId,
    leadId: delivery.leadId,
    messageType: delivery.messageType,
    test: delivery.test,
    status: delivery.status,
    attemptCount: delivery.attemptCount,
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    lastError: delivery.lastError,
    lastHttpStatus: delivery.lastHttpStatus,
    supersededBy: delivery.supersededBy,
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
  };
}

export const getDeliveryRoute = defineRoute({
  method: 'get',
  path: '/v1/deliveries/:id',
  auth: 'seller',
  tag: 'Deliveries',
  summary: 'One delivery: its status (superseded ones name their successor) and attempt count',
  params: IdParams,
  responses: {
    200: { description: 'The delivery', schema: DeliveryView },
    ...errorResponses(401, 403, 404),
  },
  async handler({ params, auth, deps, res }) {
    const delivery = await getDeliveryForSeller(deps.db, auth.sellerId, params.id);
    if (!delivery) {
      throw notFound('delivery', [{ path: 'id', message: `no delivery "${params.id}"` }]);
    }
    res.json(deliveryView(delivery));
  },
});

export const replayRoutes = [replayRoute, backfillRoute, getDeliveryRoute];
