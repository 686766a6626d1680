import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DELIVERY_SETTINGS } from '../../src/modules/webhooks/webhook-delivery.job.js';
import { DELIVERIES, type StoredDelivery } from '../../src/modules/webhooks/deliveries.js';
import { WebhookMaintenance } from '../../src/modules/webhooks/maintenance.js';
import { EVENTS_OUTBOX, OUTBOX } from '../../src/modules/webhooks/outbox.js';
import { ENGINES } from '../support/harness.js';
import {
  createTodos,
  createWebhook,
  FAST_DELIVERY,
  startReceiver,
  startWebhookWorld,
  waitFor,
  type Receiver,
  type WebhookWorld,
} from './support.js';

/**
 * The maintenance sweep (modules/webhooks/maintenance.ts), run by hand with its own settings and
 * clock: outbox records drained once, stuck `pending` deliveries re-enqueued or failed with a
 * reason, the delivery log trimmed by count and by age; and the write path's outbox check.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(ENGINES)('webhook maintenance (%s)', (engine) => {
  let w: WebhookWorld;
  let receiver: Receiver;
  beforeEach(async () => {
    w = await startWebhookWorld(engine);
    receiver = await startReceiver();
    await createTodos(w);
  });
  afterEach(async () => {
    await receiver.close();
    await w.close();
  });
  const services = () => w.h.modules.webhooks.services;
  const sweeper = (settings: Partial<typeof DEFAULT_DELIVERY_SETTINGS> = {}, offsetMs = 0) =>
    new WebhookMaintenance({
      store: w.h.store,
      jobs: w.h.modules.jobs.services.queue,
      webhooks: services().webhooks,
      log: services().deliveries,
      outbox: services().outbox,
      dispatcher: services().dispatcher,
      delivery: services().delivery,
      settings: { ...DEFAULT_DELIVERY_SETTINGS, ...FAST_DELIVERY, ...settings },
      appIds: async function* () {
        yield w.appId;
      },
      logger: pino({ level: 'silent' }),
      now: () => new Date(Date.now() + offsetMs),
    });
  const record = (hookId: string, eventId: string) =>
    services().deliveries.create(w.appId, { webhookId: hookId, eventId, event: 'users.create', body: '{}' });
  const app = () => w.h.store.forApp(w.appId);

  it('checks the outbox without a store read when no cached webhook matches, and with one when one does', async () => {
    await createWebhook(w, { url: `${receiver.url}/x`, events: ['documents.create:other'] });
    const outbox = services().outbox;
    await services().webhooks.active(w.appId); // the cache is fresh now
    expect(outbox.wants(w.appId, 'documents.create', 'todos')).toBe(false);
    expect(outbox.wants(w.appId, 'documents.create', 'other')).toBe(true);
    expect(outbox.wants(w.appId, 'documents.delete', 'other')).toBe(false);
    const res = await w.h.http
      .post(`/v1/apps/${w.appId}/collections/todos/documents`)
      .set('X-Hearth-Key', w.secretKey)
      .send({ title: 'a' })
      .expect(201);
    expect(res.body.id).toBeTruthy();
    expect(await app().count(OUTBOX)).toBe(0);
  });

  it('drains an outbox record once, however often it is drained', async () => {
    const hook = await createWebhook(w, { url: `${receiver.url}/o`, events: ['documents.*:todos'] });
    const todo = await app().create('todos', { data: { title: 'orphan', secretNote: 's' } });
    // what a process that died after its commit leaves behind
    await app().batch([
      services().outbox.record(w.appId, {
        id: 'evt0000000000001',
        type: 'documents.update',
        collection: 'todos',
        docId: todo.id,
        before: todo,
      }),
    ]);
    const s = sweeper({ outboxLeaseMs: 1000 });
    expect((await s.sweepApp(w.appId)).recovered).toBe(0); // still within its lease
    const later = sweeper({ outboxLeaseMs: 1000 }, 2000);
    expect((await later.sweepApp(w.appId)).recovered).toBe(1);
    await services().dispatcher.document(
      await services().outbox.eventOf(w.appId, {
        id: 'evt0000000000001',
        type: 'documents.update',
        collection: 'todos',
        docId: todo.id,
        before: todo,
        cause: null,
        createdAt: todo.createdAt,
      }),
    );
    expect((await later.sweepApp(w.appId)).recovered).toBe(0);
    const got = await waitFor(() => receiver.received.find((r) => r.path === '/o'));
    await sleep(300);
    expect(receiver.received.filter((r) => r.path === '/o')).toHaveLength(1);
    expect(got.headers['hearth-delivery']).toBe(`evt0000000000001-${hook.id}`);
    const body = JSON.parse(got.body) as { id: string; data: { document: object; previous: object } };
    expect(body.id).toBe('evt0000000000001');
    expect(body.data.previous).toMatchObject({ id: todo.id, title: 'orphan' });
    expect(body.data.previous).not.toHaveProperty('secretNote');
  });

  it('recovers file events: a delete as recorded, a create of a file deleted since is dropped', async () => {
    const hook = await createWebhook(w, { url: `${receiver.url}/f`, events: ['files.*'] });
    const files = services().outbox.forFiles();
    const gone = { id: 'fgone', name: 'gone.txt', size: 3, type: 'text/plain', owner: null, public: false };
    await app().batch([
      files.record(w.appId, { id: 'evtfile000000001', type: 'files.create', fileId: 'fnever', before: null }),
      files.record(w.appId, { id: 'evtfile000000002', type: 'files.delete', fileId: 'fgone', before: gone as never }),
    ]);
    const later = sweeper({ outboxLeaseMs: 1000 }, 2000);
    await later.sweepApp(w.appId);
    expect(await app().count(EVENTS_OUTBOX)).toBe(0);
    const got = await waitFor(() => receiver.received.find((r) => r.path === '/f'));
    await sleep(300);
    expect(receiver.received.filter((r) => r.path === '/f')).toHaveLength(1);
    expect(got.headers['hearth-delivery']).toBe(`evtfile000000002-${hook.id}`);
    expect(JSON.parse(got.body)).toMatchObject({ id: 'evtfile000000002', type: 'files.delete', data: { file: gone } });
  });

  it('drops a recovered users.create of a user deleted since (its delete follows), and sends a users.delete as recorded', async () => {
    await createWebhook(w, { url: `${receiver.url}/u`, events: ['users.*'] });
    const users = services().outbox.forUsers();
    const ada = { id: 'uada', email: 'ada@example.com', roles: [] };
    await app().batch([
      users.record(w.appId, { id: 'evtuser000000001', type: 'users.create', userId: 'ughost', before: null }),
      users.record(w.appId, { id: 'evtuser000000002', type: 'users.delete', userId: 'uada', before: ada as never }),
    ]);
    await sweeper({ outboxLeaseMs: 1000 }, 2000).sweepApp(w.appId);
    expect(await app().count(EVENTS_OUTBOX)).toBe(0);
    const got = await waitFor(() => receiver.received.find((r) => r.path === '/u'));
    await sleep(300);
    expect(receiver.received.filter((r) => r.path === '/u')).toHaveLength(1);
    expect(JSON.parse(got.body)).toMatchObject({ id: 'evtuser000000002', type: 'users.delete', data: { user: ada } });
  });

  it('re-enqueues a pending delivery whose job is gone, leaves a queued one alone, and fails one it gave up on', async () => {
    const hook = await createWebhook(w, { url: `${receiver.url}/p`, events: ['users.create'] });
    const lost = await record(hook.id, 'e-lost');
    const queued = await record(hook.id, 'e-queued');
    await services().delivery.enqueue(w.appId, queued, 1, 60_000); // delayed: still in the queue
    const givenUp = await record(hook.id, 'e-given-up');
    await app().update(DELIVERIES, givenUp.id, { set: { sweeps: 3 } });
    const s = sweeper({ pendingLeaseMs: 1000 });
    expect(await s.sweepApp(w.appId)).toMatchObject({ requeued: 0, failed: 0 }); // within the lease
    const later = sweeper({ pendingLeaseMs: 1000, retryWindowMs: 60_000 }, 2000);
    expect(await later.sweepApp(w.appId)).toMatchObject({ requeued: 1, failed: 1 });
    await waitFor(async () => (await services().deliveries.find(w.appId, lost.id))?.status === 'succeeded');
    expect(receiver.received.filter((r) => r.headers['hearth-delivery'] === lost.id)).toHaveLength(1);
    const failed = (await services().deliveries.find(w.appId, givenUp.id))!;
    expect(failed.status).toBe('failed');
    expect(failed.attemptLog.at(-1)!.error).toMatch(/never attempted: its job was lost \(re-enqueued 3 times\)/);
    expect((await services().deliveries.find(w.appId, queued.id))!.status).toBe('pending');
    // past the retry window: failed with that reason
    const old = await record(hook.id, 'e-old');
    const past = sweeper({ pendingLeaseMs: 1000, retryWindowMs: 60_000 }, 120_000);
    await past.sweepApp(w.appId);
    const expired = (await services().deliveries.find(w.appId, old.id))!;
    expect(expired.status).toBe('failed');
    expect(expired.attemptLog.at(-1)!.error).toMatch(/not attempted within the retry window/);
  });

  it('trims finished deliveries beyond the newest N per webhook and older than the kept days', async () => {
    const a = await createWebhook(w, { url: `${receiver.url}/a`, events: ['users.create'] });
    const b = await createWebhook(w, { url: `${receiver.url}/b`, events: ['users.create'] });
    const made: StoredDelivery[] = [];
    for (let i = 0; i < 5; i++) {
      const d = await record(a.id, `a${i}`);
      await app().update(DELIVERIES, d.id, { set: { status: i % 2 ? 'failed' : 'succeeded' } });
      made.push(d);
      await sleep(3);
    }
    const open = await record(a.id, 'a-open'); // pending: never trimmed
    await record(b.id, 'b0').then((d) => app().update(DELIVERIES, d.id, { set: { status: 'succeeded' } }));
    const byCount = sweeper({ keepPerWebhook: 3, keepDays: 0 });
    expect((await byCount.sweepApp(w.appId)).trimmed).toBe(2);
    const left = await services().deliveries.list(w.appId, a.id, { limit: 50 });
    expect(left.items.map((d) => d.id).sort()).toEqual([...made.slice(2).map((d) => d.id), open.id].sort());
    expect((await byCount.sweepApp(w.appId)).trimmed).toBe(0);
    // two days on, the pending one has been failed by the same sweep (past the retry window) and goes too
    const byAge = sweeper({ keepPerWebhook: 0, keepDays: 1 }, 2 * 86_400_000);
    expect(await byAge.sweepApp(w.appId)).toMatchObject({ failed: 1, trimmed: 5 });
    expect((await services().deliveries.list(w.appId, a.id, { limit: 50 })).items).toHaveLength(0);
    expect((await services().deliveries.list(w.appId, b.id, { limit: 50 })).items).toHaveLength(0);
    // zero turns both off
    expect((await sweeper({ keepPerWebhook: 0, keepDays: 0 }, 9e9).sweepApp(w.appId)).trimmed).toBe(0);
  });
});
