import { ERROR_REASONS, ERROR_TABLE } from '../errors.js';
import type { RouteSpec, SecurityScheme } from './route.js';

/**
 * The shared pieces of /openapi.json: security requirements, the headers every client meets
 * (X-Request-Id, If-Match, Idempotency-Key, ETag, Retry-After), the error responses, and the
 * pass that marks free-form JSON objects as such so code generators type them
 * (`Record<string, unknown>`, not `Record<string, never>`).
 */

/**
 * Security requirement objects (alternatives). An app user's token always comes with the app's
 * key, so `userBearer` is ANDed with `appKey`: routes that list userBearer without adminBearer
 * need a signed-in user; those that also list adminBearer take the key alone, the key with a
 * user's token, or an admin token. Every app-key route also takes an admin token with secret-key
 * power (http/app-access.ts). No schemes: a public route (`security: []`).
 */
export function securityRequirements(spec: Pick<RouteSpec, 'security'>): Array<Record<string, string[]>> {
  const s = new Set<SecurityScheme>(spec.security ?? []);
  if (s.size === 0) return [];
  const out: Array<Record<string, string[]>> = [];
  if (s.has('appKey') && s.has('userBearer')) out.push({ appKey: [], userBearer: [] });
  const userRequired = s.has('userBearer') && !s.has('adminBearer');
  if (s.has('appKey') && !userRequired) out.push({ appKey: [] });
  if (s.has('adminBearer') || (s.has('appKey') && !userRequired)) out.push({ adminBearer: [] });
  if (!s.has('appKey') && s.has('userBearer')) out.push({ userBearer: [] });
  return out;
}

export const SECURITY_SCHEMES = {
  adminBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Admin access token' },
  userBearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'App user access token (always together with the app key)',
  },
  appKey: { type: 'apiKey', in: 'header', name: 'X-Hearth-Key', description: 'pk_… or sk_… app key' },
};

export const PARAMETERS = {
  XRequestId: {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description: 'Your id for this request (8-128 of A-Za-z0-9._-), echoed back and logged; else the server makes one.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{8,128}$' },
  },
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description:
      'Write only if the stored version is this one (the ETag of a read), else 409 conflict (reason `version`).',
    schema: { type: 'string', pattern: '^"?\\d+"?$' },
    example: '"3"',
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Retry-safe writes: a repeated key (same caller, same request) gets the first answer for 24 hours; the same key with another request is 409 (reason `idempotency_key_reused`).',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
    example: 'c0ffee-3f1d-4a7e-9b52-2d1f1f0e7a11',
  },
  HearthInstallation: {
    name: 'X-Hearth-Installation',
    in: 'header',
    required: false,
    description:
      "This device's push installation id: an anonymous installation is linked to the user on sign-in (and refresh), unlinked on sign-out; another user's is left alone. A value that is not an id is ignored.",
    schema: { type: 'string' },
  },
};

export const HEADERS = {
  XRequestId: {
    description: 'The request id (yours, or one the server made): quote it when reporting a problem.',
    schema: { type: 'string' },
  },
  ETag: {
    description: "The document's version, quoted (send it back as If-Match).",
    schema: { type: 'string' },
    example: '"3"',
  },
  RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
};

const errorResponse = (description: string, headers: Record<string, unknown> = {}) => ({
  description,
  headers: { 'X-Request-Id': { $ref: '#/components/headers/XRequestId' }, ...headers },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

export const RESPONSES = {
  BadRequest: errorResponse('invalid_request or validation_failed (details.fields names each bad field)'),
  Unauthorized: errorResponse('invalid_api_key or unauthorized'),
  NotFound: errorResponse('not_found'),
  RateLimited: errorResponse('rate_limited', { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } }),
  Unavailable: errorResponse('unavailable: a dependency is down', {
    'Retry-After': { $ref: '#/components/headers/RetryAfter' },
  }),
  Error: errorResponse('Any other error of the error table'),
};

const allReasons = [...new Set(Object.values(ERROR_REASONS).flat())].sort();

export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_TABLE) },
        message: { type: 'string' },
        details: {
          type: 'object',
          properties: {
            reason: { type: 'string', enum: allReasons, description: 'Declared per code (ERROR_REASONS).' },
            fields: {
              type: 'object',
              additionalProperties: { type: 'string' },
              description: 'validation_failed: one message per bad field.',
            },
          },
          additionalProperties: {},
        },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
  examples: [{ error: { code: 'conflict', message: 'The document changed.', details: { reason: 'version' } } }],
};

/** The error responses an operation may meet, beside those its route declares. */
export function errorResponses(spec: RouteSpec, hasParams: boolean): Record<string, unknown> {
  const ref = (name: keyof typeof RESPONSES) => ({ $ref: `#/components/responses/${name}` });
  return {
    ...(spec.body || spec.query || spec.params || spec.rawBody ? { 400: ref('BadRequest') } : {}),
    ...(spec.security?.length ? { 401: ref('Unauthorized') } : {}),
    ...(hasParams ? { 404: ref('NotFound') } : {}),
    ...(spec.path.startsWith('/v1/') ? { 429: ref('RateLimited') } : {}),
    503: ref('Unavailable'),
    default: ref('Error'),
  };
}

/**
 * Marks every object schema with no declared shape as free-form JSON (`additionalProperties: {}`),
 * recursively: zod's `z.record`/`z.looseObject` already say so, a hand-written `{type: 'object'}`
 * did not, and generators read a bare object as "no properties".
 */
export function openObjects<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(openObjects) as T;
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema))
    out[k] = k === 'const' || k === 'default' || k === 'examples' || k === 'example' ? v : openObjects(v);
  const types = Array.isArray(out.type) ? out.type : [out.type];
  if (
    types.includes('object') &&
    out.properties === undefined &&
    out.additionalProperties === undefined &&
    out.patternProperties === undefined &&
    out.oneOf === undefined &&
    out.anyOf === undefined &&
    out.allOf === undefined
  ) {
    out.additionalProperties = {};
  }
  return out as T;
}
