import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { HearthError } from '../../errors.js';
import { requestMeta } from '../../http/request.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam, listOf, pageQuery } from '../../http/schemas.js';
import type { Mailer } from '../../ports/mail.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsService } from '../apps/index.js';
import { authSettingsPatch, settingsView, type AuthSettingsService } from './auth.settings.js';
import { sessionView, signIn, userPatchBody, usersQuery, userView } from './auth.schema.js';
import { authContext } from './auth.routes.js';
import type { SigningKeys } from './signing-keys.js';
import type { Actor, UsersService } from './users.service.js';

/**
 * Managing users: `/v1/admin/apps/{app}/users…` (admin token) and the same under
 * `/v1/apps/{app}/users…` for servers holding the secret key (a scoped key needs `users:read` /
 * `users:write`). Impersonation is admin-only. Plus the app's auth settings, signing keys and
 * mail outbox (admin).
 */
const USERS_TAG = 'Users';
const ADMIN_TAG = 'Admin: auth';
const appParams = z.object({ appId: idParam });
const userParams = z.object({ appId: idParam, userId: idParam });
const sessionParams = z.object({ appId: idParam, userId: idParam, sessionId: idParam });

function actorOf(req: Request): Actor {
  return { ...requestMeta(req), keyId: req.ctx.key?.id ?? null };
}

/** Secret key (or admin token) on /v1/apps/{app}; scoped keys need the users scope. */
function requireSecret(scope: 'users:read' | 'users:write'): RequestHandler {
  return (req, _res, next) => {
    const key = req.ctx.key;
    if (!key && req.ctx.admin) return next();
    if (key?.kind !== 'secret' || req.ctx.user) return next(new HearthError('forbidden', 'This needs the secret key.'));
    if (key.scopes.length && !key.scopes.includes(scope) && !key.scopes.includes('users:*')) {
      return next(new HearthError('forbidden', `This key lacks the ${scope} scope.`, { scope }));
    }
    next();
  };
}

export function userManagementRoutes(deps: {
  users: UsersService;
  apps: AppsService;
  adminAuth: AdminAuth;
  settings: AuthSettingsService;
  keys: SigningKeys;
  mailer: Mailer;
}): RouteSpec[] {
  const { users, apps } = deps;
  const appExists: RequestHandler = (req, _res, next) => {
    apps.get(String(req.params.appId)).then(() => next(), next);
  };
  const routes: RouteSpec[] = [];
  for (const variant of ['admin', 'key'] as const) {
    const base = variant === 'admin' ? '/v1/admin/apps/:appId/users' : '/v1/apps/:appId/users';
    const read =
      variant === 'admin'
        ? { security: ['adminBearer' as const], before: [deps.adminAuth.requireAdmin, appExists] }
        : { security: ['appKey' as const], before: [requireSecret('users:read')] };
    const write =
      variant === 'admin'
        ? { security: ['adminBearer' as const], before: [deps.adminAuth.requireAdmin, appExists] }
        : { security: ['appKey' as const], before: [requireSecret('users:write')] };
    const tag = variant === 'admin' ? ADMIN_TAG : USERS_TAG;
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

  const admin = { security: ['adminBearer' as const], before: [deps.adminAuth.requireAdmin, appExists] };
  routes.push(
    defineRoute({
      ...admin,
      method: 'post',
      path: '/v1/admin/apps/:appId/users/:userId/impersonate',
      summary: 'Sign in as a user (audited; the token carries `imp`, the session lasts at most an hour)',
      tag: ADMIN_TAG,
      params: userParams,
      responses: { 200: { description: 'Tokens for the user', schema: signIn } },
      handler: async ({ params, req }) => {
        const app = await apps.get(params.appId);
        req.ctx.app = { id: app.id, name: app.name, settings: app.settings };
        return {
          body: await users.impersonate(authContext(req), params.userId, {
            ...actorOf(req),
            adminId: req.ctx.admin!.id,
          }),
        };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/auth/settings',
      summary: "The app's auth settings (client secrets masked)",
      tag: ADMIN_TAG,
      params: appParams,
      responses: { 200: { description: 'Settings' } },
      handler: async ({ params }) => ({ body: settingsView(await deps.settings.get(params.appId)) }),
    }),
    defineRoute({
      ...admin,
      method: 'patch',
      path: '/v1/admin/apps/:appId/auth/settings',
      summary: "Change the app's auth settings (password policy, token lifetimes, templates, providers…)",
      tag: ADMIN_TAG,
      params: appParams,
      body: authSettingsPatch,
      responses: { 200: { description: 'Settings' } },
      handler: async ({ params, body, req }) => {
        const updated = await deps.settings.update(params.appId, body);
        await users.recordSettings(params.appId, Object.keys(body), actorOf(req));
        return { body: settingsView(updated) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/auth/keys',
      summary: 'Access-token signing keys (ids only; the keys are derived, never stored)',
      tag: ADMIN_TAG,
      params: appParams,
      responses: { 200: { description: 'Keys' } },
      handler: async ({ params }) => ({ body: { items: await deps.keys.list(params.appId), next: null } }),
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: '/v1/admin/apps/:appId/auth/keys/rotate',
      summary: 'New signing key; older ones keep verifying for graceSeconds (default: the access-token lifetime)',
      tag: ADMIN_TAG,
      params: appParams,
      body: z.strictObject({
        graceSeconds: z
          .number()
          .int()
          .min(0)
          .max(7 * 24 * 3600)
          .optional(),
      }),
      responses: { 200: { description: 'Keys' } },
      handler: async ({ params, body, req }) => {
        const s = await deps.settings.get(params.appId);
        const items = await deps.keys.rotate(params.appId, body.graceSeconds ?? s.accessTokenTtl);
        await users.recordSettings(params.appId, ['signingKeys'], actorOf(req), 'auth.keys.rotate');
        return { body: { items, next: null } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/mail/outbox',
      summary: 'Mail kept by the outbox engine (newest first)',
      tag: ADMIN_TAG,
      params: appParams,
      query: pageQuery,
      responses: { 200: { description: 'Messages' } },
      handler: async ({ params, query }) => ({ body: await deps.mailer.list(params.appId, query) }),
    }),
  );
  return routes;
}
