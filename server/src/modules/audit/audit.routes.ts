import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { idParam, listOf, pageQuery } from '../../http/schemas.js';
import type { RequestHandler } from 'express';
import { auditEntryView } from './audit.schema.js';
import type { AuditLog } from './audit.service.js';

export function auditRoutes(deps: { audit: AuditLog; requireAdmin: RequestHandler }): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/audit',
      summary: 'The audit log of admin actions, newest first',
      tag: 'Admin: audit',
      security: ['adminBearer'],
      before: [deps.requireAdmin],
      query: pageQuery.extend({
        action: z
          .string()
          .regex(/^[a-z_.]{1,64}$/)
          .optional(),
        adminId: idParam.optional(),
      }),
      responses: { 200: { description: 'Entries', schema: listOf(auditEntryView) } },
      handler: async ({ query }) => ({ body: await deps.audit.list(query) }),
    }),
  ];
}
