import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { HearthError } from '../errors.js';

/**
 * One declaration per route operation: its request schemas validate the request, type the
 * handler and feed /openapi.json. Handlers return `{status, body, headers}` instead of writing
 * to the response.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type SecurityScheme = 'adminBearer' | 'appKey' | 'userBearer';

export interface HandlerResult {
  status?: number;
  body?: unknown;
  /** The JSON body already serialised (sent as it is, `application/json`); instead of `body`. */
  json?: string;
  headers?: Record<string, string>;
}

type Schema = z.ZodType;

/** One response of a route: a JSON body (`schema`), another content type (`content`), or none. */
export interface ResponseSpec {
  description: string;
  schema?: Schema;
  /** A non-JSON body (text, bytes, a document generated elsewhere), with its JSON Schema. */
  content?: { type: string; schema: Record<string, unknown> };
  /** Sent with an ETag header (a document's version). */
  etag?: boolean;
}
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<
  B extends Schema | undefined = Schema | undefined,
  Q extends Schema | undefined = Schema | undefined,
  P extends Schema | undefined = Schema | undefined,
> {
  method: HttpMethod;
  /** Express path with `:params`, e.g. `/v1/admin/apps/:appId`. */
  path: string;
  summary: string;
  tag: string;
  security?: SecurityScheme[];
  body?: B;
  /**
   * A body the handler reads itself (a multipart upload), documented in /openapi.json under its
   * content type; the JSON body rules skip these routes (see `rawBodyPaths` in modules/module.ts).
   */
  rawBody?: { contentType: string; schema: Record<string, unknown>; description?: string };
  query?: Q;
  params?: P;
  responses: Record<number, ResponseSpec>;
  /** Request headers the route reads, described in /openapi.json. */
  headers?: {
    ifMatch?: boolean;
    idempotencyKey?: boolean;
    /** X-Hearth-Installation: the device's push installation, linked to the session (auth routes). */
    installation?: boolean;
  };
  /** An example request body for /openapi.json. */
  bodyExample?: unknown;
  /** Run before validation (authentication, key resolution, rate limits). */
  before?: RequestHandler[];
  handler: (input: {
    body: Out<B>;
    query: Out<Q>;
    params: Out<P>;
    req: Request;
    res: Response;
  }) => Promise<HandlerResult> | HandlerResult;
}

/** Identity helper that keeps the handler's input types inferred from the schemas. */
export const defineRoute = <
  B extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
>(
  spec: RouteSpec<B, Q, P>,
): RouteSpec => spec as unknown as RouteSpec;

/** Turns zod issues into `details.fields`: one message per bad field. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join('.') : '(body)';
    fields[key] ??= issue.message;
  }
  return fields;
}

function parsePart(schema: Schema | undefined, value: unknown, part: 'body' | 'query' | 'params'): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  if (part === 'body') {
    throw new HearthError('validation_failed', 'One or more fields are invalid.', {
      fields: fieldErrors(result.error),
    });
  }
  const fields = fieldErrors(result.error);
  const names = Object.keys(fields).join(', ');
  throw new HearthError(
    'invalid_request',
    `Invalid ${part === 'query' ? 'query parameter' : 'path parameter'}: ${names}.`,
    {
      [part === 'query' ? 'query' : 'params']: fields,
    },
  );
}

/** Mounts route declarations on a router (app.ts also adds each to the OpenAPI registry). */
export function mountRoutes(router: Router, specs: RouteSpec[]): void {
  for (const spec of specs) router[spec.method](spec.path, ...routeHandlers(spec));
}

/** A route's handlers: its `before` ones, then validation and the handler (for http/dispatch.ts too). */
export function routeHandlers(spec: RouteSpec): RequestHandler[] {
  const run: RequestHandler = async (req, res) => {
    const body = spec.body ? parsePart(spec.body, req.body ?? {}, 'body') : undefined;
    const query = parsePart(spec.query, req.query, 'query');
    const params = parsePart(spec.params, req.params, 'params');
    const result = await spec.handler({ body, query, params, req, res } as never);
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
    const status = result.status ?? 200;
    if (result.json !== undefined && status !== 204) sendJson(req, res, status, result.json, true);
    else if (result.body === undefined || status === 204) res.status(status).end();
    else sendJson(req, res, status, JSON.stringify(result.body), false);
  };
  return [...(spec.before ?? []), run];
}

/**
 * What express's `res.json` sends for a JSON body (the same headers, a 304 for a fresh
 * conditional GET, no body for HEAD), without its per-reply content-type parsing and formatting
 * (app.ts sets no JSON replacer or spacing, and the ETag setting is off).
 */
function sendJson(req: Request, res: Response, status: number, text: string, forceType: boolean): void {
  res.statusCode = status;
  // res.json keeps a Content-Type the handler set; `.type('json')` (the pre-serialised path) did not.
  if (forceType || !res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8');
  const conditional = req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
  if (conditional && req.fresh) {
    res.statusCode = 304;
    res.removeHeader('Content-Type');
    res.end();
    return;
  }
  res.setHeader('Content-Length', Buffer.byteLength(text));
  if (req.method === 'HEAD') res.end();
  else res.end(text);
}
