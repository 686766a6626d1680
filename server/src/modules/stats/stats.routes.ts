import type { RequestHandler } from 'express';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam } from '../../http/schemas.js';
import { WINDOWS, type StatsService, type StatsWindow } from './stats.service.js';

const count = z.number().int().min(0);
export const statsView = z.object({
  window: z.enum(Object.keys(WINDOWS) as [StatsWindow, ...StatsWindow[]]),
  from: z.string(),
  to: z.string(),
  traffic: z.object({
    requests: count,
    clientErrors: count,
    serverErrors: count,
    series: z.array(z.object({ at: z.string(), requests: count, errors: count })),
  }),
  users: z.object({ active: count, total: count }),
  documents: z.object({ total: count, collections: z.array(z.object({ name: z.string(), count })) }),
  storage: z.object({ files: count, bytes: count }),
  jobs: z.object({
    waiting: count,
    delayed: count,
    active: count,
    failed: count,
    completed: count,
    capped: z.boolean(),
  }),
});

export function statsRoutes(deps: {
  stats: StatsService;
  requireApp: (appId: string) => Promise<unknown>;
  requireAdmin: RequestHandler;
}): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/apps/:appId/stats',
      summary:
        "An app's overview over a window: requests and errors (this process, since it started), active users, documents, storage, jobs",
      tag: 'Admin: apps',
      security: ['adminBearer'],
      before: [deps.requireAdmin],
      params: z.object({ appId: idParam }),
      query: z.object({ window: z.enum(['1h', '24h']).default('24h') }),
      responses: { 200: { description: 'The stats', schema: statsView } },
      handler: async ({ params, query }) => {
        await deps.requireApp(params.appId);
        return { body: await deps.stats.app(params.appId, query.window) };
      },
    }),
  ];
}
