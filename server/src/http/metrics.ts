import type { Request, RequestHandler, Response } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ERROR_REASONS, type ErrorCode } from '../errors.js';

/**
 * Prometheus metrics: process metrics; requests and latency by route template; errors answered
 * by code, reason and route. Every label comes from a bounded set: the route label is the
 * template a request matched (`/v1/apps/:appId/auth/links/verify`), never its URL, and
 * `unmatched` when it reached no route (404s, and requests answered by a middleware before any
 * route: a rejected app key, a dashboard asset). Reasons outside the error table count as `other`.
 */
export const UNMATCHED = 'unmatched';

export function createMetrics(): { registry: Registry; middleware: RequestHandler } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hearth_' });
  const requests = new Counter({
    name: 'hearth_http_requests_total',
    help: 'HTTP requests by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'hearth_http_request_duration_seconds',
    help: 'HTTP request latency by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'hearth_http_errors_total',
    help: 'Error responses by error code, reason (details.reason, or "none") and route template: failed sign-ins (unauthorized), refusals (forbidden), rate-limit hits (rate_limited)…',
    labelNames: ['code', 'reason', 'route'] as const,
    registers: [registry],
  });
  const templates = new RouteTemplates();
  // The labelled children, looked up once per label set (the sets are bounded, see above): a
  // request then costs two map lookups instead of prom-client hashing its label objects.
  const requestChildren = new Map<string, { inc(): void }>();
  const durationChildren = new Map<string, { observe(v: number): void }>();
  // One listener function for every response (no closure and no `once` wrapper per request).
  function onFinish(this: Response): void {
    const req = this.req;
    const route = templates.of(req);
    const seconds = Number(process.hrtime.bigint() - (this as TimedResponse)[STARTED]) / 1e9;
    const status = String(this.statusCode);
    const rkey = `${req.method} ${status} ${route}`;
    let counter = requestChildren.get(rkey);
    if (!counter) requestChildren.set(rkey, (counter = requests.labels({ method: req.method, route, status })));
    counter.inc();
    const dkey = `${req.method} ${route}`;
    let histogram = durationChildren.get(dkey);
    if (!histogram) durationChildren.set(dkey, (histogram = duration.labels({ method: req.method, route })));
    histogram.observe(seconds);
    const error = answeredErrors.get(this);
    if (error) errors.inc({ ...error, route });
  }
  const middleware: RequestHandler = (_req, res, next) => {
    (res as TimedResponse)[STARTED] = process.hrtime.bigint();
    res.on('finish', onFinish);
    next();
  };
  return { registry, middleware };
}

const STARTED = Symbol('metrics started');
type TimedResponse = Response & { [STARTED]: bigint };

const answeredErrors = new WeakMap<Response, { code: ErrorCode; reason: string }>();

/** Called by the error handler for the error it answers with, so the metrics can count it. */
export function noteAnsweredError(res: Response, code: ErrorCode, reason: unknown): void {
  const known = (ERROR_REASONS[code] as readonly string[]).includes(reason as string);
  answeredErrors.set(res, { code, reason: reason === undefined ? 'none' : known ? (reason as string) : 'other' });
}

/** Express's view of a router, as far as the template walk needs it (router 2.3's listRoutes). */
interface RouterLike {
  stack?: Array<{ route?: { path: unknown } }>;
  listRoutes?: () => Array<{ path: unknown; router?: RouterLike }>;
}

/**
 * The full template of the route a request matched. `req.route.path` is only the last part for
 * a route in a mounted router (`/verify` under `app.use('/v1/apps/:appId/auth/links', router)`),
 * and `req.baseUrl` is the mount point as requested, app id included. So the app's routers are
 * walked once (again if a route appears later) into route object → mount templates + route path.
 */
class RouteTemplates {
  private byRoute = new WeakMap<object, string>();
  /** Routes a fresh walk did not find (an unusual mount): not walked for again. */
  private readonly unseen = new WeakSet<object>();

  of(req: Request): string {
    const route = req.route as { path: unknown; template?: string } | undefined;
    if (!route) return UNMATCHED;
    // Routes found by http/dispatch.ts carry their full template.
    if (route.template !== undefined) return route.template;
    let template = this.byRoute.get(route);
    if (template === undefined && !this.unseen.has(route)) {
      this.byRoute = walk(req.app.router as unknown as RouterLike);
      template = this.byRoute.get(route);
      if (template === undefined) this.unseen.add(route);
    }
    // Its own path is still a bounded label.
    return template ?? pathText(route.path);
  }
}

function walk(router: RouterLike): WeakMap<object, string> {
  const byRoute = new WeakMap<object, string>();
  const visit = (r: RouterLike, prefix: string) => {
    for (const layer of r.stack ?? []) {
      if (layer.route && !byRoute.has(layer.route))
        byRoute.set(layer.route, join(prefix, pathText(layer.route.path)) || '/');
    }
    for (const entry of r.listRoutes?.() ?? [])
      if (entry.router) visit(entry.router, join(prefix, pathText(entry.path)));
  };
  visit(router, '');
  return byRoute;
}

/** A route path as a label: templates as written; a RegExp (which has no template) as "(regexp)". */
function pathText(path: unknown): string {
  if (typeof path === 'string') return path;
  if (Array.isArray(path)) return path.map(pathText).join('|');
  return '(regexp)';
}

/** A mount point and a path below it: `/` below `/a` is `/a`; the root mount is ''. */
function join(prefix: string, path: string): string {
  return path === '/' ? prefix : `${prefix}${path}`;
}
