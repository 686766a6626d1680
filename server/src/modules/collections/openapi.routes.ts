import { z } from 'zod';
import type { OpenApiDocument } from '../../http/openapi.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam } from '../../http/schemas.js';
import { appOpenApiDocument } from './openapi.app.js';
import type { CollectionRegistry } from './registry.js';

/** GET /v1/apps/{appId}/openapi.json: this app's API with its collections typed (openapi.app.ts). */
export function appOpenApiRoute(deps: { registry: CollectionRegistry; document: () => OpenApiDocument }): RouteSpec {
  return defineRoute({
    method: 'get',
    path: '/v1/apps/:appId/openapi.json',
    summary: "This app's API as OpenAPI 3.1, with a typed schema per collection (for client generators)",
    tag: 'Documents',
    security: ['appKey', 'adminBearer'],
    params: z.object({ appId: idParam }),
    responses: {
      200: {
        description: 'The OpenAPI document of this app',
        content: { type: 'application/json', schema: { type: 'object' } },
      },
    },
    handler: async ({ params }) => ({
      body: appOpenApiDocument(deps.document(), params.appId, await deps.registry.list(params.appId)),
    }),
  });
}
