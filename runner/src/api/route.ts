/**
 * Routes as data: method, path, auth, zod schemas and a handler. The same definitions register
 * the express handlers (auth → validation → handler) and generate the OpenAPI document, so the
 * document lists exactly the routes that exist.
 */
import type { Express, Request, Response } from 'express';
import type { z } from 'zod/v4';
import type { ResolvedDeps } from './deps.js';
import { authenticate, type AuthFor, type AuthKind } from './auth.js';
import { ApiError, validationFailed, zodDetails } from './errors.js';

export type Method = 'get' | 'post' | 'patch' | 'delete';

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteContext<A extends AuthKind, P, Q, B> {
  params: P;
  query: Q;
  body: B;
  auth: AuthFor<A>;
  deps: ResolvedDeps;
  req: Request;
  res: Response;
}

export interface RouteDef<A extends AuthKind = AuthKind, P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** express syntax: `/v1/endpoints/:id`. */
  path: string;
  auth: A;
  summary: string;
  tag: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  responses: Record<number, ResponseDoc>;
  handler: (ctx: RouteContext<A, P, Q, B>) => Promise<void> | void;
}

/** Identity with inference: `defineRoute({ auth: 'seller', body: schema, handler(ctx) {…} })`. */
export function defineRoute<A extends AuthKind, P = undefined, Q = undefined, B = undefined>(
  def: RouteDef<A, P, Q, B>,
): RouteDef<A, P, Q, B> {
  return def;
}

// A route of any auth/schemas, for lists of routes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDef<any, any, any, any>;

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, location: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(zodDetails(result.error, location));
  return result.data;
}

function hasBody(req: Request): boolean {
  const length = req.get('content-length');
  return (length !== undefined && length !== '0') || req.get('transfer-encoding') !== undefined;
}

export function registerRoutes(
  app: Express,
  routes: readonly AnyRoute[],
  deps: ResolvedDeps,
): void {
  for (const route of routes) {
    app[route.method](route.path, async (req: Request, res: Response) => {
      const auth = await authenticate(req, route.auth, {
        db: deps.db,
        providerApiKey: deps.config.providerApiKey,
      });
      if (route.body && req.body === undefined && hasBody(req)) {
        throw new ApiError(
          415,
          'unsupported_media_type',
          'send the body as JSON with Content-Type: application/json',
        );
      }
      const params = parse(route.params, req.params, 'params');
      const query = parse(route.query, req.query, 'query');
      const body = parse(route.body, req.body, 'body');
      if (route.body) req.body = body;
      await route.handler({ params, query, body, auth, deps, req, res });
    });
  }
  // A known path with another method: 405 with Allow, not 404.
  const methodsByPath = new Map<string, Set<string>>();
  for (const route of routes) {
    const methods = methodsByPath.get(route.path) ?? new Set<string>();
    methods.add(route.method.toUpperCase());
    if (route.method === 'get') methods.add('HEAD');
    methodsByPath.set(route.path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    app.all(path, (req: Request, res: Response) => {
      const allow = [...methods].join(', ');
      res.set('Allow', allow);
      res.status(405).json({
        error: {
          code: 'method_not_allowed',
          message: `${req.method} is not allowed on ${req.path} (allowed: ${allow})`,
          details: [],
        },
      });
    });
  }
}
