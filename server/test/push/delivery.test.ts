import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { pushWorld, settled, signUp, startPushServers, type PushServers, type PushWorld } from './kit.js';
import { apnsToken, fcmToken } from './keys.js';

/**
 * Messages end to end on both document engines: installations registered through the API, a
 * message sent with the secret key, fanned out through the embedded queue to the local FCM, APNs
 * and Web Push servers, and its state and counts read back.
 */
let servers: PushServers;
beforeAll(async () => {
  servers = await startPushServers();
});
afterAll(async () => servers?.close());

describe.each(ENGINES)('push delivery on %s', (engine) => {
  let w: PushWorld;
  beforeAll(async () => {
    w = await pushWorld(engine, servers);
  });
  afterAll(async () => w?.close());

  const register = (body: Record<string, unknown>, token?: string) => {
    const r = w.h.http.post(`/v1/apps/${w.appId}/push/installations`).set('X-Hearth-Key', w.publicKey);
    return (token ? r.set('Authorization', `Bearer ${token}`) : r).send(body);
  };
  const send = (body: Record<string, unknown>) =>
    w.h.http.post(`/v1/apps/${w.appId}/push/messages`).set('X-Hearth-Key', w.secretKey).send(body);

  it('delivers to each provider, localised per installation, with exact counts', async () => {
    const user = await signUp(w, `each-${engine}@example.com`);
    const ios = apnsToken();
    const android = fcmToken();
    const sub = servers.web.subscribe(w.vapidPublicKey);
    await register({ platform: 'ios', token: ios, locale: 'fr-FR', channels: ['news'] }, user.token).expect(201);
    await register({ platform: 'android', token: android, locale: 'de', channels: ['news'] }, user.token).expect(201);
    await register({ platform: 'web', subscription: sub, channels: ['news'] }, user.token).expect(201);
    const res = await send({
      target: { users: [user.userId] },
      notification: { title: 'Hello', body: 'Default', data: { orderId: 42 }, badge: 2 },
      localized: { fr: { title: 'Bonjour' }, de: { title: 'Hallo', body: 'Standard' } },
      collapseId: 'order-42',
      ttl: 3600,
    }).expect(202);
    expect(res.body.state).toBe('sending');
    const done = await settled(w, res.body.id);
    expect(done).toMatchObject({
      state: 'done',
      counts: { targeted: 3, sent: 3, failed: 0, invalid: 0 },
      providers: {
        ios: { sent: 1, failed: 0, invalid: 0 },
        android: { sent: 1, failed: 0, invalid: 0 },
        web: { sent: 1, failed: 0, invalid: 0 },
      },
      errors: [],
    });
    const apns = servers.apns.received.find((r) => r.token === ios)!;
    expect(apns.payload).toMatchObject({
      aps: { alert: { title: 'Bonjour', body: 'Default' }, badge: 2 },
      orderId: 42,
    });
    expect(apns.headers).toMatchObject({ 'apns-collapse-id': 'order-42', 'apns-topic': servers.apnsKey.topic });
    const fcm = servers.fcm.received.find((r) => r.token === android)!;
    expect(fcm.message).toMatchObject({ notification: { title: 'Hallo', body: 'Standard' }, data: { orderId: '42' } });
    const web = servers.web.received.find((r) => sub.endpoint.endsWith(r.id))!;
    expect(JSON.parse(web.payload)).toMatchObject({ title: 'Hello', body: 'Default', data: { orderId: 42 } });
    expect(web.headers.ttl).toBe('3600');
  });

  it('dead tokens (APNs 410 and BadDeviceToken, FCM UNREGISTERED, Web Push 404/410) deactivate their installations', async () => {
    const [gone, bad] = [apnsToken(), apnsToken()];
    const unregistered = fcmToken();
    const [sub404, sub410] = [servers.web.subscribe(), servers.web.subscribe()];
    servers.apns.answers.script(gone, { status: 410 });
    servers.apns.answers.script(bad, { status: 400, reason: 'BadDeviceToken' });
    servers.fcm.answers.script(unregistered, { status: 404 });
    servers.web.answers.script(sub404.endpoint.split('/').at(-1)!, { status: 404 });
    servers.web.answers.script(sub410.endpoint.split('/').at(-1)!, { status: 410 });
    const ok = apnsToken();
    const ids: string[] = [];
    for (const body of [
      { platform: 'ios', token: gone },
      { platform: 'ios', token: bad },
      { platform: 'android', token: unregistered },
      { platform: 'web', subscription: sub404 },
      { platform: 'web', subscription: sub410 },
      { platform: 'ios', token: ok },
    ]) {
      ids.push((await register({ ...body, channels: ['dead-test'] }).expect(201)).body.id);
    }
    const first = await send({ target: { channels: ['dead-test'] }, notification: { title: 't' } }).expect(202);
    const done = await settled(w, first.body.id);
    expect(done.counts).toEqual({ targeted: 6, sent: 1, failed: 0, invalid: 5 });
    expect(done.providers).toMatchObject({
      ios: { sent: 1, invalid: 2 },
      android: { invalid: 1 },
      web: { invalid: 2 },
    });
    expect(done.errors.map((e: { reason: string }) => e.reason).sort()).toEqual(
      ['bad_device_token', 'gone', 'not_found', 'unregistered', 'unregistered'].sort(),
    );
    const inst = await w.h.http
      .get(`/v1/apps/${w.appId}/push/installations/${ids[0]}`)
      .set('X-Hearth-Key', w.secretKey);
    expect(inst.body).toMatchObject({ active: false, deactivatedReason: 'unregistered' });
    const second = await send({ target: { channels: ['dead-test'] }, notification: { title: 't' } }).expect(202);
    expect((await settled(w, second.body.id)).counts).toEqual({ targeted: 1, sent: 1, failed: 0, invalid: 0 });
    // Registering the token again (the app got it back from the OS) reactivates the installation.
    servers.apns.answers.script(gone, { status: 200 });
    const again = await register({ platform: 'ios', token: gone }).expect(200);
    expect(again.body).toMatchObject({ id: ids[0], active: true, deactivatedReason: null });
  });

  it('throttled deliveries are retried after their Retry-After and then counted once', async () => {
    const [ios, android] = [apnsToken(), fcmToken()];
    const sub = servers.web.subscribe();
    servers.apns.answers.script(ios, { status: 429, retryAfter: 1 }, { status: 200 });
    servers.fcm.answers.script(android, { status: 429, retryAfter: 1 }, { status: 200 });
    servers.web.answers.script(sub.endpoint.split('/').at(-1)!, { status: 429, retryAfter: 1 }, { status: 201 });
    for (const body of [
      { platform: 'ios', token: ios },
      { platform: 'android', token: android },
      { platform: 'web', subscription: sub },
    ]) {
      await register({ ...body, channels: ['retry-test'] }).expect(201);
    }
    const started = Date.now();
    const res = await send({ target: { channels: ['retry-test'] }, notification: { body: 'b' } }).expect(202);
    const done = await settled(w, res.body.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(done.counts).toEqual({ targeted: 3, sent: 3, failed: 0, invalid: 0 });
  });

  it('sendAt schedules; a scheduled message can be cancelled and sends nothing', async () => {
    const token = apnsToken();
    await register({ platform: 'ios', token, channels: ['later'] }).expect(201);
    const soon = await send({
      target: { channels: ['later'] },
      notification: { title: 'soon' },
      sendAt: new Date(Date.now() + 1500).toISOString(),
    }).expect(202);
    expect(soon.body.state).toBe('scheduled');
    const cancelled = await send({
      target: { channels: ['later'] },
      notification: { title: 'never' },
      sendAt: new Date(Date.now() + 1500).toISOString(),
    }).expect(202);
    await w.h.http
      .post(`/v1/apps/${w.appId}/push/messages/${cancelled.body.id}/cancel`)
      .set('X-Hearth-Key', w.secretKey)
      .expect(200);
    const done = await settled(w, soon.body.id);
    expect(done.state).toBe('done');
    expect(done.counts.sent).toBe(1);
    expect(Date.parse(done.startedAt)).toBeGreaterThanOrEqual(Date.parse(done.createdAt) + 1000);
    await new Promise((r) => setTimeout(r, 300));
    const after = await settled(w, cancelled.body.id);
    expect(after).toMatchObject({ state: 'cancelled', counts: { targeted: 0, sent: 0 } });
    expect(
      servers.apns.received
        .filter((r) => r.token === token)
        .map((r) => (r.payload.aps as { alert: { title: string } }).alert.title),
    ).toEqual(['soon']);
    await w.h.http
      .post(`/v1/apps/${w.appId}/push/messages/${soon.body.id}/cancel`)
      .set('X-Hearth-Key', w.secretKey)
      .expect(409);
  });

  it('local-time sendAt: zones already past the time get it now, the others wait for theirs', async () => {
    const [east, utc] = [apnsToken(), apnsToken()];
    await register({ platform: 'ios', token: east, timeZone: 'Pacific/Kiritimati', channels: ['local'] }).expect(201);
    await register({ platform: 'ios', token: utc, timeZone: 'UTC', channels: ['local'] }).expect(201);
    const wall = new Date(Date.now() + 3600_000).toISOString().slice(0, 16); // an hour ahead on UTC clocks
    const res = await send({
      target: { channels: ['local'] },
      notification: { title: 'local' },
      sendAt: wall,
      localTime: true,
    }).expect(202);
    expect(res.body.state).toBe('scheduled');
    const until = Date.now() + 10_000;
    while (!servers.apns.received.some((r) => r.token === east) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect(servers.apns.received.some((r) => r.token === east)).toBe(true);
    const mid = await w.h.http.get(`/v1/apps/${w.appId}/push/messages/${res.body.id}`).set('X-Hearth-Key', w.secretKey);
    expect(mid.body).toMatchObject({ state: 'sending', counts: { targeted: 2, sent: 1 } });
    expect(servers.apns.received.some((r) => r.token === utc)).toBe(false);
    await w.h.http
      .post(`/v1/apps/${w.appId}/push/messages/${res.body.id}/cancel`)
      .set('X-Hearth-Key', w.secretKey)
      .expect(200);
  });
});
