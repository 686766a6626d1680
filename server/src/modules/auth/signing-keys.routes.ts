import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { jsonObject, listOf } from '../../http/schemas.js';
import { appParams } from './app-user.routes-kit.js';
import type { AuthAudit } from './auth-audit.js';
import type { AuthSettingsService } from './auth.settings.js';
import { actorOf, ADMIN_AUTH_TAG, type ManagementGuards } from './management-access.js';
import type { SigningKeys } from './signing-keys.js';

const MAX_GRACE_SECONDS = 7 * 24 * 3600;

/** An app's access-token signing keys (admin): list, rotate (audited). */
export function signingKeyRoutes(deps: {
  keys: SigningKeys;
  settings: AuthSettingsService;
  audit: AuthAudit;
  guards: ManagementGuards;
}): RouteSpec[] {
  const { keys, guards } = deps;
  return [
    defineRoute({
      ...guards.admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/auth/keys',
      summary: 'Access-token signing keys (ids only; the keys are derived, never stored)',
      tag: ADMIN_AUTH_TAG,
      params: appParams,
      responses: { 200: { description: 'Keys', schema: listOf(jsonObject) } },
      handler: async ({ params }) => ({ body: { items: await keys.list(params.appId), next: null } }),
    }),
    defineRoute({
      ...guards.admin,
      method: 'post',
      path: '/v1/admin/apps/:appId/auth/keys/rotate',
      summary: 'New signing key; older ones keep verifying for graceSeconds (default: the access-token lifetime)',
      tag: ADMIN_AUTH_TAG,
      params: appParams,
      body: z.strictObject({ graceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional() }),
      responses: { 200: { description: 'Keys', schema: listOf(jsonObject) } },
      handler: async ({ params, body, req }) => {
        const s = await deps.settings.get(params.appId);
        const items = await keys.rotate(params.appId, body.graceSeconds ?? s.accessTokenTtl);
        await deps.audit.settingsChange(actorOf(req), params.appId, ['signingKeys'], 'auth.keys.rotate');
        return { body: { items, next: null } };
      },
    }),
  ];
}
