import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { HearthError } from '../../errors.js';
import type { OpenApiRegistry } from '../../http/openapi.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import type { ReadinessCheck } from '../../ports/readiness.js';

export function systemRoutes(deps: {
  checks: ReadinessCheck[];
  metrics: Registry | null;
  /** When set, /metrics answers only `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string | undefined;
  openapi: OpenApiRegistry;
  version: string;
  publicUrl: string;
}): RouteSpec[] {
  const routes: RouteSpec[] = [
    defineRoute({
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process is up',
      tag: 'System',
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
      handler: () => ({ body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: every configured engine answers',
      tag: 'System',
      responses: {
        200: {
          description: 'Ready',
          schema: z.object({
            status: z.literal('ok'),
            engines: z.record(z.string(), z.object({ engine: z.string(), ok: z.boolean() })),
          }),
        },
        503: { description: 'An engine is unreachable' },
      },
      handler: async () => {
        const results = await Promise.all(
          deps.checks.map(async (c) => {
            const ok = await Promise.race([
              c.check().then(
                () => true,
                () => false,
              ),
              new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref()),
            ]);
            return [c.name, { engine: c.engine, ok }] as const;
          }),
        );
        const engines = Object.fromEntries(results);
        if (results.some(([, r]) => !r.ok)) {
          throw new HearthError('unavailable', 'An engine is unreachable.', { engines });
        }
        return { body: { status: 'ok', engines } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      summary: 'This API as OpenAPI 3.1',
      tag: 'System',
      responses: {
        200: { description: 'The OpenAPI document', content: { type: 'application/json', schema: { type: 'object' } } },
      },
      handler: () => ({ body: deps.openapi.document({ version: deps.version, serverUrl: deps.publicUrl }) }),
    }),
  ];
  if (deps.metrics) {
    const registry = deps.metrics;
    routes.push(
      defineRoute({
        method: 'get',
        path: '/metrics',
        summary: 'Prometheus metrics (Authorization: Bearer <METRICS_TOKEN> when one is set)',
        tag: 'System',
        responses: {
          200: {
            description: 'Metrics in the Prometheus text format',
            content: { type: 'text/plain', schema: { type: 'string' } },
          },
          401: { description: 'METRICS_TOKEN is set and the request does not carry it' },
        },
        handler: async ({ req, res }) => {
          if (deps.metricsToken && !hasBearer(req, deps.metricsToken)) {
            throw new HearthError('unauthorized', 'The metrics token is missing or wrong.', undefined, {
              headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' },
            });
          }
          res.setHeader('Content-Type', registry.contentType);
          res.status(200).send(await registry.metrics());
          return {};
        },
      }),
    );
  }
  return routes;
}

/** Whether the request carries `Authorization: Bearer <token>`, compared in constant time. */
function hasBearer(req: Request, token: string): boolean {
  const header = req.get('authorization') ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
