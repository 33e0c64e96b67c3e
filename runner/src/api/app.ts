/**
 * The express app, built from its dependencies and separate from `listen` (supertest uses it
 * directly). JSON in, JSON out, errors in one shape, never an HTML page.
 */
import express, { type Express } from 'express';
import { packageVersion } from '../../../core/version.js';
import { setIntakeCountsSource, setQueueDepthSource } from '../metrics.js';
import { ssrfEndpointUrlValidator } from '../security/ssrfGuard.js';
import { createSecretBox } from '../store/secretBox.js';
import type { AppDeps, ResolvedDeps } from './deps.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { refuseUnsafeBody, refuseUnsafeUrl, verifyUtf8Body } from './inputSafety.js';
import { createIntakeSlots } from './intake.js';
import { buildOpenApi } from './openapi.js';
import { requestLog } from './requestLog.js';
import { defineRoute, registerRoutes, type AnyRoute } from './route.js';
import { alertRoutes } from './routes/alerts.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { historyRoutes } from './routes/history.js';
import { endpointRoutes } from './routes/endpoints.js';
import { createLeadOrderRoute, listLeadOrdersRoute } from './routes/leadOrders.js';
import { changeMeetingRoute, createLeadRoute, createSellerRoute } from './routes/provider.js';
import { replayRoutes } from './routes/replay.js';
import { secretRoutes } from './routes/secrets.js';
import { fieldsRoute, healthRoute, metricsRoute } from './routes/system.js';

export const BODY_LIMIT = '1mb';

function runnerVersion(): string {
  try {
    return packageVersion();
  } catch {
    return '0.0.0';
  }
}

/** Every route of the API, the OpenAPI document's included. */
export function apiRoutes(): AnyRoute[] {
  const routes: AnyRoute[] = [
    fieldsRoute,
    ...endpointRoutes,
    ...deliveryRoutes,
    ...historyRoutes,
    ...replayRoutes,
    ...secretRoutes,
    ...alertRoutes,
    listLeadOrdersRoute,
    createLeadOrderRoute,
    createSellerRoute,
    createLeadRoute,
    changeMeetingRoute,
    healthRoute,
    metricsRoute,
  ];
  let document: unknown;
  const openApiRoute = defineRoute({
    method: 'get',
    path: '/v1/openapi.json',
    auth: 'none',
    tag: 'Operations',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1' } },
    handler({ res }) {
      document ??= buildOpenApi(routes, { version: runnerVersion() });
      res.json(document);
    },
  });
  routes.push(openApiRoute);
  return routes;
}

export function createApp(deps: AppDeps): Express {
  const resolved: ResolvedDeps = {
    ...deps,
    box: deps.box ?? createSecretBox(deps.config.secretsKey),
    validateEndpointUrl: deps.validateEndpointUrl ?? ssrfEndpointUrlValidator,
    intakeSlots: createIntakeSlots(deps.config.intakeMaxTransactions),
  };
  setQueueDepthSource(() => deps.queue.depth());
  setIntakeCountsSource(() => resolved.intakeSlots.counts());

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLog(deps.logger));
  app.use(refuseUnsafeUrl);
  app.use(express.json({ limit: BODY_LIMIT, verify: verifyUtf8Body }));
  app.use(refuseUnsafeBody);
  registerRoutes(app, apiRoutes(), resolved);
  deps.mount?.(app);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
