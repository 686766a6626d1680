import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam } from '../../http/schemas.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsService } from '../apps/index.js';
import type { RealtimeServer } from './server.js';
import { appStatsSchema } from './stats.js';

/** GET /v1/admin/apps/{appId}/realtime/stats: the app's connections, subscriptions, channels, deliveries. */
export function statsRoutes(deps: {
  server: RealtimeServer;
  apps: AppsService;
  auth: Pick<AdminAuth, 'requireAdmin'>;
}): RouteSpec[] {
  return [
    defineRoute({
      security: ['adminBearer'],
      before: [deps.auth.requireAdmin],
      method: 'get',
      path: '/v1/admin/apps/:appId/realtime/stats',
      summary:
        "An app's realtime numbers: connections, subscriptions by collection, channels with members, deliveries/s, dropped clients (all replicas with REDIS_URL)",
      tag: 'Admin: realtime',
      params: z.object({ appId: idParam }),
      responses: { 200: { description: 'A snapshot (poll it; docs/realtime.md)', schema: appStatsSchema } },
      handler: async ({ params }) => {
        await deps.apps.get(params.appId);
        return { body: await deps.server.stats(params.appId) };
      },
    }),
  ];
}
