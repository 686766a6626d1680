import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import {
  createTodos,
  createWebhook,
  deliveries,
  FAST_DELIVERY,
  startReceiver,
  startWebhookWorld,
  waitFor,
  type Receiver,
  type WebhookWorld,
} from './support.js';

describe.each(ENGINES)('webhook admin routes (%s)', (engine) => {
  let w: WebhookWorld;
  let receiver: Receiver;
  beforeAll(async () => {
    w = await startWebhookWorld(engine, { webhookDelivery: { ...FAST_DELIVERY, disableAfterMs: 400 } });
    receiver = await startReceiver();
    await createTodos(w);
  });
  afterAll(async () => {
    await receiver.close();
    await w.close();
  });

  it('refuses private, IPv6 loopback, unspecified and metadata URLs at creation, sending nothing', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/hook',
      'http://[::ffff:10.0.0.1]/hook',
      'http://[fd00:ec2::254]/',
      'http://[::1]:9/hook',
      'http://0.0.0.0:9/hook',
      'https://user:pw@example.com/',
      'ftp://example.com/',
    ]) {
      const res = await w.h.http
        .post(`${w.base}/webhooks`)
        .set(w.auth)
        .send({ url, events: ['*'] });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.fields.url).toBeTypeOf('string');
    }
    expect((await w.h.http.get(`${w.base}/webhooks`).set(w.auth).expect(200)).body.items).toEqual([]);
    // Changing a webhook's URL to a refused one is refused the same way.
    const { id } = await createWebhook(w, { url: `${receiver.url}/ok`, events: ['users.create'] });
    const patch = await w.h.http.patch(`${w.base}/webhooks/${id}`).set(w.auth).send({ url: 'http://10.0.0.1/' });
    expect(patch.status).toBe(400);
    await w.h.http.delete(`${w.base}/webhooks/${id}`).set(w.auth).expect(204);
  });

  it('shows the secret once, rotates it, audits every change', async () => {
    const created = await w.h.http
      .post(`${w.base}/webhooks`)
      .set(w.auth)
      .send({ url: `${receiver.url}/a`, events: ['documents.create:todos'], description: 'orders' })
      .expect(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(created.body).toMatchObject({ enabled: true, notice: null, secretHint: created.body.secret.slice(-4) });
    const got = await w.h.http.get(`${w.base}/webhooks/${created.body.id}`).set(w.auth).expect(200);
    expect(got.body).not.toHaveProperty('secret');
    expect(JSON.stringify(await w.h.store.forApp(w.appId).get('_webhooks', created.body.id))).not.toContain(
      created.body.secret,
    );
    const rotated = await w.h.http.post(`${w.base}/webhooks/${created.body.id}/secret`).set(w.auth).expect(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const patched = await w.h.http
      .patch(`${w.base}/webhooks/${created.body.id}`)
      .set(w.auth)
      .send({ enabled: false, events: ['documents.*'] })
      .expect(200);
    expect(patched.body).toMatchObject({ enabled: false, disabledReason: null, events: ['documents.*'] });
    await w.h.http.delete(`${w.base}/webhooks/${created.body.id}`).set(w.auth).expect(204);
    await w.h.http.get(`${w.base}/webhooks/${created.body.id}`).set(w.auth).expect(404);
    const audit = await w.h.http.get('/v1/admin/audit?limit=50').set(w.auth).expect(200);
    const actions = (audit.body.items as Array<{ action: string; target: { id: string } | null }>)
      .filter((e) => e.target?.id === created.body.id)
      .map((e) => e.action);
    expect(actions).toEqual(['webhook.delete', 'webhook.update', 'webhook.secret.rotate', 'webhook.create']);
  });

  it("keeps apps apart: another app's webhooks, deliveries and schedules are 404", async () => {
    const { id } = await createWebhook(w, { url: `${receiver.url}/mine`, events: ['users.*'] });
    const other = await w.h.http.post('/v1/admin/apps').set(w.auth).send({ name: 'Other' }).expect(201);
    const otherBase = `/v1/admin/apps/${other.body.id}`;
    await w.h.http.get(`${otherBase}/webhooks/${id}`).set(w.auth).expect(404);
    await w.h.http.patch(`${otherBase}/webhooks/${id}`).set(w.auth).send({ enabled: false }).expect(404);
    await w.h.http.delete(`${otherBase}/webhooks/${id}`).set(w.auth).expect(404);
    await w.h.http.get(`${otherBase}/webhooks/${id}/deliveries`).set(w.auth).expect(404);
    await w.h.http.post(`${otherBase}/webhooks/${id}/secret`).set(w.auth).expect(404);
    const sched = await w.h.http
      .post(`${otherBase}/schedules`)
      .set(w.auth)
      .send({ name: 'n', cron: '0 * * * *', target: { type: 'webhook', webhookId: id } });
    expect(sched.status).toBe(400);
    expect(sched.body.error.details.fields['target.webhookId']).toBeTypeOf('string');
    expect((await w.h.http.get(`${otherBase}/webhooks`).set(w.auth).expect(200)).body.items).toEqual([]);
    await w.h.http.get(`/v1/admin/apps/nope/webhooks`).set(w.auth).expect(404);
    await w.h.http.delete(`${w.base}/webhooks/${id}`).set(w.auth).expect(204);
  });

  it('needs an admin: no token, an app key or a bad token are refused', async () => {
    const secretKey = w.secretKey;
    await w.h.http.get(`${w.base}/webhooks`).expect(401);
    await w.h.http.get(`${w.base}/webhooks`).set('X-Hearth-Key', secretKey).expect(401);
    await w.h.http.get(`${w.base}/webhooks`).set('Authorization', 'Bearer nope').expect(401);
    await w.h.http.post(`${w.base}/schedules`).send({}).expect(401);
  });

  it('answers bad input with field errors on every route', async () => {
    const { id } = await createWebhook(w, { url: `${receiver.url}/bad`, events: ['users.*'] });
    const bad: Array<[string, string, unknown]> = [
      ['post', `${w.base}/webhooks`, {}],
      ['post', `${w.base}/webhooks`, { url: `${receiver.url}/x`, events: [] }],
      ['post', `${w.base}/webhooks`, { url: `${receiver.url}/x`, events: ['documents.read'] }],
      ['post', `${w.base}/webhooks`, { url: `${receiver.url}/x`, events: ['users.*', 'users.*'] }],
      ['post', `${w.base}/webhooks`, { url: `${receiver.url}/x`, events: ['*'], extra: 1 }],
      ['post', `${w.base}/webhooks`, { url: 'x'.repeat(3000), events: ['*'] }],
      ['post', `${w.base}/webhooks`, { url: 42, events: ['*'] }],
      ['patch', `${w.base}/webhooks/${id}`, {}],
      ['patch', `${w.base}/webhooks/${id}`, { enabled: 'yes' }],
      ['post', `${w.base}/schedules`, {}],
      ['post', `${w.base}/schedules`, { name: 'n', cron: 'every day', target: { type: 'webhook', webhookId: id } }],
      [
        'post',
        `${w.base}/schedules`,
        { name: 'n', cron: '* * * * *', timezone: 'Mars/Base', target: { type: 'webhook', webhookId: id } },
      ],
      ['post', `${w.base}/schedules`, { name: 'n', cron: '0 0 * * * * *', target: { type: 'webhook', webhookId: id } }],
      ['post', `${w.base}/schedules`, { name: 'n', cron: '0 * * * *', target: { type: 'url', url: 'http://x' } }],
    ];
    for (const [method, path, body] of bad) {
      const res = await (w.h.http as unknown as Record<string, (p: string) => import('supertest').Test>)[method]!(path)
        .set(w.auth)
        .send(body as object);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    for (const path of [
      `${w.base}/webhooks/${id}/deliveries?limit=0`,
      `${w.base}/webhooks/${id}/deliveries?status=lost`,
      `${w.base}/webhooks/bad%20id`,
      `${w.base}/webhooks/${id}/deliveries/bad%20id`,
    ]) {
      const res = await w.h.http.get(path).set(w.auth);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    await w.h.http.get(`${w.base}/webhooks/${id}/deliveries/missing1`).set(w.auth).expect(404);
    await w.h.http.post(`${w.base}/webhooks/${id}/deliveries/missing1/redeliver`).set(w.auth).expect(404);
    await w.h.http.get(`${w.base}/schedules/missing1`).set(w.auth).expect(404);
    await w.h.http.post(`${w.base}/schedules/missing1/run`).set(w.auth).expect(404);
    await w.h.http.get(`${w.base}/schedules/missing1/runs`).set(w.auth).expect(404);
    await w.h.http.delete(`${w.base}/webhooks/${id}`).set(w.auth).expect(204);
  });

  it('disables a webhook that keeps failing: audit entry, notice, metrics; redelivery then needs enabling', async () => {
    receiver.respond((_r, res) => res.writeHead(500).end('down'));
    const { id } = await createWebhook(w, { url: `${receiver.url}/down`, events: ['documents.create:todos'] });
    await w.h.http
      .post(`/v1/apps/${w.appId}/collections/todos/documents`)
      .set('X-Hearth-Key', w.secretKey)
      .send({ title: 'x' })
      .expect(201);
    const hook = await waitFor(async () => {
      const res = await w.h.http.get(`${w.base}/webhooks/${id}`).set(w.auth).expect(200);
      return res.body.enabled === false ? res.body : undefined;
    }, 15_000);
    expect(hook).toMatchObject({
      disabledReason: 'failing',
      notice: expect.stringContaining('Disabled automatically'),
    });
    const audit = await w.h.http.get('/v1/admin/audit?action=webhook.disable').set(w.auth).expect(200);
    expect(audit.body.items[0]).toMatchObject({ adminId: null, target: { type: 'webhook', id } });
    const [d] = await deliveries(w, id);
    expect(d!.status).toBe('failed');
    const conflict = await w.h.http.post(`${w.base}/webhooks/${id}/deliveries/${d!.id}/redeliver`).set(w.auth);
    expect(conflict.status).toBe(409);
    const metrics = await w.h.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/hearth_webhook_deliveries_total\{outcome="http_error"\} [1-9]/);
    expect(metrics.text).toMatch(/hearth_webhook_deliveries_total\{outcome="failed"\} [1-9]/);
    receiver.respond((_r, res) => res.writeHead(200).end());
    const enabled = await w.h.http.patch(`${w.base}/webhooks/${id}`).set(w.auth).send({ enabled: true }).expect(200);
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, notice: null });
    await w.h.http.post(`${w.base}/webhooks/${id}/deliveries/${d!.id}/redeliver`).set(w.auth).expect(202);
    await waitFor(async () => (await deliveries(w, id)).some((x) => x.status === 'succeeded'));
  });

  it('lists every route in /openapi.json with schemas', async () => {
    const doc = (await w.h.http.get('/openapi.json').expect(200)).body as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: unknown }>; requestBody?: unknown }>
      >;
    };
    const paths = Object.keys(doc.paths).filter((p) => /\/(webhooks|schedules)/.test(p));
    expect(paths.sort()).toEqual(
      [
        '/v1/admin/apps/{appId}/schedules',
        '/v1/admin/apps/{appId}/schedules/{scheduleId}',
        '/v1/admin/apps/{appId}/schedules/{scheduleId}/run',
        '/v1/admin/apps/{appId}/schedules/{scheduleId}/runs',
        '/v1/admin/apps/{appId}/webhooks',
        '/v1/admin/apps/{appId}/webhooks/{webhookId}',
        '/v1/admin/apps/{appId}/webhooks/{webhookId}/deliveries',
        '/v1/admin/apps/{appId}/webhooks/{webhookId}/deliveries/{deliveryId}',
        '/v1/admin/apps/{appId}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver',
        '/v1/admin/apps/{appId}/webhooks/{webhookId}/secret',
      ].sort(),
    );
    expect(doc.paths['/v1/admin/apps/{appId}/webhooks']!.post!.requestBody).toBeDefined();
    expect(doc.paths['/v1/admin/apps/{appId}/webhooks']!.post!.responses['201']!.content).toBeDefined();
  });
});
