/** Seller routes for endpoints (R2, R6, R7): CRUD, send test, history. */
import { endpointWarnings } from '../../../../core/mapping.js';
import { generateSigningSecret } from '../../../../core/signing.js';
import { troubleshootingFor } from '../../../../core/troubleshooting.js';
import type { HeaderPair } from '../../../../core/types.js';
import { newId } from '../../ids.js';
import { historyPage, InvalidCursorError } from '../../store/attempts.js';
import { releaseEnabled, releaseEndpoint } from '../../store/deliveryState/index.js';
import { resetPacing } from '../../store/pacing.js';
import {
  deleteEndpoint,
  getEndpoint,
  getEndpointWithLastDelivery,
  insertEndpoint,
  listEndpoints,
  updateEndpoint,
} from '../../store/endpoints.js';
import { checkSettings, mergeSettings, settingsFromCreate } from '../endpointSettings.js';
import { notFound, validationFailed } from '../errors.js';
import { defineRoute } from '../route.js';
import {
  EndpointCreateBody,
  EndpointCreated,
  EndpointList,
  EndpointPatchBody,
  EndpointSaved,
  EndpointView,
  HistoryQuery,
  HistoryResponse,
  IdParams,
  TestResultBody,
} from '../schemas.js';
import { attemptView, endpointView } from '../views.js';
import { errorResponses } from './errorDocs.js';

const errors = errorResponses;

function headersChanged(before: readonly HeaderPair[], after: readonly HeaderPair[]): boolean {
  return (
    before.length !== after.length ||
    before.some((h, i) => h.name !== after[i].name || h.value !== after[i].value)
  );
}

const endpointNotFound = (id: string) =>
  notFound('endpoint', [{ path: 'id', message: `no endpoint "${id}"` }]);

export const createEndpointRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints',
  auth: 'seller',
  tag: 'Endpoints',
  summary: 'Create a webhook endpoint (the signing secret is returned once)',
  body: EndpointCreateBody,
  responses: {
    201: { description: 'Created', schema: EndpointCreated },
    ...errors(400, 401, 403, 413),
  },
  async handler({ body, auth, deps, res }) {
    const settings = await checkSettings(deps, deps.db, auth.sellerId, settingsFromCreate(body), {
      checkUrl: true,
      checkLeadOrders: true,
    });
    const endpoint = await insertEndpoint(deps.db, deps.box, {
      id: newId('endpoint'),
      sellerId: auth.sellerId,
      settings,
      signingSecret: generateSigningSecret(),
    });
    res.status(201).json({
      ...endpointView(endpoint, null),
      warnings: endpointWarnings(settings),
      signingSecret: endpoint.signingSecret,
    });
  },
});

export const listEndpointsRoute = defineRoute({
  method: 'get',
  path: '/v1/endpoints',
  auth: 'seller',
  tag: 'Endpoints',
  summary: "The seller's endpoints, oldest first, each with its last delivery",
  responses: { 200: { description: 'The endpoints', schema: EndpointList }, ...errors(401, 403) },
  async handler({ auth, deps, res }) {
    const endpoints = await listEndpoints(deps.db, deps.box, auth.sellerId);
    res.json({ items: endpoints.map((e) => endpointView(e, e.lastDelivery)) });
  },
});

export const getEndpointRoute = defineRoute({
  method: 'get',
  path: '/v1/endpoints/:id',
  auth: 'seller',
  tag: 'Endpoints',
  summary: 'One endpoint (header values redacted, signing secret as a prefix)',
  params: IdParams,
  responses: {
    200: { description: 'The endpoint', schema: EndpointView },
    ...errors(401, 403, 404),
  },
  async handler({ params, auth, deps, res }) {
    const endpoint = await getEndpointWithLastDelivery(deps.db, deps.box, auth.sellerId, params.id);
    if (!endpoint) throw endpointNotFound(params.id);
    res.json(endpointView(endpoint, endpoint.lastDelivery));
  },
});

