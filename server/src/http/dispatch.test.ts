import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { chain, routeDispatcher, skipDispatched, type DispatchRoute } from './dispatch.js';

/** The table dispatcher answers every request exactly as express's router does on the same routes. */
const echo =
  (name: string): RequestHandler =>
  (req, res) => {
    res.json({ name, params: req.params, route: (req.route as { path: string }).path });
  };
const ROUTES: DispatchRoute[] = [
  { method: 'get', path: '/healthz', handlers: [echo('health')] },
  { method: 'get', path: '/v1/apps/:appId', handlers: [echo('app')] },
  { method: 'get', path: '/v1/apps/:appId/users/me', handlers: [echo('me')] },
  { method: 'get', path: '/v1/apps/:appId/users/:userId', handlers: [echo('user')] },
  { method: 'get', path: '/v1/apps/:appId/collections/:collection/documents', handlers: [echo('list')] },
  {
    method: 'post',
    path: '/v1/apps/:appId/collections/:collection/documents',
    handlers: [(_req, _res, next) => next(), echo('create')],
  },
  { method: 'get', path: '/v1/apps/:appId/collections/:collection/documents/:id', handlers: [echo('get')] },
  {
    method: 'patch',
    path: '/v1/apps/:appId/collections/:collection/documents/:id',
    handlers: [
      async () => {
        throw Object.assign(new Error('refused'), { status: 403 });
      },
    ],
  },
  { method: 'delete', path: '/v1/apps/:appId/fall', handlers: [(_req, _res, next) => next()] },
];

function appWith(useTable: boolean) {
  const app = express();
  const router = express.Router();
  if (useTable) router.use(skipDispatched);
  for (const r of ROUTES) router[r.method as 'get'](r.path, ...r.handlers);
  if (useTable) app.use(routeDispatcher(ROUTES));
  app.use(router);
  app.use((req, res) => res.status(404).json({ notFound: req.path }));
  app.use(((err, _req, res, _next) => {
    res.status(err.status ?? 500).json({ error: err.message, uri: err instanceof URIError });
  }) as express.ErrorRequestHandler);
  return app;
}

const CASES: Array<[string, string]> = [
  ['get', '/healthz'],
  ['get', '/HEALTHZ'],
  ['get', '/healthz/'],
  ['get', '/healthz//'],
  ['get', '/v1/apps/a1'],
  ['get', '/v1/apps/a1/users/me'],
  ['get', '/v1/apps/a1/users/u%20x'],
  ['get', '/v1/apps/a1/users/%E0%A4%A'],
  ['get', '/v1/apps/a1/users/'],
  ['get', '/v1/apps/a1/collections/todos/documents?limit=2'],
  ['get', '/v1/apps/a1/collections/todos/documents/d1'],
  ['get', '/v1/apps/a1/collections/to%2Fdos/documents/d1'],
  ['get', '/v1/apps/a1/collections//documents'],
  ['head', '/v1/apps/a1/collections/todos/documents/d1'],
  ['post', '/v1/apps/a1/collections/todos/documents'],
  ['patch', '/v1/apps/a1/collections/todos/documents/d1'],
  ['put', '/v1/apps/a1/collections/todos/documents/d1'],
  ['options', '/v1/apps/a1/collections/todos/documents/d1'],
  ['delete', '/v1/apps/a1/fall'],
  ['get', '/v1/nothing/here'],
];

describe('route dispatcher', () => {
  it.each(CASES)('%s %s: as express', async (method, path) => {
    const [viaRouter, viaTable] = await Promise.all(
      [false, true].map((t) =>
        (request(appWith(t)) as unknown as Record<string, (p: string) => request.Test>)[method]!(path),
      ),
    );
    expect({ status: viaTable!.status, body: viaTable!.body, allow: viaTable!.headers.allow }).toEqual({
      status: viaRouter!.status,
      body: viaRouter!.body,
      allow: viaRouter!.headers.allow,
    });
  });

  it('chain runs handlers in order and stops at an error (thrown, rejected or passed)', async () => {
    const seen: string[] = [];
    const run = (handlers: RequestHandler[]) =>
      new Promise((resolve) => chain(handlers)({} as never, {} as never, (err?: unknown) => resolve(err ?? 'done')));
    const step =
      (n: string): RequestHandler =>
      (_q, _s, next) => {
        seen.push(n);
        next();
      };
    expect(await run([step('a'), step('b')])).toBe('done');
    expect(
      await run([
        step('c'),
        () => {
          throw new Error('x');
        },
        step('never'),
      ]),
    ).toMatchObject({ message: 'x' });
    expect(await run([async () => Promise.reject(new Error('y')), step('never')])).toMatchObject({ message: 'y' });
    expect(await run([(_q, _s, next) => next(new Error('z')), step('never')])).toMatchObject({ message: 'z' });
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});
