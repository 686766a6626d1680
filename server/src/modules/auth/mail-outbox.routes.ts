import { defineRoute, type RouteSpec } from '../../http/route.js';
import { jsonObject, listOf, pageQuery } from '../../http/schemas.js';
import type { Mailer } from '../../ports/mail.js';
import { appParams } from './app-user.routes-kit.js';
import { ADMIN_AUTH_TAG, type ManagementGuards } from './management-access.js';

/** The mail an app sent, as the outbox engine keeps it (admin; other engines keep none). */
export function mailOutboxRoutes(deps: { mailer: Mailer; guards: ManagementGuards }): RouteSpec[] {
  return [
    defineRoute({
      ...deps.guards.admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/mail/outbox',
      summary: 'Mail kept by the outbox engine (newest first)',
      tag: ADMIN_AUTH_TAG,
      params: appParams,
      query: pageQuery,
      responses: { 200: { description: 'Messages', schema: listOf(jsonObject) } },
      handler: async ({ params, query }) => ({ body: await deps.mailer.list(params.appId, query) }),
    }),
  ];
}
