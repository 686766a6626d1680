import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam } from '../../http/schemas.js';
import { appParams, AUTH_BASE, AUTH_TAG, authContext, signedIn, type AppUserGuards } from './app-user.routes-kit.js';
import { passwordBody, sessionView, updateMeBody, userView } from './auth.schema.js';
import type { ProfileService } from './profile.service.js';

const sessionParams = z.object({ appId: idParam, sessionId: idParam });

/** The signed-in user's own account: /auth/me, the password, the sessions. */
export function profileRoutes(deps: { profile: ProfileService; guards: AppUserGuards }): RouteSpec[] {
  const { profile, guards } = deps;
  return [
    defineRoute({
      ...guards.user,
      method: 'get',
      path: `${AUTH_BASE}/me`,
      summary: 'The signed-in user',
      tag: AUTH_TAG,
      params: appParams,
      responses: { 200: { description: 'The user', schema: userView } },
      handler: async ({ params, req }) => ({ body: await profile.me(params.appId, signedIn(req)) }),
    }),
    defineRoute({
      ...guards.user,
      method: 'patch',
      path: `${AUTH_BASE}/me`,
      summary: "Change the signed-in user's profile (the app's profile fields)",
      tag: AUTH_TAG,
      params: appParams,
      body: updateMeBody,
      responses: { 200: { description: 'The user', schema: userView } },
      handler: async ({ body, params, req }) => ({ body: await profile.updateMe(params.appId, signedIn(req), body) }),
    }),
    defineRoute({
      ...guards.user,
      method: 'post',
      path: `${AUTH_BASE}/password`,
      summary: 'Change the password (ends every other session)',
      tag: AUTH_TAG,
      params: appParams,
      body: passwordBody,
      responses: {
        204: { description: 'Changed' },
        401: { description: 'The current password is incorrect' },
        403: { description: 'No password yet and signed in too long ago (`reauthentication_required`): sign in again' },
      },
      handler: async ({ body, req }) => {
        await profile.changePassword(authContext(req), signedIn(req), body);
        return { status: 204 };
      },
    }),
    defineRoute({
      ...guards.user,
      method: 'get',
      path: `${AUTH_BASE}/sessions`,
      summary: "The signed-in user's live sessions",
      tag: AUTH_TAG,
      params: appParams,
      responses: {
        200: { description: 'Sessions', schema: z.object({ items: z.array(sessionView), next: z.null() }) },
      },
      handler: async ({ params, req }) => ({
        body: { items: await profile.sessions(params.appId, signedIn(req)), next: null },
      }),
    }),
    defineRoute({
      ...guards.user,
      method: 'delete',
      path: `${AUTH_BASE}/sessions/:sessionId`,
      summary: 'End one of your sessions',
      tag: AUTH_TAG,
      params: sessionParams,
      responses: { 204: { description: 'Ended' } },
      handler: async ({ params, req }) => {
        await profile.revokeSession(params.appId, signedIn(req), params.sessionId);
        return { status: 204 };
      },
    }),
  ];
}
