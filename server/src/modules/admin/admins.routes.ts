import { z } from 'zod';
import { HearthError } from '../../errors.js';
import { requestMeta } from '../../http/request.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam, listOf, pageQuery, signInResponse } from '../../http/schemas.js';
import type { AdminAuth } from './admin-auth.js';
import { adminView, loginBody, refreshBody, setupBody } from './admin.schema.js';
import type { AdminsService } from './admins.service.js';

const TAG = 'Admin: accounts';

export function adminAccountRoutes(deps: { admins: AdminsService; auth: AdminAuth }): RouteSpec[] {
  const { admins, auth } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/setup',
      summary: 'Whether the first admin still has to be created',
      tag: TAG,
      responses: { 200: { description: 'Setup state', schema: z.object({ needed: z.boolean() }) } },
      handler: async () => ({ body: { needed: !(await admins.hasAdmin()) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/setup',
      summary: 'Create the first admin (only while none exists)',
      tag: TAG,
      body: setupBody,
      before: [auth.rateLimit],
      responses: {
        201: { description: 'The first admin, signed in', schema: signInResponse(adminView) },
        409: { description: 'An admin already exists' },
      },
      handler: async ({ body, req }) => ({ status: 201, body: await admins.setup(body, requestMeta(req)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/login',
      summary: 'Sign in as an admin',
      tag: TAG,
      body: loginBody,
      before: [auth.rateLimit],
      responses: { 200: { description: 'Signed in', schema: signInResponse(adminView) } },
      handler: async ({ body, req }) => ({ body: await admins.login(body, requestMeta(req)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/refresh',
      summary: 'Rotate a refresh token for new tokens (a reused one ends the session)',
      tag: TAG,
      body: refreshBody,
      responses: { 200: { description: 'New tokens', schema: signInResponse(adminView) } },
      handler: async ({ body, req }) => ({
        body: await auth.limitFailedRefresh(req, () => admins.refresh(body.refreshToken)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/logout',
      summary: 'End the current admin session',
      tag: TAG,
      security: ['adminBearer'],
      before: [auth.requireAdmin],
      responses: { 204: { description: 'Signed out' } },
      handler: async ({ req }) => {
        await admins.logout(req.ctx.adminSessionId ?? '', requestMeta(req));
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/me',
      summary: 'The signed-in admin',
      tag: TAG,
      security: ['adminBearer'],
      before: [auth.requireAdmin],
      responses: { 200: { description: 'The admin', schema: adminView } },
      handler: async ({ req }) => ({ body: await admins.get(req.ctx.admin!.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/admins',
      summary: 'List admins',
      tag: TAG,
      security: ['adminBearer'],
      before: [auth.requireAdmin],
      query: pageQuery,
      responses: { 200: { description: 'Admins', schema: listOf(adminView) } },
      handler: async ({ query }) => ({ body: await admins.list(query) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/admins',
      summary: 'Add an admin (with an initial password)',
      tag: TAG,
      security: ['adminBearer'],
      before: [auth.requireAdmin],
      body: setupBody,
      responses: { 201: { description: 'The new admin', schema: adminView }, 409: { description: 'Email taken' } },
      handler: async ({ body, req }) => ({ status: 201, body: await admins.create(body, requestMeta(req)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/admins/:adminId',
      summary: 'Get an admin',
      tag: TAG,
      security: ['adminBearer'],
      before: [auth.requireAdmin],
      params: z.object({ adminId: idParam }),
      responses: { 200: { description: 'The admin', schema: adminView } },
      handler: async ({ params }) => ({ body: await admins.get(params.adminId) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/admin/admins/:adminId',
      summary: 'Remove an admin (not yourself)',
      tag: TAG,
      security: ['adminBearer'],
      before: [auth.requireAdmin],
      params: z.object({ adminId: idParam }),
      responses: { 204: { description: 'Removed' } },
      handler: async ({ params, req }) => {
        if (!params.adminId) throw new HearthError('not_found');
        await admins.remove(params.adminId, requestMeta(req));
        return { status: 204 };
      },
    }),
  ];
}
