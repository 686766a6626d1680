import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { docExamples } from './doc-examples.js';
import {
  createWebhook,
  deliveries,
  startReceiver,
  startWebhookWorld,
  waitFor,
  type Receiver,
  type WebhookWorld,
} from './support.js';

/** `POST /v1/apps/{app}/jobs` with type `webhooks.call`: a signed call to one of the app's webhooks, as a job. */
describe.each(ENGINES)(
  'webhook calls queued through the jobs API (%s)',
  (engine) => {
    let w: WebhookWorld;
    let receiver: Receiver;
    beforeAll(async () => {
      w = await startWebhookWorld(engine);
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await receiver.close();
      await w.close();
    });
    const enqueue = (body: Record<string, unknown>) =>
      w.h.http.post(`/v1/apps/${w.appId}/jobs`).set('X-Hearth-Key', w.secretKey).send(body);
    const job = async (id: string, until: string) =>
      waitFor(async () => {
        const res = await w.h.http.get(`/v1/apps/${w.appId}/jobs/${id}`).set('X-Hearth-Key', w.secretKey).expect(200);
        return res.body.state === until ? (res.body as Record<string, unknown>) : undefined;
      });

    it('sends a signed call with the given event and data; the job shows the result', async () => {
      const { verifyHearthSignature } = await docExamples();
      const hook = await createWebhook(w, { url: `${receiver.url}/call`, events: ['users.delete'] });
      const queued = await enqueue({
        type: 'webhooks.call',
        payload: { webhookId: hook.id, event: 'orders.remind', data: { orderId: 'o1', n: 2 } },
      }).expect(202);
      const done = await job(queued.body.id, 'completed');
      const [sent] = receiver.received;
      expect(sent!.headers['hearth-event']).toBe('orders.remind');
      expect(verifyHearthSignature(sent!.body, sent!.headers['hearth-signature'], hook.secret)).toBe(true);
      expect(JSON.parse(sent!.body)).toMatchObject({
        id: queued.body.id,
        type: 'orders.remind',
        data: { orderId: 'o1', n: 2 },
      });
      expect(done.result).toMatchObject({
        status: 'succeeded',
        statusCode: 204,
        deliveryId: sent!.headers['hearth-delivery'],
      });
      const log = await deliveries(w, hook.id);
      expect(log[0]).toMatchObject({
        id: sent!.headers['hearth-delivery'],
        status: 'succeeded',
        event: 'orders.remind',
      });
    });

    it("fails the job for a missing, disabled or other app's webhook, and refuses a bad payload", async () => {
      const missing = await enqueue({ type: 'webhooks.call', payload: { webhookId: 'nope1234' } }).expect(202);
      expect((await job(missing.body.id, 'failed')).error).toBe('no such webhook');
      const hook = await createWebhook(w, { url: `${receiver.url}/off`, events: ['users.delete'] });
      await w.h.http.patch(`${w.base}/webhooks/${hook.id}`).set(w.auth).send({ enabled: false }).expect(200);
      const off = await enqueue({ type: 'webhooks.call', payload: { webhookId: hook.id } }).expect(202);
      expect((await job(off.body.id, 'failed')).error).toBe('the webhook is disabled');
      const other = await w.h.http.post('/v1/admin/apps').set(w.auth).send({ name: 'Other' }).expect(201);
      const foreign = await w.h.http
        .post(`/v1/apps/${other.body.id}/jobs`)
        .set('X-Hearth-Key', other.body.keys.secret)
        .send({ type: 'webhooks.call', payload: { webhookId: hook.id } })
        .expect(202);
      const failed = await waitFor(async () => {
        const res = await w.h.http
          .get(`/v1/apps/${other.body.id}/jobs/${foreign.body.id}`)
          .set('X-Hearth-Key', other.body.keys.secret);
        return res.body.state === 'failed' ? res.body : undefined;
      });
      expect(failed.error).toBe('no such webhook');
      for (const payload of [
        {},
        { webhookId: hook.id, event: 'Bad Event' },
        { webhookId: hook.id, event: 'documents.create' },
        { webhookId: hook.id, extra: 1 },
        { webhookId: hook.id, data: 'x' },
      ]) {
        const res = await enqueue({ type: 'webhooks.call', payload });
        expect(res.status, JSON.stringify(payload)).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
      }
    });
  },
  60_000,
);
