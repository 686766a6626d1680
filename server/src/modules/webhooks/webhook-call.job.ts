import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isError } from '../../errors.js';
import { idParam } from '../../http/schemas.js';
import { UnrecoverableJobError } from '../../ports/job-queue.js';
import type { JobType } from '../jobs/index.js';
import type { DeliveryLog, StoredDelivery } from './deliveries.js';
import type { WebhookDeliveryJob } from './webhook-delivery.job.js';
import type { WebhooksService } from './webhooks.service.js';

/**
 * The `webhooks.call` job type: what `POST /v1/apps/{app}/jobs` (secret key) queues as
 * `{"type": "webhooks.call", "payload": {"webhookId": "…", "event": "orders.remind", "data": {…}}}`.
 * It sends one signed delivery of `event` (default `job.call`) with `data` to one of the app's
 * webhooks, logged in its delivery log like any other; the job's attempts and backoff are the
 * retries (default 8 attempts, 10 s doubling), so `GET …/jobs/{id}` shows the call's state,
 * attempts and last error, and its result names the delivery.
 *
 * Payload version 1. Safe to run twice: the delivery's id is derived from the job's id, so every
 * attempt of the job is an attempt of the same delivery (one `Hearth-Delivery` id), and a
 * delivery that already succeeded is not sent again.
 */
export const WEBHOOK_CALL_JOB = 'webhooks.call';

const payload = z.strictObject({
  webhookId: idParam,
  event: z
    .string()
    .max(64)
    .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'must be a dotted lower-case event name such as orders.remind')
    // Hearth's own events stay Hearth's: an app cannot have a signed "documents.create" sent.
    .refine((e) => !/^(documents|users|files|schedule)\./.test(e), "must not be one of Hearth's own events")
    .default('job.call'),
  data: z.record(z.string(), z.json()).default({}),
});
export type WebhookCallPayloadV1 = z.infer<typeof payload>;

const deliveryIdOf = (appId: string, jobId: string) =>
  createHash('sha256').update(`webhooks.call/${appId}/${jobId}`).digest('base64url').slice(0, 22);

export function webhookCallJobType(deps: {
  webhooks: WebhooksService;
  log: DeliveryLog;
  delivery: WebhookDeliveryJob;
  now: () => Date;
}): JobType<WebhookCallPayloadV1> {
  return {
    name: WEBHOOK_CALL_JOB,
    version: 1,
    payload,
    api: true,
    defaults: { attempts: 8, backoff: { type: 'exponential', delay: 10_000, jitter: 0.5 } },
    concurrency: 8,
    run: async (p, ctx) => {
      const hook = await deps.webhooks.find(ctx.appId, p.webhookId);
      if (!hook) throw new UnrecoverableJobError('no such webhook');
      if (!hook.enabled) throw new UnrecoverableJobError('the webhook is disabled');
      const secret = deps.webhooks.secretOf(ctx.appId, hook);
      if (!secret) throw new UnrecoverableJobError('the webhook secret is unreadable (HEARTH_SECRET changed)');
      const id = deliveryIdOf(ctx.appId, ctx.jobId);
      let d: StoredDelivery | null = await deps.log.find(ctx.appId, id);
      if (!d) {
        const body = JSON.stringify({
          id: ctx.jobId,
          type: p.event,
          appId: ctx.appId,
          createdAt: deps.now().toISOString(),
          data: p.data,
        });
        d = await deps.log
          .create(ctx.appId, { id, webhookId: hook.id, eventId: ctx.jobId, event: p.event, body })
          .catch(async (e: unknown) => {
            if (isError(e, 'conflict')) return (await deps.log.find(ctx.appId, id))!;
            throw e;
          });
      }
      if (d.status === 'succeeded') return { deliveryId: d.id, status: 'succeeded' };
      const result = await deps.delivery.attempt(ctx.appId, d, hook, secret, ctx.attempt, {
        lastAttempt: ctx.lastAttempt,
      });
      if (result.status !== 'succeeded') throw new Error(result.error ?? 'delivery failed');
      return { deliveryId: d.id, status: result.status, statusCode: result.statusCode };
    },
  };
}
