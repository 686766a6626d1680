import { z } from 'zod';
import { ERROR_TABLE } from '../errors.js';
import type { RouteSpec, SecurityScheme } from './route.js';

/**
 * Collects every mounted route and renders an OpenAPI 3.1 document from the same zod schemas
 * that validate requests (zod's JSON Schema output is draft 2020-12, which 3.1 uses).
 */
export class OpenApiRegistry {
  private readonly routes: RouteSpec[] = [];
  private cached: object | undefined;

  add(spec: RouteSpec): void {
    this.routes.push(spec);
    this.cached = undefined;
  }

  list(): readonly RouteSpec[] {
    return this.routes;
  }

  document(info: { version: string; serverUrl: string }): object {
    this.cached ??= this.render(info);
    return this.cached;
  }

  private render(info: { version: string; serverUrl: string }): object {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const spec of this.routes) {
      const path = spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const parameters = [...objectParams(spec.params, 'path'), ...objectParams(spec.query, 'query')];
      const responses: Record<string, unknown> = {};
      for (const [status, r] of Object.entries(spec.responses)) {
        responses[status] = r.schema
          ? { description: r.description, content: { 'application/json': { schema: toSchema(r.schema, 'output') } } }
          : { description: r.description };
      }
      responses.default = {
        description: 'Error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
      (paths[path] ??= {})[spec.method] = {
        summary: spec.summary,
        tags: [spec.tag],
        operationId: `${spec.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
        ...(spec.security ? { security: securityOf(spec).map((s) => ({ [s]: [] })) } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(spec.body
          ? {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: toSchema(spec.body, 'input') } },
              },
            }
          : {}),
        ...(spec.rawBody
          ? {
              requestBody: {
                required: true,
                ...(spec.rawBody.description ? { description: spec.rawBody.description } : {}),
                content: { [spec.rawBody.contentType]: { schema: spec.rawBody.schema } },
              },
            }
          : {}),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'Hearth API',
        version: info.version,
        description: `Errors: every error is {"error": {"code", "message", "details"}}. Codes: ${Object.entries(
          ERROR_TABLE,
        )
          .map(([c, r]) => `${c} (${r.status})`)
          .join(', ')}.`,
      },
      servers: [{ url: info.serverUrl }],
      paths,
      components: {
        securitySchemes: {
          adminBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Admin access token' },
          userBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'App user access token' },
          appKey: { type: 'apiKey', in: 'header', name: 'X-Hearth-Key', description: 'pk_… or sk_… app key' },
        },
        schemas: {
          Error: {
            type: 'object',
            required: ['error'],
            properties: {
              error: {
                type: 'object',
                required: ['code', 'message'],
                properties: {
                  code: { type: 'string', enum: Object.keys(ERROR_TABLE) },
                  message: { type: 'string' },
                  details: { type: 'object' },
                },
              },
            },
          },
        },
      },
    };
  }
}

/**
 * The route's schemes, plus `adminBearer` wherever an app key is accepted: every route under
 * /v1/apps/{appId} also takes an admin token with secret-key power (http/app-access.ts), so the
 * document says so for each of them, including those that do not list it themselves.
 */
function securityOf(spec: RouteSpec): SecurityScheme[] {
  const schemes = spec.security ?? [];
  return schemes.includes('appKey') && !schemes.includes('adminBearer') ? [...schemes, 'adminBearer'] : schemes;
}

function toSchema(schema: z.ZodType, io: 'input' | 'output'): object {
  const json = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}

function objectParams(schema: z.ZodType | undefined, where: 'path' | 'query'): object[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input') as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}
