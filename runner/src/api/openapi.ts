/** The OpenAPI 3.1 document, generated from the route definitions and their zod schemas. */
import { z } from 'zod/v4';
import type { AnyRoute } from './route.js';
import { errorResponses } from './routes/errorDocs.js';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const result = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as JsonSchema;
  delete result.$schema;
  return result;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

/** `/v1/endpoints/:id` → `/v1/endpoints/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

export function buildOpenApi(routes: readonly AnyRoute[], info: { version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    // Every authenticated route reads the database, so each can find it unavailable.
    const documented =
      route.auth === 'none' ? route.responses : { ...errorResponses(503), ...route.responses };
    const responses = Object.fromEntries(
      Object.entries(documented).map(([status, doc]) => [
        status,
        {
          description: doc.description,
          ...(doc.schema || doc.contentType
            ? {
                content: {
                  [doc.contentType ?? 'application/json']: doc.schema
                    ? { schema: jsonSchema(doc.schema, 'output') }
                    : { schema: { type: 'string' } },
                },
              }
            : {}),
        },
      ]),
    );
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: `${route.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: route.summary,
      tags: [route.tag],
      security:
        route.auth === 'seller'
          ? [{ sellerKey: [] }]
          : route.auth === 'provider'
            ? [{ providerKey: [] }]
            : [],
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lead Delivery Runner API',
      version: info.version,
      description:
        'Webhook delivery of marketplace leads. Errors are always ' +
        '{"error":{"code","message","details":[{path,message}]}}.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        sellerKey: {
          type: 'http',
          scheme: 'bearer',
          description: "A seller's API key (ld_sk_…), from POST /v1/sellers",
        },
        providerKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'The provider key (PROVIDER_API_KEY) for lead intake and administration',
        },
      },
    },
    paths,
  };
}
