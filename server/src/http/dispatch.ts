import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * The request pipeline without express's per-layer walk on the hot path.
 *
 * express's router tries its layers one after the other: every request ran the path regexp of
 * each route declared before its own (about 30 for the document routes, 90 for a 404) and went
 * through one router layer per middleware. `routeDispatcher` finds the route in a table keyed by
 * method and number of path segments, with express's matching rules (case-insensitive, an
 * optional trailing slash, `:params` of one non-empty segment, percent-decoded, a malformed
 * encoding passed on as the URIError express passes on, HEAD served by GET routes, the first
 * declared route winning); a request it does not match goes on to the express router that holds
 * the same routes (mounted next, starting with `skipDispatched`), so anything unusual (OPTIONS'
 * automatic Allow answer) behaves as before, and the metrics' route walk still sees every route.
 * dispatch.test.ts checks it against express on the same routes.
 */
export interface DispatchRoute {
  method: string;
  /** Express path with `:params`, e.g. `/v1/apps/:appId/collections/:collection/documents`. */
  path: string;
  handlers: RequestHandler[];
}

interface Entry {
  regexp: RegExp;
  names: string[];
  /** What express puts in `req.route`; `template` is the full path (the metrics' route label). */
  route: { path: string; template: string; methods: Record<string, boolean> };
  run: RequestHandler;
}

const SEGMENT = /^:([A-Za-z_$][A-Za-z0-9_$]*)$/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Number of path segments: `/a/b` → 2, `/` → 0 (after an optional trailing slash is dropped). */
function segments(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return path === '/' ? 0 : n;
}

function compile(path: string): { regexp: RegExp; names: string[] } | null {
  const names: string[] = [];
  const parts = path.split('/').slice(1);
  let source = '';
  for (const part of parts) {
    const param = SEGMENT.exec(part);
    if (param) {
      names.push(param[1]!);
      source += '/([^/]+)';
    } else if (/^[A-Za-z0-9._~-]*$/.test(part)) {
      source += `/${escapeRegExp(part)}`;
    } else {
      return null; // wildcards, optional groups…: left to express
    }
  }
  return { regexp: new RegExp(`^${source || '/'}$`, 'i'), names };
}

function decodeParam(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch (err) {
    if (err instanceof URIError) {
      err.message = `Failed to decode param '${value}'`;
      (err as URIError & { status?: number; statusCode?: number }).status = 400;
      (err as URIError & { statusCode?: number }).statusCode = 400;
    }
    throw err;
  }
}

/**
 * Runs handlers one after the other as express runs a layer's stack: `next()` goes on, `next(err)`
 * (or a throw, or a rejected promise) leaves with the error; after the last, `done()`.
 */
export function chain(handlers: readonly RequestHandler[]): RequestHandler {
  if (handlers.length === 1) {
    const [only] = handlers as [RequestHandler];
    return (req, res, done) => invoke(only, req, res, done);
  }
  return (req, res, done) => {
    let i = 0;
    const next: NextFunction = (err?: unknown) => {
      if (err !== undefined && err !== null && err !== 'route' && err !== 'router') return done(err);
      if (err === 'route' || err === 'router' || i >= handlers.length) return done(err as undefined);
      invoke(handlers[i++]!, req, res, next);
    };
    next();
  };
}

function invoke(handler: RequestHandler, req: Request, res: Response, next: NextFunction): void {
  try {
    const result = handler(req, res, next) as unknown;
    if (result instanceof Promise) result.catch((err: unknown) => next(err ?? new Error('Rejected promise')));
  } catch (err) {
    next(err);
  }
}

const DISPATCHED = Symbol('dispatched');

/**
 * The first middleware of the express router behind the dispatcher: a request whose route the
 * dispatcher already ran (and which called next() without an error, as past a route layer) skips
 * that router instead of running the route again.
 */
export const skipDispatched: RequestHandler = (req, _res, next) =>
  (req as Request & { [DISPATCHED]?: true })[DISPATCHED] ? next('router') : next();

/** Requests no entry matches go on (next()) to the express router holding the same routes. */
export function routeDispatcher(routes: readonly DispatchRoute[]): RequestHandler {
  /** method → segment count → entries in declaration order. */
  const table = new Map<string, Map<number, Entry[]>>();
  for (const r of routes) {
    const compiled = compile(r.path);
    if (!compiled) continue;
    const method = r.method.toUpperCase();
    let byCount = table.get(method);
    if (!byCount) table.set(method, (byCount = new Map()));
    const count = segments(r.path);
    let entries = byCount.get(count);
    if (!entries) byCount.set(count, (entries = []));
    entries.push({
      ...compiled,
      route: { path: r.path, template: r.path, methods: { [r.method.toLowerCase()]: true } },
      run: chain(r.handlers),
    });
  }
  return (req, res, next) => {
    let path = req.path;
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const method = req.method === 'HEAD' ? (table.has('HEAD') ? 'HEAD' : 'GET') : req.method;
    const entries = table.get(method)?.get(segments(path));
    if (!entries) return next();
    for (const entry of entries) {
      const m = entry.regexp.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      try {
        for (let i = 0; i < entry.names.length; i++) params[entry.names[i]!] = decodeParam(m[i + 1]!);
      } catch (err) {
        return next(err);
      }
      req.params = params;
      (req as Request & { route: unknown }).route = entry.route;
      (req as Request & { [DISPATCHED]?: true })[DISPATCHED] = true;
      return entry.run(req, res, next);
    }
    next();
  };
}
