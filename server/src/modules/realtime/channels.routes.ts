import { z } from 'zod';
import type { JsonValue } from '../../lib/filter/types.js';
import { requestMeta } from '../../http/request.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam } from '../../http/schemas.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsService } from '../apps/index.js';
import { auditMeta, type AuditLog } from '../audit/index.js';
import { channelRules, type ChannelRulesService } from './channels.js';

/** Admin API of the per-app channel rules: /v1/admin/apps/{appId}/realtime/channels. */
const TAG = 'Admin: realtime';
const appParams = z.object({ appId: idParam });

export function channelRoutes(deps: {
  channels: ChannelRulesService;
  apps: AppsService;
  auth: Pick<AdminAuth, 'requireAdmin'>;
  audit: AuditLog;
}): RouteSpec[] {
  const admin = { security: ['adminBearer' as const], before: [deps.auth.requireAdmin] };
  const path = '/v1/admin/apps/:appId/realtime/channels';
  return [
    defineRoute({
      ...admin,
      method: 'get',
      path,
      summary: "Get an app's realtime channel rules",
      tag: TAG,
      params: appParams,
      responses: { 200: { description: 'The rules, first match wins', schema: channelRules } },
      handler: async ({ params }) => {
        await deps.apps.get(params.appId);
        return { body: await deps.channels.get(params.appId) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'put',
      path,
      summary: "Replace an app's realtime channel rules (patterns like room:*, conditions on @auth)",
      tag: TAG,
      params: appParams,
      body: channelRules,
      responses: { 200: { description: 'The rules', schema: channelRules } },
      handler: async ({ params, body, req }) => {
        await deps.apps.get(params.appId);
        const saved = await deps.channels.set(params.appId, body);
        const meta = requestMeta(req);
        await deps.audit.record({
          adminId: meta.adminId ?? null,
          action: 'realtime.channels.update',
          target: { type: 'app', id: params.appId },
          details: { rules: saved.rules.length } as Record<string, JsonValue>,
          ...auditMeta(meta),
        });
        return { body: saved };
      },
    }),
  ];
}
