import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueTargets, type QueueTarget } from '../conformance/job-queue/targets.js';
import { buildTestApp, openStore, withAdminAndApp } from '../support/harness.js';
import { FAST_DELIVERY, LOOPBACK_ONLY, startReceiver, waitFor, type Receiver } from './support.js';

/**
 * Two replicas (two apps over one store, two queue instances on one queue: the same SQLite
 * queue file, or bull on the test redis-server): each delivery is sent once, and a schedule fires
 * once per tick, whichever replica takes the job.
 */
describe.each(queueTargets())(
  'two replicas sharing a $name queue',
  ({ open }) => {
    let target: QueueTarget;
    let receiver: Receiver;
    let cleanupStore: () => Promise<void>;
    let a: ReturnType<typeof request>;
    let b: ReturnType<typeof request>;
    let world: { appId: string; secretKey: string; auth: { Authorization: string }; base: string };
    beforeAll(async () => {
      target = open();
      receiver = await startReceiver();
      const { store, cleanup } = await openStore('sqlite');
      cleanupStore = cleanup;
      const options = { outbound: LOOPBACK_ONLY, webhookDelivery: FAST_DELIVERY, scheduleMinIntervalMs: 1000 };
      const [appA, appB] = await Promise.all([
        buildTestApp(store, { ...options, jobs: target.instance() }),
        buildTestApp(store, { ...options, jobs: target.instance() }),
      ]);
      a = request(appA.app);
      b = request(appB.app);
      const { adminToken, appId, secretKey } = await withAdminAndApp({ http: a } as never);
      world = { appId, secretKey, auth: { Authorization: `Bearer ${adminToken}` }, base: `/v1/admin/apps/${appId}` };
    });
    afterAll(async () => {
      await target.cleanup();
      await receiver.close();
      await cleanupStore();
    });

    it('sends each event once, whichever replica wrote it or runs the job', async () => {
      const hook = await a
        .post(`${world.base}/webhooks`)
        .set(world.auth)
        .send({ url: `${receiver.url}/events`, events: ['users.create'] })
        .expect(201);
      for (let i = 0; i < 10; i++) {
        await (i % 2 ? a : b)
          .post(`/v1/apps/${world.appId}/auth/anonymous`)
          .set('X-Hearth-Key', world.secretKey)
          .send({})
          .expect(201);
      }
      await waitFor(() => receiver.received.filter((r) => r.path === '/events').length >= 10);
      await new Promise((r) => setTimeout(r, 500));
      const events = receiver.received.filter((r) => r.path === '/events');
      expect(events).toHaveLength(10);
      expect(new Set(events.map((r) => r.headers['hearth-delivery'])).size).toBe(10);
      await a.delete(`${world.base}/webhooks/${hook.body.id}`).set(world.auth).expect(204);
    });

    it('fires a schedule once per tick across both replicas', async () => {
      const hook = await a
        .post(`${world.base}/webhooks`)
        .set(world.auth)
        .send({ url: `${receiver.url}/ticks`, events: ['users.delete'] })
        .expect(201);
      const started = Date.now();
      const s = await b
        .post(`${world.base}/schedules`)
        .set(world.auth)
        .send({ name: 'tick', cron: '* * * * * *', target: { type: 'webhook', webhookId: hook.body.id } })
        .expect(201);
      await waitFor(() => receiver.received.filter((r) => r.path === '/ticks').length >= 3, 15_000);
      await a.patch(`${world.base}/schedules/${s.body.id}`).set(world.auth).send({ enabled: false }).expect(200);
      const elapsed = (Date.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 1500));
      const ticks = receiver.received.filter((r) => r.path === '/ticks');
      // One per second at most (plus one for a tick landing on either edge), never one per replica.
      expect(ticks.length).toBeLessThanOrEqual(Math.ceil(elapsed) + 2);
      const runs = ticks.map((r) => JSON.parse(r.body).data.runId as string);
      expect(new Set(runs).size).toBe(runs.length);
      const history = await b.get(`${world.base}/schedules/${s.body.id}/runs?limit=100`).set(world.auth).expect(200);
      expect(history.body.items.length).toBe(ticks.length);
    });
  },
  60_000,
);
