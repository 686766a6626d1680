import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam, listOf } from '../../http/schemas.js';
import type { AppsService } from '../apps/index.js';
import { clientContext } from './app-user.routes-kit.js';
import { sessionView, signIn, userPatchBody, usersQuery, userView } from './auth.schema.js';
import { actorOf, ADMIN_AUTH_TAG, type ManagementGuards } from './management-access.js';
import type { UsersService } from './users.service.js';

/**
 * Managing users: `/v1/admin/apps/{app}/users…` (admin token) and the same under
 * `/v1/apps/{app}/users…` for servers holding the secret key (a scoped key needs `users:read` /
 * `users:write`). Impersonation is admin-only.
 */
const USERS_TAG = 'Users';
const appParams = z.object({ appId: idParam });
const userParams = z.object({ appId: idParam, userId: idParam });
const sessionParams = z.object({ appId: idParam, userId: idParam, sessionId: idParam });

export function userRoutes(deps: { users: UsersService; apps: AppsService; guards: ManagementGuards }): RouteSpec[] {
  const { users, guards } = deps;
  const routes: RouteSpec[] = [];
  for (const variant of ['admin', 'key'] as const) {
    const base = variant === 'admin' ? '/v1/admin/apps/:appId/users' : '/v1/apps/:appId/users';
    const read = variant === 'admin' ? guards.admin : guards.key('users:read');
    const write = variant === 'admin' ? guards.admin : guards.key('users:write');
    const tag = variant === 'admin' ? ADMIN_AUTH_TAG : USERS_TAG;
    routes.push(
      defineRoute({
        ...read,
        method: 'get',
        path: base,
        summary: 'List users (filter by email prefix, role, anonymous)',
        tag,
        params: appParams,
        query: usersQuery,
        responses: { 200: { description: 'Users', schema: listOf(userView) } },
        handler: async ({ params, query }) => ({ body: await users.list(params.appId, query) }),
      }),
      defineRoute({
        ...read,
        method: 'get',
        path: `${base}/:userId`,
        summary: 'Get a user',
        tag,
        params: userParams,
        responses: { 200: { description: 'The user', schema: userView } },
        handler: async ({ params }) => ({ body: await users.get(params.appId, params.userId) }),
      }),
      defineRoute({
        ...write,
        method: 'patch',
        path: `${base}/:userId`,
        summary: 'Set roles, disable (ends sessions) or enable, mark verified, edit the profile',
        tag,
        params: userParams,
        body: userPatchBody,
        responses: { 200: { description: 'The user', schema: userView } },
        handler: async ({ params, body, req }) => ({
          body: await users.update(params.appId, params.userId, body, actorOf(req)),
        }),
      }),
      defineRoute({
        ...write,
        method: 'delete',
        path: `${base}/:userId`,
        summary: 'Delete a user with their sessions (documents they own are kept)',
        tag,
        params: userParams,
        responses: { 204: { description: 'Deleted' } },
        handler: async ({ params, req }) => {
          await users.remove(params.appId, params.userId, actorOf(req));
          return { status: 204 };
        },
      }),
      defineRoute({
        ...read,
        method: 'get',
        path: `${base}/:userId/sessions`,
        summary: "A user's live sessions",
        tag,
        params: userParams,
        responses: {
          200: { description: 'Sessions', schema: z.object({ items: z.array(sessionView), next: z.null() }) },
        },
        handler: async ({ params }) => ({
          body: { items: await users.sessions(params.appId, params.userId), next: null },
        }),
      }),
      defineRoute({
        ...write,
        method: 'delete',
        path: `${base}/:userId/sessions`,
        summary: "End all of a user's sessions",
        tag,
        params: userParams,
        responses: { 200: { description: 'How many ended', schema: z.object({ revoked: z.number().int() }) } },
        handler: async ({ params, req }) => ({
          body: { revoked: await users.revokeAll(params.appId, params.userId, actorOf(req)) },
        }),
      }),
      defineRoute({
        ...write,
        method: 'delete',
        path: `${base}/:userId/sessions/:sessionId`,
        summary: "End one of a user's sessions",
        tag,
        params: sessionParams,
        responses: { 204: { description: 'Ended' } },
        handler: async ({ params, req }) => {
          await users.revokeSession(params.appId, params.userId, params.sessionId, actorOf(req));
          return { status: 204 };
        },
      }),
    );
  }
  routes.push(
    defineRoute({
      ...guards.admin,
      method: 'post',
      path: '/v1/admin/apps/:appId/users/:userId/impersonate',
      summary: 'Sign in as a user (audited; the token carries `imp`, the session lasts at most an hour)',
      tag: ADMIN_AUTH_TAG,
      params: userParams,
      responses: { 200: { description: 'Tokens for the user', schema: signIn } },
      handler: async ({ params, req }) => {
        const app = await deps.apps.get(params.appId);
        return {
          body: await users.impersonate(clientContext(req, app), params.userId, {
            ...actorOf(req),
            adminId: req.ctx.admin!.id,
          }),
        };
      },
    }),
  );
  return routes;
}
