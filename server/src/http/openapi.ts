import { z } from 'zod';
import { ERROR_TABLE } from '../errors.js';
import {
  ERROR_SCHEMA,
  errorResponses,
  HEADERS,
  openObjects,
  PARAMETERS,
  RESPONSES,
  SECURITY_SCHEMES,
  securityRequirements,
} from './openapi.parts.js';
import type { ResponseSpec, RouteSpec } from './route.js';

/**
 * Collects every mounted route and renders an OpenAPI 3.1 document from the same zod schemas
 * that validate requests (zod's JSON Schema output is draft 2020-12, which 3.1 uses). The shared
 * parts (security, headers, error responses) are in openapi.parts.ts.
 */
export class OpenApiRegistry {
  private readonly routes: RouteSpec[] = [];
  private cached: OpenApiDocument | undefined;

  add(spec: RouteSpec): void {
    this.routes.push(spec);
    this.cached = undefined;
  }

  list(): readonly RouteSpec[] {
    return this.routes;
  }

  document(info: { version: string; serverUrl: string }): OpenApiDocument {
    this.cached ??= this.render(info);
    return this.cached;
  }

  private render(info: { version: string; serverUrl: string }): OpenApiDocument {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const spec of this.routes) {
      const path = openApiPath(spec.path);
      (paths[path] ??= {})[spec.method] = operation(spec, path);
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'Hearth API',
        version: info.version,
        license: { name: 'MIT', identifier: 'MIT' },
        description: `Errors: every error is {"error": {"code", "message", "details"}}. Codes: ${Object.entries(
          ERROR_TABLE,
        )
          .map(([c, r]) => `${c} (${r.status})`)
          .join(', ')}.`,
      },
      servers: [{ url: info.serverUrl }],
      paths,
      components: {
        securitySchemes: SECURITY_SCHEMES,
        parameters: PARAMETERS,
        headers: HEADERS,
        responses: RESPONSES,
        schemas: { Error: ERROR_SCHEMA },
      },
    };
  }
}

export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
}

export const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** One operation object: parameters, body, responses (with their headers) and security. */
export function operation(spec: RouteSpec, path: string): Record<string, unknown> {
  const parameters: object[] = [
    ...objectParams(spec.params, 'path'),
    ...objectParams(spec.query, 'query'),
    ...(spec.headers?.ifMatch ? [{ $ref: '#/components/parameters/IfMatch' }] : []),
    ...(spec.headers?.idempotencyKey ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
    ...(spec.headers?.installation ? [{ $ref: '#/components/parameters/HearthInstallation' }] : []),
    { $ref: '#/components/parameters/XRequestId' },
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(spec.responses)) responses[status] = response(Number(status), r);
  for (const [status, r] of Object.entries(errorResponses(spec, Boolean(spec.params)))) responses[status] ??= r;
  const example = spec.bodyExample === undefined ? {} : { example: spec.bodyExample };
  return {
    summary: spec.summary,
    tags: [spec.tag],
    operationId: `${spec.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    security: securityRequirements(spec),
    parameters,
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: toSchema(spec.body, 'input'), ...example } },
          },
        }
      : {}),
    ...(spec.rawBody
      ? {
          requestBody: {
            required: true,
            ...(spec.rawBody.description ? { description: spec.rawBody.description } : {}),
            content: { [spec.rawBody.contentType]: { schema: openObjects(spec.rawBody.schema) } },
          },
        }
      : {}),
    responses,
  };
}

function response(status: number, r: ResponseSpec): object {
  const headers = {
    'X-Request-Id': { $ref: '#/components/headers/XRequestId' },
    ...(r.etag ? { ETag: { $ref: '#/components/headers/ETag' } } : {}),
    ...(status === 429 || status === 503 ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } : {}),
  };
  const schema = r.schema
    ? { 'application/json': { schema: toSchema(r.schema, 'output') } }
    : r.content
      ? { [r.content.type]: { schema: openObjects(r.content.schema) } }
      : status >= 400
        ? { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }
        : undefined;
  return { description: r.description, headers, ...(schema ? { content: schema } : {}) };
}

export function toSchema(schema: z.ZodType, io: 'input' | 'output'): object {
  const json = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return openObjects(json);
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
