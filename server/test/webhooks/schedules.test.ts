import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import {
  createWebhook,
  startReceiver,
  startWebhookWorld,
  waitFor,
  type Receiver,
  type WebhookWorld,
} from './support.js';

describe.each(ENGINES)(
  'schedules (%s)',
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

    it('fires on its cron through the queue, records runs, runs now, stops when disabled', async () => {
      const { id: webhookId } = await createWebhook(w, { url: `${receiver.url}/tick`, events: ['users.delete'] });
      const created = await w.h.http
        .post(`${w.base}/schedules`)
        .set(w.auth)
        .send({
          name: 'every second',
          cron: '* * * * * *',
          timezone: 'Europe/Paris',
          target: { type: 'webhook', webhookId },
        })
        .expect(201);
      const id = created.body.id as string;
      expect(created.body).toMatchObject({ enabled: true, timezone: 'Europe/Paris', lastRunAt: null });
      expect(Date.parse(created.body.nextRunAt)).toBeGreaterThan(Date.now() - 1000);
      await waitFor(() => receiver.received.length >= 1, 10_000);
      const fired = JSON.parse(receiver.received[0]!.body);
      expect(receiver.received[0]!.headers['hearth-event']).toBe('schedule.fire');
      expect(fired).toMatchObject({
        type: 'schedule.fire',
        data: { schedule: { id, name: 'every second' }, trigger: 'cron' },
      });
      expect(receiver.received[0]!.headers['hearth-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

      await w.h.http.patch(`${w.base}/schedules/${id}`).set(w.auth).send({ enabled: false }).expect(200);
      const manual = await w.h.http.post(`${w.base}/schedules/${id}/run`).set(w.auth).expect(202);
      expect(manual.body).toMatchObject({ scheduleId: id, trigger: 'manual', status: 'delivered' });
      await waitFor(() => receiver.received.some((r) => JSON.parse(r.body).data.trigger === 'manual'));
      // Disabled: no more ticks (allow one already queued to land).
      await new Promise((r) => setTimeout(r, 1500));
      const count = receiver.received.length;
      await new Promise((r) => setTimeout(r, 2000));
      expect(receiver.received.length).toBe(count);

      const runs = await w.h.http.get(`${w.base}/schedules/${id}/runs`).set(w.auth).expect(200);
      expect(runs.body.items[0]).toMatchObject({ trigger: 'manual', deliveryId: manual.body.deliveryId });
      expect(runs.body.items.filter((r: { trigger: string }) => r.trigger === 'cron').length).toBeGreaterThanOrEqual(1);
      // Each cron run is its own tick: no tick delivered twice.
      const ids = receiver.received.map((r) => JSON.parse(r.body).data.runId as string);
      expect(new Set(ids).size).toBe(ids.length);
      const got = await w.h.http.get(`${w.base}/schedules/${id}`).set(w.auth).expect(200);
      expect(got.body).toMatchObject({ enabled: false, nextRunAt: null });
      expect(got.body.lastRunAt).toBeTypeOf('string');
      expect((await w.h.http.get(`${w.base}/schedules`).set(w.auth).expect(200)).body.items).toHaveLength(1);
      await w.h.http.delete(`${w.base}/schedules/${id}`).set(w.auth).expect(204);
      await w.h.http.get(`${w.base}/schedules/${id}`).set(w.auth).expect(404);
    });

    it('records a skipped run when the target webhook is disabled', async () => {
      const { id: webhookId } = await createWebhook(w, { url: `${receiver.url}/off`, events: ['users.delete'] });
      await w.h.http.patch(`${w.base}/webhooks/${webhookId}`).set(w.auth).send({ enabled: false }).expect(200);
      const s = await w.h.http
        .post(`${w.base}/schedules`)
        .set(w.auth)
        .send({ name: 'nightly', cron: '0 3 * * *', target: { type: 'webhook', webhookId }, enabled: false })
        .expect(201);
      const run = await w.h.http.post(`${w.base}/schedules/${s.body.id}/run`).set(w.auth).expect(202);
      expect(run.body).toMatchObject({ status: 'skipped', deliveryId: null, error: 'the webhook is disabled' });
    });

    it('queues a named job type instead of a webhook call, with a checked payload', async () => {
      const { id: webhookId } = await createWebhook(w, { url: `${receiver.url}/job`, events: ['users.delete'] });
      const bad = [
        [{ type: 'job', job: 'nope' }, 'target.job'],
        [{ type: 'job', job: 'mail' }, 'target.job'], // internal: apps cannot queue it
        [{ type: 'job', job: 'webhooks.call', payload: { event: 'x.y' } }, 'target.payload.webhookId'],
      ] as const;
      for (const [target, field] of bad) {
        const res = await w.h.http
          .post(`${w.base}/schedules`)
          .set(w.auth)
          .send({ name: 'j', cron: '0 3 * * *', target });
        expect(res.status, JSON.stringify(target)).toBe(400);
        expect(Object.keys(res.body.error.details.fields)).toEqual([field]);
      }
      const s = await w.h.http
        .post(`${w.base}/schedules`)
        .set(w.auth)
        .send({
          name: 'digest',
          cron: '0 3 * * *',
          timezone: 'America/New_York',
          target: { type: 'job', job: 'webhooks.call', payload: { webhookId, event: 'digest.daily', data: { k: 1 } } },
        })
        .expect(201);
      const run = await w.h.http.post(`${w.base}/schedules/${s.body.id}/run`).set(w.auth).expect(202);
      expect(run.body).toMatchObject({ status: 'delivered', deliveryId: null, jobId: `schedule-${run.body.id}` });
      const got = await waitFor(() => receiver.received.find((r) => r.path === '/job'));
      expect(JSON.parse(got.body)).toMatchObject({ type: 'digest.daily', data: { k: 1 } });
      await w.h.http.delete(`${w.base}/schedules/${s.body.id}`).set(w.auth).expect(204);
    });

    it('a tick whose job runs twice records and delivers once', async () => {
      const { id: webhookId } = await createWebhook(w, { url: `${receiver.url}/twice`, events: ['users.delete'] });
      const s = await w.h.http
        .post(`${w.base}/schedules`)
        .set(w.auth)
        .send({ name: 'hourly', cron: '0 * * * *', target: { type: 'webhook', webhookId } })
        .expect(201);
      const fire = w.h.modules.webhooks.services.fire;
      const job = { id: 'tick-1', data: { v: 1, appId: w.appId, scheduleId: s.body.id } } as never;
      const first = (await fire.handle(job)) as { run?: string };
      const second = (await fire.handle(job)) as { skipped?: string };
      expect(first.run).toBeTypeOf('string');
      expect(second.skipped).toBe('tick already ran');
      const runs = await w.h.http.get(`${w.base}/schedules/${s.body.id}/runs`).set(w.auth).expect(200);
      expect(runs.body.items).toHaveLength(1);
      await w.h.http.delete(`${w.base}/schedules/${s.body.id}`).set(w.auth).expect(204);
    });
  },
  60_000,
);
