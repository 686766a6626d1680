import { z } from 'zod';
import { requestMeta } from '../../http/request.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam, listOf, pageQuery } from '../../http/schemas.js';
import type { RequestHandler } from 'express';
import {
  appView,
  createAppBody,
  createdAppView,
  createdKeyView,
  createKeyBody,
  keyView,
  rotateKeyBody,
  updateAppBody,
} from './apps.schema.js';
import type { AppsService } from './apps.service.js';
import type { KeysService } from './keys.service.js';

const APPS = 'Admin: apps';
const KEYS = 'Admin: keys';
const appParams = z.object({ appId: idParam });
const keyParams = z.object({ appId: idParam, keyId: idParam });

export function appRoutes(deps: { apps: AppsService; keys: KeysService; requireAdmin: RequestHandler }): RouteSpec[] {
  const { apps, keys } = deps;
  const admin = { security: ['adminBearer' as const], before: [deps.requireAdmin] };
  return [
    defineRoute({
      ...admin,
      method: 'post',
      path: '/v1/admin/apps',
      summary: 'Create an app (returns its secret key, once)',
      tag: APPS,
      body: createAppBody,
      responses: { 201: { description: 'The app with its first keys', schema: createdAppView } },
      handler: async ({ body, req }) => ({ status: 201, body: await apps.create(body, requestMeta(req)) }),
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps',
      summary: 'List apps',
      tag: APPS,
      query: pageQuery,
      responses: { 200: { description: 'Apps', schema: listOf(appView) } },
      handler: async ({ query }) => ({ body: await apps.list(query) }),
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId',
      summary: 'Get an app',
      tag: APPS,
      params: appParams,
      responses: { 200: { description: 'The app', schema: appView } },
      handler: async ({ params }) => ({ body: await apps.get(params.appId) }),
    }),
    defineRoute({
      ...admin,
      method: 'patch',
      path: '/v1/admin/apps/:appId',
      summary: 'Rename an app or change its settings',
      tag: APPS,
      params: appParams,
      body: updateAppBody,
      responses: { 200: { description: 'The app', schema: appView } },
      handler: async ({ params, body, req }) => ({ body: await apps.update(params.appId, body, requestMeta(req)) }),
    }),
    defineRoute({
      ...admin,
      method: 'delete',
      path: '/v1/admin/apps/:appId',
      summary: 'Delete an app with its keys and all its data',
      tag: APPS,
      params: appParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ params, req }) => {
        await apps.remove(params.appId, requestMeta(req));
        return { status: 204 };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/keys',
      summary: "List an app's keys (never the keys themselves)",
      tag: KEYS,
      params: appParams,
      responses: { 200: { description: 'Keys', schema: listOf(keyView) } },
      handler: async ({ params }) => {
        await apps.get(params.appId);
        return { body: { items: await keys.list(params.appId), next: null } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: '/v1/admin/apps/:appId/keys',
      summary: 'Create a key, optionally scoped and expiring (shown once)',
      tag: KEYS,
      params: appParams,
      body: createKeyBody,
      responses: { 201: { description: 'The key', schema: createdKeyView } },
      handler: async ({ params, body, req }) => {
        await apps.get(params.appId);
        return { status: 201, body: await keys.create(params.appId, body, requestMeta(req)) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: '/v1/admin/apps/:appId/keys/:keyId/rotate',
      summary: 'Replace a key with a new one; the old one stops now or after graceSeconds',
      tag: KEYS,
      params: keyParams,
      body: rotateKeyBody,
      responses: { 201: { description: 'The new key', schema: createdKeyView } },
      handler: async ({ params, body, req }) => ({
        status: 201,
        body: await keys.rotate(params.appId, params.keyId, body.graceSeconds, requestMeta(req)),
      }),
    }),
    defineRoute({
      ...admin,
      method: 'delete',
      path: '/v1/admin/apps/:appId/keys/:keyId',
      summary: 'Revoke a key',
      tag: KEYS,
      params: keyParams,
      responses: { 200: { description: 'The revoked key', schema: keyView } },
      handler: async ({ params, req }) => ({ body: await keys.revoke(params.appId, params.keyId, requestMeta(req)) }),
    }),
  ];
}
