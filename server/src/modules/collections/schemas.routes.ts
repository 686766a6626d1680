import { z } from 'zod';
import { invalidRequest } from '../../errors.js';
import { requestMeta } from '../../http/request.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam, listOf } from '../../http/schemas.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsService } from '../apps/index.js';
import { collectionView, createCollectionBody, updateCollectionBody } from './collection.schema.js';
import type { SchemasService } from './schemas.service.js';
import { parseIfMatch } from './view.js';

/** Admin schema API: /v1/admin/apps/{appId}/collections. */
const TAG = 'Admin: collections';
const appParams = z.object({ appId: idParam });
const collectionParams = z.object({ appId: idParam, name: z.string().max(64) });

export function schemaRoutes(deps: {
  schemas: SchemasService;
  apps: AppsService;
  auth: Pick<AdminAuth, 'requireAdmin'>;
}): RouteSpec[] {
  const { schemas, apps, auth } = deps;
  const admin = { security: ['adminBearer' as const], before: [auth.requireAdmin] };
  const base = '/v1/admin/apps/:appId/collections';
  return [
    defineRoute({
      ...admin,
      method: 'get',
      path: base,
      summary: "List an app's collections",
      tag: TAG,
      params: appParams,
      responses: { 200: { description: 'Collections', schema: listOf(collectionView) } },
      handler: async ({ params }) => {
        await apps.get(params.appId);
        return { body: { items: await schemas.list(params.appId), next: null } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: base,
      summary: 'Create a collection (fields, indexes, strict, rules)',
      tag: TAG,
      params: appParams,
      body: createCollectionBody,
      responses: { 201: { description: 'The collection', schema: collectionView } },
      handler: async ({ params, body, req }) => {
        await apps.get(params.appId);
        const view = await schemas.create(params.appId, body, requestMeta(req));
        return { status: 201, body: view, headers: { ETag: `"${view.version}"` } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: `${base}/:name`,
      summary: 'Get a collection',
      tag: TAG,
      params: collectionParams,
      responses: { 200: { description: 'The collection', schema: collectionView } },
      handler: async ({ params }) => {
        await apps.get(params.appId);
        const view = await schemas.get(params.appId, params.name);
        return { body: view, headers: { ETag: `"${view.version}"` } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'patch',
      path: `${base}/:name`,
      summary:
        'Change a collection online: add/update/remove/rename fields, add/drop indexes, strict, rules (If-Match)',
      tag: TAG,
      params: collectionParams,
      body: updateCollectionBody,
      responses: { 200: { description: 'The collection', schema: collectionView } },
      handler: async ({ params, body, req }) => {
        await apps.get(params.appId);
        const ifMatch = parseIfMatch(req.get('if-match'));
        if (ifMatch === 'invalid')
          throw invalidRequest('If-Match must be a collection version, e.g. "3".', { header: 'If-Match' });
        const view = await schemas.update(params.appId, params.name, body, requestMeta(req), ifMatch);
        return { body: view, headers: { ETag: `"${view.version}"` } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'delete',
      path: `${base}/:name`,
      summary: 'Delete a collection with all its documents',
      tag: TAG,
      params: collectionParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ params, req }) => {
        await apps.get(params.appId);
        await schemas.remove(params.appId, params.name, requestMeta(req));
        return { status: 204 };
      },
    }),
  ];
}
