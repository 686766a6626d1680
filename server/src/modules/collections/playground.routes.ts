import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam } from '../../http/schemas.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsService } from '../apps/index.js';
import { accessFilter, type Caller } from './access.js';
import { listQuery, type DocumentsReader } from './documents.read.js';
import type { CollectionRegistry } from './registry.js';

/**
 * The rules playground (admin): runs a list query as a chosen app user (id and roles) or as an
 * anonymous caller, through the same reader the document routes use, so the collection's `list`
 * rule is ANDed into the query the engine runs — nothing is filtered afterwards. Answers the
 * documents that caller would see plus the rule that decided it; a denying rule answers
 * `denied: true` with no documents instead of the 403 the caller would get.
 */
const TAG = 'Admin: collections';
const params = z.object({ appId: idParam, name: z.string().max(64) });
const body = z
  .object({
    as: z
      .object({
        id: idParam,
        roles: z.array(z.string().max(64)).max(50).default([]),
        anonymous: z.boolean().default(false),
      })
      .strict()
      .nullable()
      .describe('The app user to act as (id, roles, anonymous), or null for a caller with no user'),
    filter: listQuery.shape.filter,
    sort: listQuery.shape.sort,
    limit: z.number().int().min(1).max(100).default(20),
  })
  .strict();
const response = z.object({
  items: z.array(z.record(z.string(), z.unknown())),
  next: z.string().nullable(),
  denied: z.boolean().describe('The list rule refuses this caller outright (the API would answer 403)'),
  rule: z.unknown().describe('The collection\'s list rule as defined: null, "public", "authenticated" or a filter'),
  count: z.number().int(),
});

export function playgroundRoutes(deps: {
  reader: DocumentsReader;
  registry: CollectionRegistry;
  now: () => Date;
  apps: AppsService;
  auth: Pick<AdminAuth, 'requireAdmin'>;
}): RouteSpec[] {
  return [
    defineRoute({
      security: ['adminBearer' as const],
      before: [deps.auth.requireAdmin],
      method: 'post',
      path: '/v1/admin/apps/:appId/collections/:name/playground',
      summary: 'Rules playground: list documents as a chosen user or anonymous, with the list rule in the query',
      tag: TAG,
      params,
      body,
      responses: { 200: { description: 'What that caller would see', schema: response } },
      handler: async ({ params: p, body: b }) => {
        await deps.apps.get(p.appId);
        const col = await deps.registry.require(p.appId, p.name);
        const caller: Caller = {
          appId: p.appId,
          privileged: false,
          user: b.as ? { id: b.as.id, roles: b.as.roles, anonymous: b.as.anonymous } : null,
          scopes: [],
          principal: b.as ? `user:${b.as.id}` : 'playground:anonymous',
        };
        const rule = col.def.rules.list ?? null;
        if (accessFilter(caller, col, 'list', deps.now()) === null)
          return { body: { items: [], next: null, count: 0, denied: true, rule } };
        const page = await deps.reader.list(caller, p.name, {
          limit: b.limit,
          count: 'exact',
          ...(b.filter !== undefined ? { filter: b.filter } : {}),
          ...(b.sort !== undefined ? { sort: b.sort } : {}),
        });
        return { body: { items: page.items, next: page.next, count: page.count ?? 0, denied: false, rule } };
      },
    }),
  ];
}
