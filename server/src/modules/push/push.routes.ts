import type { Request } from 'express';
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { listOf } from '../../http/schemas.js';
import type { InstallationsService, PushCaller } from './installations.service.js';
import { installationView } from './installations.service.js';
import type { PushCredentials } from './credentials.service.js';
import { assertMaySend, type MessagesService } from './messages.service.js';
import {
  appParams,
  installationInput,
  installationParams,
  installationPatch,
  installationsQuery,
  installationView as installationSchema,
  messageAccepted,
  messageInput,
  messageParams,
  messagesQuery,
  messageView,
} from './push.schema.js';

/** The app-facing push routes: installations (any key, the signed-in user's own), messages (senders). */
const TAG = 'Push';
const security = ['appKey' as const, 'userBearer' as const, 'adminBearer' as const];

export function pushCaller(req: Request): PushCaller {
  const ctx = req.ctx;
  const kind = ctx.key ? ctx.key.kind : 'admin';
  return {
    appId: ctx.app!.id,
    privileged: kind === 'secret' || kind === 'admin',
    userId: ctx.user?.id ?? null,
    kind,
    scopes: ctx.key?.scopes ?? [],
  };
}

export function pushRoutes(deps: {
  installations: InstallationsService;
  messages: MessagesService;
  credentials: PushCredentials;
}): RouteSpec[] {
  const { installations, messages } = deps;
  const base = { tag: TAG, security };
  return [
    defineRoute({
      ...base,
      method: 'post',
      path: '/v1/apps/:appId/push/installations',
      summary:
        'Register this device (201), or update the installation that already has its token (200); linked to the signed-in user',
      params: appParams,
      body: installationInput,
      responses: {
        201: { description: 'Registered', schema: installationSchema },
        200: { description: 'Already registered: updated', schema: installationSchema },
      },
      handler: async ({ body, req }) => {
        const { created, view } = await installations.register(pushCaller(req), body);
        return { status: created ? 201 : 200, body: view };
      },
    }),
    defineRoute({
      ...base,
      method: 'get',
      path: '/v1/apps/:appId/push/installations',
      summary: "The signed-in user's installations (a secret key or an admin: all, by user, platform, channel)",
      params: appParams,
      query: installationsQuery,
      responses: { 200: { description: 'Installations', schema: listOf(installationSchema) } },
      handler: async ({ query, req }) => ({ body: await installations.list(pushCaller(req), query) }),
    }),
    defineRoute({
      ...base,
      method: 'get',
      path: '/v1/apps/:appId/push/installations/:installationId',
      summary: 'An installation (its user, an anonymous one by id, or a secret key)',
      params: installationParams,
      responses: { 200: { description: 'The installation', schema: installationSchema } },
      handler: async ({ params, req }) => ({
        body: installationView(await installations.get(pushCaller(req), params.installationId)),
      }),
    }),
    defineRoute({
      ...base,
      method: 'patch',
      path: '/v1/apps/:appId/push/installations/:installationId',
      summary: 'Change an installation: channels, locale, time zone, app version, badge, a refreshed token',
      params: installationParams,
      body: installationPatch,
      responses: { 200: { description: 'Updated', schema: installationSchema } },
      handler: async ({ params, body, req }) => ({
        body: await installations.update(pushCaller(req), params.installationId, body),
      }),
    }),
    defineRoute({
      ...base,
      method: 'delete',
      path: '/v1/apps/:appId/push/installations/:installationId',
      summary: 'Unregister an installation',
      params: installationParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ params, req }) => {
        await installations.remove(pushCaller(req), params.installationId);
        return { status: 204 };
      },
    }),
    defineRoute({
      ...base,
      method: 'get',
      path: '/v1/apps/:appId/push/vapid-key',
      summary: "The app's VAPID public key, for pushManager.subscribe({applicationServerKey})",
      params: appParams,
      responses: { 200: { description: 'The key', schema: z.object({ publicKey: z.string() }) } },
      handler: async ({ params }) => ({ body: { publicKey: await deps.credentials.vapidPublicKey(params.appId) } }),
    }),
    defineRoute({
      ...base,
      method: 'post',
      path: '/v1/apps/:appId/push/messages',
      summary:
        'Send (or schedule) a push to users, channels, installations, a filter on installations, or all (secret key, admin, or a key with push:send)',
      params: appParams,
      body: messageInput,
      responses: { 202: { description: 'Accepted: delivered in batches through the queue', schema: messageAccepted } },
      handler: async ({ body, req }) => ({ status: 202, body: await messages.create(pushCaller(req), body) }),
    }),
    defineRoute({
      ...base,
      method: 'get',
      path: '/v1/apps/:appId/push/messages',
      summary: 'Messages sent, newest first (senders)',
      params: appParams,
      query: messagesQuery,
      responses: { 200: { description: 'Messages', schema: listOf(messageView) } },
      handler: async ({ params, query, req }) => {
        assertMaySend(pushCaller(req));
        return { body: await messages.list(params.appId, query) };
      },
    }),
    defineRoute({
      ...base,
      method: 'get',
      path: '/v1/apps/:appId/push/messages/:messageId',
      summary: "A message's state and counts: targeted, sent, failed, invalid tokens, per provider, first errors",
      params: messageParams,
      responses: { 200: { description: 'The message', schema: messageView } },
      handler: async ({ params, req }) => {
        assertMaySend(pushCaller(req));
        return { body: await messages.get(params.appId, params.messageId) };
      },
    }),
    defineRoute({
      ...base,
      method: 'post',
      path: '/v1/apps/:appId/push/messages/:messageId/cancel',
      summary: 'Cancel a scheduled (or still sending) message: batches not yet delivered are dropped',
      params: messageParams,
      responses: { 200: { description: 'Cancelled', schema: messageView } },
      handler: async ({ params, req }) => ({ body: await messages.cancel(pushCaller(req), params.messageId) }),
    }),
  ];
}
