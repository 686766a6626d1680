import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam } from '../../http/schemas.js';

/** What the caller's credentials resolve to on an app: the SDK's connection check. */
export function appInfoRoutes(): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/apps/:appId',
      summary: "The app and the caller's access (checks a key)",
      tag: 'Apps',
      security: ['appKey', 'adminBearer'],
      params: z.object({ appId: idParam }),
      responses: {
        200: {
          description: 'The app',
          schema: z.object({
            id: z.string(),
            name: z.string(),
            access: z.object({
              via: z.enum(['key', 'admin']),
              kind: z.enum(['public', 'secret']),
              scopes: z.array(z.string()),
            }),
          }),
        },
      },
      handler: ({ req }) => {
        const { app, key } = req.ctx;
        return {
          body: {
            id: app!.id,
            name: app!.name,
            access: key
              ? { via: 'key', kind: key.kind, scopes: key.scopes }
              : { via: 'admin', kind: 'secret', scopes: [] },
          },
        };
      },
    }),
  ];
}