export const patchEndpointRoute = defineRoute({
  method: 'patch',
  path: '/v1/endpoints/:id',
  auth: 'seller',
  tag: 'Endpoints',
  summary:
    'Change settings; the merged endpoint is validated as a whole. Re-enabling sends what was held.',
  params: IdParams,
  body: EndpointPatchBody,
  responses: {
    200: { description: 'The updated endpoint', schema: EndpointSaved },
    ...errors(400, 401, 403, 404, 413),
  },
  async handler({ params, body, auth, deps, res }) {
    const current = await getEndpoint(deps.db, deps.box, auth.sellerId, params.id);
    if (!current) throw endpointNotFound(params.id);
    const settings = await checkSettings(
      deps,
      deps.db,
      auth.sellerId,
      mergeSettings(current, body),
      {
        checkUrl: body.url !== undefined,
        checkLeadOrders: body.leadOrderIds !== undefined,
      },
    );
    const updated = await deps.db.transaction(async (tx) => {
      const locked = await getEndpoint(tx, deps.box, auth.sellerId, params.id, { forUpdate: true });
      if (!locked) throw endpointNotFound(params.id);
      const result = await updateEndpoint(tx, deps.box, auth.sellerId, params.id, settings);
      if (!locked.enabled && settings.enabled) {
        // Held deliveries go out now; the worker's claim (pending → sending) drops duplicate jobs.
        await releaseEnabled(tx, deps.queue, params.id);
      }
      if (
        (settings.url !== locked.url || headersChanged(locked.headers, settings.headers)) &&
        (await resetPacing(tx, params.id))
      ) {
        // A new URL is a new receiver, and new headers are usually the credential the receiver
        // refused (a 401 is retried, see core/classify.ts): its circuit starts closed and what it
        // held goes out now, instead of at the next probe.
        await releaseEndpoint(tx, deps.queue, params.id);
      }
      return getEndpointWithLastDelivery(tx, deps.box, auth.sellerId, result!.id);
    });
    if (!updated) throw endpointNotFound(params.id);
    res.json({
      ...endpointView(updated, updated.lastDelivery),
      warnings: endpointWarnings(settings),
    });
  },
});

export const deleteEndpointRoute = defineRoute({
  method: 'delete',
  path: '/v1/endpoints/:id',
  auth: 'seller',
  tag: 'Endpoints',
  summary:
    'Delete an endpoint with its deliveries and history: its pending and retrying deliveries are never sent',
  params: IdParams,
  responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) },
  async handler({ params, auth, deps, res }) {
    if (!(await deleteEndpoint(deps.db, auth.sellerId, params.id)))
      throw endpointNotFound(params.id);
    res.status(204).end();
  },
});

export const testEndpointRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints/:id/test',
  auth: 'seller',
  tag: 'Endpoints',
  summary: 'Send the sample lead through the endpoint now (R7); recorded in history as a test',
  params: IdParams,
  responses: {
    200: { description: 'The attempt', schema: TestResultBody },
    ...errors(401, 403, 404),
  },
  async handler({ params, auth, deps, res }) {
    const endpoint = await getEndpoint(deps.db, deps.box, auth.sellerId, params.id);
    if (!endpoint) throw endpointNotFound(params.id);
    const result = await deps.delivery.sendTest(endpoint);
    res.json({
      success: result.success,
      httpStatus: result.httpStatus,
      durationMs: result.durationMs,
      error: result.error,
      responseExcerpt: result.responseExcerpt,
      payload: result.payload,
      contentType: result.contentType ?? null,
      troubleshooting: troubleshootingFor({
        success: result.success,
        cause: result.cause ?? null,
        httpStatus: result.httpStatus,
      }),
    });
  },
});

export const endpointHistoryRoute = defineRoute({
  method: 'get',
  path: '/v1/endpoints/:id/history',
  auth: 'seller',
  tag: 'Endpoints',
  summary:
    'Notification history (R6): attempts newest first, keyset-paginated, filtered by status, time range, messageType, lead id and test',
  params: IdParams,
  query: HistoryQuery,
  responses: {
    200: { description: 'One page', schema: HistoryResponse },
    ...errors(400, 401, 403, 404),
  },
  async handler({ params, query, auth, deps, res }) {
    const endpoint = await getEndpoint(deps.db, deps.box, auth.sellerId, params.id);
    if (!endpoint) throw endpointNotFound(params.id);
    try {
      const page = await historyPage(deps.db, {
        ...query,
        sellerId: auth.sellerId,
        endpointId: endpoint.id,
      });
      res.json({ items: page.items.map(attemptView), nextCursor: page.nextCursor });
    } catch (err) {
      if (err instanceof InvalidCursorError) {
        throw validationFailed([{ path: 'cursor', message: err.message }]);
      }
      throw err;
    }
  },
});

export const endpointRoutes = [
  createEndpointRoute,
  listEndpointsRoute,
  getEndpointRoute,
  patchEndpointRoute,
  deleteEndpointRoute,
  testEndpointRoute,
  endpointHistoryRoute,
];
