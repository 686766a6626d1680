import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { requestMeta } from '../../http/request.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { listOf } from '../../http/schemas.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { auditMeta, type AuditLog } from '../audit/index.js';
import {
  apnsInput,
  credentialView,
  fcmInput,
  vapidInput,
  type CredentialKind,
  type PushCredentials,
} from './credentials.service.js';
import { previewAudience, SAMPLE_SIZE } from './audience.js';
import type { InstallationsService } from './installations.service.js';
import type { MessagesService } from './messages.service.js';
import {
  appParams,
  credentialParams,
  installationsQuery,
  installationView,
  messagesQuery,
  messageView,
  target,
} from './push.schema.js';

/** Admin push routes: credentials (write-only: views carry fingerprints), messages, installations. */
const TAG = 'Admin: push';

export function adminPushRoutes(deps: {
  credentials: PushCredentials;
  installations: InstallationsService;
  messages: MessagesService;
  requireApp: (appId: string) => Promise<unknown>;
  requireAdmin: RequestHandler;
  audit: AuditLog;
  store: DocumentStore;
}): RouteSpec[] {
  const { credentials, requireApp } = deps;
  const admin = { security: ['adminBearer' as const], before: [deps.requireAdmin], tag: TAG };
  const audited = async (req: Request, appId: string, action: string, details: Record<string, string>) => {
    const meta = requestMeta(req);
    await deps.audit.record({
      adminId: meta.adminId ?? null,
      action,
      target: { type: 'app', id: appId },
      details,
      ...auditMeta(meta),
    });
  };
  const put = (kind: CredentialKind, body: z.ZodType, summary: string) =>
    defineRoute({
      ...admin,
      method: 'put',
      path: `/v1/admin/apps/:appId/push/credentials/${kind}`,
      summary,
      params: appParams,
      body,
      responses: { 200: { description: 'Stored (encrypted); only its fingerprint is shown', schema: credentialView } },
      handler: async ({ params, body: input, req }) => {
        await requireApp(params.appId);
        const view = await credentials.put(params.appId, kind, input);
        await audited(req, params.appId, 'push.credentials.put', { kind, fingerprint: view.fingerprint });
        return { body: view };
      },
    });
  return [
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/push/credentials',
      summary: "An app's push credentials: fingerprints and non-secret parts, never the keys",
      params: appParams,
      responses: { 200: { description: 'Credentials', schema: z.object({ items: z.array(credentialView) }) } },
      handler: async ({ params }) => {
        await requireApp(params.appId);
        return { body: { items: await credentials.list(params.appId) } };
      },
    }),
    put(
      'fcm',
      fcmInput,
      'Upload the FCM service account JSON (Firebase console → Project settings → Service accounts)',
    ),
    put('apns', apnsInput, 'Upload the APNs auth key (.p8), its key id, team id, bundle id and environment'),
    put('vapid', vapidInput, 'Generate (or import) the VAPID key pair for Web Push'),
    defineRoute({
      ...admin,
      method: 'delete',
      path: '/v1/admin/apps/:appId/push/credentials/:kind',
      summary: 'Remove a push credential',
      params: credentialParams,
      responses: { 204: { description: 'Removed' } },
      handler: async ({ params, req }) => {
        await requireApp(params.appId);
        await credentials.remove(params.appId, params.kind);
        await audited(req, params.appId, 'push.credentials.delete', { kind: params.kind });
        return { status: 204 };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: '/v1/admin/apps/:appId/push/credentials/rotate',
      summary: "Re-encrypt an app's push credentials under the current server secret",
      params: appParams,
      responses: { 200: { description: 'Re-encrypted', schema: z.object({ resealed: z.number().int() }) } },
      handler: async ({ params, req }) => {
        await requireApp(params.appId);
        const result = await credentials.rotate(params.appId);
        await audited(req, params.appId, 'push.credentials.rotate', { resealed: String(result.resealed) });
        return { body: result };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/push/messages',
      summary: "An app's push messages with their state and counts, newest first",
      params: appParams,
      query: messagesQuery,
      responses: { 200: { description: 'Messages', schema: listOf(messageView) } },
      handler: async ({ params, query }) => {
        await requireApp(params.appId);
        return { body: await deps.messages.list(params.appId, query) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: '/v1/admin/apps/:appId/push/installations',
      summary: "An app's installations (by user, platform, channel)",
      params: appParams,
      query: installationsQuery,
      responses: { 200: { description: 'Installations', schema: listOf(installationView) } },
      handler: async ({ params, query }) => {
        await requireApp(params.appId);
        const caller = { appId: params.appId, privileged: true, userId: null, kind: 'admin' as const, scopes: [] };
        return { body: await deps.installations.list(caller, query) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: '/v1/admin/apps/:appId/push/audience',
      summary: `Who a message target reaches: active installations counted exactly, per platform, and the first ${SAMPLE_SIZE}`,
      params: appParams,
      body: z.strictObject({ target }),
      responses: {
        200: {
          description: 'The audience',
          schema: z.object({
            count: z.number().int(),
            platforms: z.object({ ios: z.number().int(), android: z.number().int(), web: z.number().int() }),
            sample: z.array(installationView),
          }),
        },
      },
      handler: async ({ params, body }) => {
        await requireApp(params.appId);
        return { body: await previewAudience(deps, params.appId, body.target) };
      },
    }),
  ];
}
