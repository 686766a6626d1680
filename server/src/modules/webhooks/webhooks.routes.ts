import type { Request, RequestHandler } from 'express';
import { reasonError } from '../../errors.js';
import { requestMeta } from '../../http/request.js';
import { defineRoute, type RouteSpec } from '../../http/route.js';
import { listOf } from '../../http/schemas.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { auditMeta, type AuditLog } from '../audit/index.js';
import { toDeliveryView, type DeliveryLog } from './deliveries.js';
import type { WebhookDispatcher } from './webhook-dispatch.js';
import {
  appParams,
  deliveriesQuery,
  deliveryParams,
  deliveryView,
  webhookCreate,
  webhookParams,
  webhookPatch,
  webhookView,
  webhookWithSecret,
} from './webhooks.schema.js';
import { toWebhookView, type WebhooksService } from './webhooks.service.js';

const TAG = 'Admin: webhooks';

/**
 * Webhooks are managed through the admin API only (the dashboard), not with the app's secret
 * key: a webhook is a standing channel that copies the app's events to a URL, so creating one
 * is an admin action with an audit entry (docs/webhooks.md says why).
 */
export function webhookRoutes(deps: {
  webhooks: WebhooksService;
  log: DeliveryLog;
  dispatcher: WebhookDispatcher;
  requireApp: (appId: string) => Promise<unknown>;
  requireAdmin: RequestHandler;
  audit: AuditLog;
}): RouteSpec[] {
  const { webhooks, log, requireApp } = deps;
  const admin = { security: ['adminBearer' as const], before: [deps.requireAdmin], tag: TAG };
  const base = '/v1/admin/apps/:appId/webhooks';
  const record = (req: Request, action: string, id: string, details: Record<string, JsonValue>) => {
    const meta = requestMeta(req);
    return deps.audit.record({
      adminId: meta.adminId ?? null,
      action,
      target: { type: 'webhook', id },
      details,
      ...auditMeta(meta),
    });
  };
  return [
    defineRoute({
      ...admin,
      method: 'get',
      path: base,
      summary: "An app's webhooks, oldest first (at most 1000)",
      params: appParams,
      responses: { 200: { description: 'Webhooks', schema: listOf(webhookView) } },
      handler: async ({ params }) => {
        await requireApp(params.appId);
        return { body: { items: (await webhooks.list(params.appId)).map(toWebhookView), next: null } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: base,
      summary: 'Create a webhook; the answer holds its signing secret, shown only here',
      params: appParams,
      body: webhookCreate,
      responses: {
        201: { description: 'The webhook and its secret', schema: webhookWithSecret },
        400: { description: 'Invalid fields, or a URL the SSRF policy refuses (nothing is sent to it)' },
      },
      handler: async ({ params, body, req }) => {
        await requireApp(params.appId);
        const { hook, secret } = await webhooks.create(params.appId, body);
        await record(req, 'webhook.create', hook.id, { appId: params.appId, url: hook.url, events: hook.events });
        return { status: 201, body: { ...toWebhookView(hook), secret } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: `${base}/:webhookId`,
      summary: 'A webhook (with a notice when it was disabled automatically)',
      params: webhookParams,
      responses: { 200: { description: 'The webhook', schema: webhookView } },
      handler: async ({ params }) => {
        await requireApp(params.appId);
        return { body: toWebhookView(await webhooks.require(params.appId, params.webhookId)) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'patch',
      path: `${base}/:webhookId`,
      summary: 'Change a webhook (enabled: true re-enables one that was disabled automatically)',
      params: webhookParams,
      body: webhookPatch,
      responses: { 200: { description: 'The webhook', schema: webhookView } },
      handler: async ({ params, body, req }) => {
        await requireApp(params.appId);
        const hook = await webhooks.update(params.appId, params.webhookId, body);
        await record(req, 'webhook.update', hook.id, { appId: params.appId, ...(body as Record<string, JsonValue>) });
        return { body: toWebhookView(hook) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'delete',
      path: `${base}/:webhookId`,
      summary: 'Delete a webhook (queued deliveries to it are dropped when their turn comes)',
      params: webhookParams,
      responses: { 204: { description: 'Deleted' } },
      handler: async ({ params, req }) => {
        await requireApp(params.appId);
        const hook = await webhooks.remove(params.appId, params.webhookId);
        await record(req, 'webhook.delete', hook.id, { appId: params.appId, url: hook.url });
        return { status: 204 };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: `${base}/:webhookId/secret`,
      summary: 'Rotate the signing secret; the new one is shown only in this answer and applies to the next attempt',
      params: webhookParams,
      responses: { 200: { description: 'The webhook and its new secret', schema: webhookWithSecret } },
      handler: async ({ params, req }) => {
        await requireApp(params.appId);
        const { hook, secret } = await webhooks.rotateSecret(params.appId, params.webhookId);
        await record(req, 'webhook.secret.rotate', hook.id, { appId: params.appId });
        return { body: { ...toWebhookView(hook), secret } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: `${base}/:webhookId/deliveries`,
      summary: "A webhook's delivery log, newest first",
      params: webhookParams,
      query: deliveriesQuery,
      responses: { 200: { description: 'Deliveries', schema: listOf(deliveryView) } },
      handler: async ({ params, query }) => {
        await requireApp(params.appId);
        await webhooks.require(params.appId, params.webhookId);
        const page = await log.list(params.appId, params.webhookId, query);
        return { body: { items: page.items.map(toDeliveryView), next: page.next } };
      },
    }),
    defineRoute({
      ...admin,
      method: 'get',
      path: `${base}/:webhookId/deliveries/:deliveryId`,
      summary: 'One delivery: status, attempts, request and response excerpts',
      params: deliveryParams,
      responses: { 200: { description: 'The delivery', schema: deliveryView } },
      handler: async ({ params }) => {
        await requireApp(params.appId);
        await webhooks.require(params.appId, params.webhookId);
        return { body: toDeliveryView(await log.require(params.appId, params.webhookId, params.deliveryId)) };
      },
    }),
    defineRoute({
      ...admin,
      method: 'post',
      path: `${base}/:webhookId/deliveries/:deliveryId/redeliver`,
      summary: 'Send a delivery again: a new delivery with the same event id and body, signed afresh',
      params: deliveryParams,
      responses: {
        202: { description: 'The new delivery, queued', schema: deliveryView },
        409: { description: 'The webhook is disabled (enable it first)' },
      },
      handler: async ({ params, req }) => {
        await requireApp(params.appId);
        const hook = await webhooks.require(params.appId, params.webhookId);
        const original = await log.require(params.appId, params.webhookId, params.deliveryId);
        if (!hook.enabled) {
          throw reasonError('conflict', 'precondition', 'The webhook is disabled: enable it before redelivering.');
        }
        const d = await deps.dispatcher.deliverTo(
          params.appId,
          hook,
          { id: original.eventId, type: original.event, body: original.body },
          original.id,
        );
        await record(req, 'webhook.redeliver', hook.id, {
          appId: params.appId,
          deliveryId: original.id,
          newDeliveryId: d.id,
        });
        return { status: 202, body: toDeliveryView(d) };
      },
    }),
  ];
}
