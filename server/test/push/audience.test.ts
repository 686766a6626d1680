import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { pushWorld, signUp, startPushServers, type PushServers, type PushWorld } from './kit.js';
import { apnsToken, fcmToken } from './keys.js';

/** POST /v1/admin/apps/:appId/push/audience: who a target reaches, counted like the fan-out plans. */
let servers: PushServers;
beforeAll(async () => {
  servers = await startPushServers();
});
afterAll(async () => servers?.close());

describe.each(ENGINES)('push audience preview on %s', (engine) => {
  let w: PushWorld;
  let ada: { token: string; userId: string };
  let gone = '';
  const audience = (target: unknown) =>
    w.admin(w.h.http.post(`/v1/admin/apps/${w.appId}/push/audience`)).send({ target });
  beforeAll(async () => {
    w = await pushWorld(engine, servers);
    ada = await signUp(w, 'ada@example.com');
    const register = (body: Record<string, unknown>, token?: string) => {
      const r = w.h.http.post(`/v1/apps/${w.appId}/push/installations`).set('X-Hearth-Key', w.publicKey);
      return (token ? r.set('Authorization', `Bearer ${token}`) : r).send(body).expect(201);
    };
    await register({ platform: 'android', token: fcmToken(), channels: ['news'], locale: 'fr' }, ada.token);
    await register({ platform: 'ios', token: apnsToken(), channels: ['news', 'sport'] }, ada.token);
    await register({ platform: 'android', token: fcmToken(), channels: ['sport'] });
    gone = (await register({ platform: 'ios', token: apnsToken(), channels: ['news'] })).body.id;
    await w.h.store.forApp(w.appId).update('_push_installations', gone, { set: { active: false } });
  });
  afterAll(async () => w?.close());

  it('counts active installations per platform, with a sample of them', async () => {
    const all = await audience({ all: true }).expect(200);
    expect(all.body.count).toBe(3);
    expect(all.body.platforms).toEqual({ ios: 1, android: 2, web: 0 });
    expect(all.body.sample).toHaveLength(3);
    expect(all.body.sample.map((i: { id: string }) => i.id)).not.toContain(gone);
    const news = await audience({ channels: ['news'] }).expect(200);
    expect(news.body).toMatchObject({ count: 2, platforms: { ios: 1, android: 1, web: 0 } });
    const user = await audience({ users: [ada.userId], channels: ['sport'] }).expect(200);
    expect(user.body.count).toBe(1);
    expect(user.body.sample[0]).toMatchObject({ platform: 'ios', userId: ada.userId });
    const filtered = await audience({ filter: { locale: 'fr' } }).expect(200);
    expect(filtered.body).toMatchObject({ count: 1, platforms: { android: 1 } });
    expect((await audience({ channels: ['nobody'] }).expect(200)).body).toMatchObject({ count: 0, sample: [] });
  });

  it('refuses what a message would refuse, and callers who are not admins', async () => {
    const bad = await audience({ filter: { token: 'x' } }).expect(400);
    expect(Object.keys(bad.body.error.details.fields)).toContain('target.filter');
    await audience({}).expect(400);
    await audience({ all: true, channels: ['news'] }).expect(400);
    await w
      .admin(w.h.http.post(`/v1/admin/apps/${w.appId}/push/audience`))
      .send({ target: { all: true }, extra: 1 })
      .expect(400);
    await w
      .admin(w.h.http.post('/v1/admin/apps/nope/push/audience'))
      .send({ target: { all: true } })
      .expect(404);
    await w.h.http
      .post(`/v1/admin/apps/${w.appId}/push/audience`)
      .set('X-Hearth-Key', w.secretKey)
      .send({ target: { all: true } })
      .expect(401);
  });
});
