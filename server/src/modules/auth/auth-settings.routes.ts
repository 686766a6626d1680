import { defineRoute, type RouteSpec } from '../../http/route.js';
import { jsonObject } from '../../http/schemas.js';
import type { AuthAudit } from './auth-audit.js';
import { authSettingsPatch, settingsView, type AuthSettingsService } from './auth.settings.js';
import { actorOf, ADMIN_AUTH_TAG, type ManagementGuards } from './management-access.js';
import { appParams } from './app-user.routes-kit.js';

/** An app's auth settings (admin): read with client secrets masked, change (audited). */
export function authSettingsRoutes(deps: {
  settings: AuthSettingsService;
  audit: AuthAudit;
  guards: ManagementGuards;
}): RouteSpec[] {
  const { settings, guards } = deps;
  return [
    defineRoute({
      ...guards.admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/auth/settings',
      summary: "The app's auth settings (client secrets masked)",
      tag: ADMIN_AUTH_TAG,
      params: appParams,
      responses: { 200: { description: 'Settings', schema: jsonObject } },
      handler: async ({ params }) => ({ body: settingsView(await settings.get(params.appId)) }),
    }),
    defineRoute({
      ...guards.admin,
      method: 'patch',
      path: '/v1/admin/apps/:appId/auth/settings',
      summary: "Change the app's auth settings (password policy, token lifetimes, templates, providers…)",
      tag: ADMIN_AUTH_TAG,
      params: appParams,
      body: authSettingsPatch,
      responses: { 200: { description: 'Settings', schema: jsonObject } },
      handler: async ({ params, body, req }) => {
        const updated = await settings.update(params.appId, body);
        await deps.audit.settingsChange(actorOf(req), params.appId, Object.keys(body));
        return { body: settingsView(updated) };
      },
    }),
  ];
}
