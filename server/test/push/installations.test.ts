import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { pushWorld, signUp, startPushServers, type PushServers, type PushWorld } from './kit.js';
import { apnsToken, fcmToken } from './keys.js';

/** Installations on both engines: ownership, re-registration, linking, and bad input. */
let servers: PushServers;
beforeAll(async () => {
  servers = await startPushServers();
});
afterAll(async () => servers?.close());

describe.each(ENGINES)('push installations on %s', (engine) => {
  let w: PushWorld;
  beforeAll(async () => {
    w = await pushWorld(engine, servers);
  });
  afterAll(async () => w?.close());

  const path = () => `/v1/apps/${w.appId}/push/installations`;
  const as = (r: import('supertest').Test, token?: string) => {
    const keyed = r.set('X-Hearth-Key', w.publicKey);
    return token ? keyed.set('Authorization', `Bearer ${token}`) : keyed;
  };

  it("a user sees and changes only their own installations; another user's is 404", async () => {
    const alice = await signUp(w, `alice-${engine}@example.com`);
    const bob = await signUp(w, `bob-${engine}@example.com`);
    const mine = await as(w.h.http.post(path()), alice.token)
      .send({
        platform: 'ios',
        token: apnsToken(),
        channels: ['a'],
        locale: 'en-GB',
        timeZone: 'Europe/London',
        appVersion: '1.2.3',
        badge: 1,
      })
      .expect(201);
    expect(mine.body).toMatchObject({ userId: alice.userId, platform: 'ios', channels: ['a'], active: true });
    const id = mine.body.id as string;
    await as(w.h.http.get(`${path()}/${id}`), bob.token).expect(404);
    await as(w.h.http.patch(`${path()}/${id}`), bob.token)
      .send({ channels: ['stolen'] })
      .expect(404);
    await as(w.h.http.delete(`${path()}/${id}`), bob.token).expect(404);
    const bobs = await as(w.h.http.get(path()), bob.token).expect(200);
    expect(bobs.body.items).toEqual([]);
    const patched = await as(w.h.http.patch(`${path()}/${id}`), alice.token)
      .send({ channels: ['a', 'b'], badge: 0 })
      .expect(200);
    expect(patched.body).toMatchObject({ channels: ['a', 'b'], badge: 0, locale: 'en-GB' });
    const alices = await as(w.h.http.get(path()), alice.token).expect(200);
    expect(alices.body.items.map((i: { id: string }) => i.id)).toEqual([id]);
    await as(w.h.http.get(path())).expect(401); // no user, public key: nobody's list
    await as(w.h.http.delete(`${path()}/${id}`), alice.token).expect(204);
    await as(w.h.http.get(`${path()}/${id}`), alice.token).expect(404);
  });

  it('re-registering a token updates its installation; an anonymous one is linked when its user registers it', async () => {
    const token = fcmToken();
    const anon = await as(w.h.http.post(path())).send({ platform: 'android', token, appVersion: '1.0' }).expect(201);
    expect(anon.body.userId).toBeNull();
    const user = await signUp(w, `carol-${engine}@example.com`);
    const linked = await as(w.h.http.post(path()), user.token)
      .send({ platform: 'android', token, appVersion: '1.1' })
      .expect(200);
    expect(linked.body).toMatchObject({ id: anon.body.id, userId: user.userId, appVersion: '1.1' });
    const all = await w
      .admin(w.h.http.get(`/v1/admin/apps/${w.appId}/push/installations`))
      .query({ userId: user.userId })
      .expect(200);
    expect(all.body.items).toHaveLength(1);
    // Signed out again, the same device keeps its user (signing out is the SDK's PATCH or DELETE).
    const again = await as(w.h.http.post(path())).send({ platform: 'android', token }).expect(200);
    expect(again.body.userId).toBe(user.userId);
  });

  it.each([
    ['ios with an FCM token', { platform: 'ios', token: fcmToken() }],
    ['android with an APNs token', { platform: 'android', token: apnsToken() }],
    ['web with a token', { platform: 'web', token: fcmToken() }],
    [
      'ios with a subscription',
      {
        platform: 'ios',
        subscription: {
          endpoint: 'https://push.example.com/x',
          keys: { p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) },
        },
      },
    ],
    ['android without a token', { platform: 'android' }],
  ])('a token for the wrong platform is refused (%s)', async (_name, body) => {
    const res = await as(w.h.http.post(path())).send(body).expect(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', details: { reason: 'token_platform_mismatch' } });
  });

  it.each([
    ['an unknown platform', { platform: 'windows', token: 'x' }, 'platform'],
    ['a bad time zone', { platform: 'ios', token: apnsToken(), timeZone: 'Mars/Olympus' }, 'timeZone'],
    ['a bad locale', { platform: 'ios', token: apnsToken(), locale: 'english please' }, 'locale'],
    [
      'an http endpoint',
      {
        platform: 'web',
        subscription: { endpoint: 'http://push.example.com/x', keys: { p256dh: 'B'.repeat(87), auth: 'a'.repeat(22) } },
      },
      'subscription.endpoint',
    ],
    ['an unknown field', { platform: 'ios', token: apnsToken(), owner: 'someone' }, '(body)'],
  ])('%s is validation_failed naming the field', async (_name, body, field) => {
    const res = await as(w.h.http.post(path())).send(body).expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.details.fields)).toContain(field);
  });

  it('a token moved onto another installation by PATCH is a conflict, and nothing changes', async () => {
    const [t1, t2] = [apnsToken(), apnsToken()];
    await as(w.h.http.post(path())).send({ platform: 'ios', token: t1 }).expect(201);
    const second = await as(w.h.http.post(path())).send({ platform: 'ios', token: t2 }).expect(201);
    await w.h.http
      .patch(`${path()}/${second.body.id}`)
      .set('X-Hearth-Key', w.secretKey)
      .send({ token: t1 })
      .expect(409);
    const still = await w.h.http.get(`${path()}/${second.body.id}`).set('X-Hearth-Key', w.secretKey).expect(200);
    expect(still.body.token).toBe(t2);
  });

  it('the VAPID public key is readable with the public key; credentials are write-only', async () => {
    const res = await as(w.h.http.get(`/v1/apps/${w.appId}/push/vapid-key`)).expect(200);
    expect(res.body.publicKey).toBe(w.vapidPublicKey);
    const creds = await w.admin(w.h.http.get(`/v1/admin/apps/${w.appId}/push/credentials`)).expect(200);
    expect(creds.body.items.map((c: { kind: string }) => c.kind).sort()).toEqual(['apns', 'fcm', 'vapid']);
    for (const c of creds.body.items) expect(c.fingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
    const text = JSON.stringify(creds.body);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain(servers.sa.json.private_key_id);
    const { items } = await w.h.store.forApp(w.appId).find('_push_credentials', { limit: 10 });
    expect(JSON.stringify(items)).not.toContain('PRIVATE KEY');
    await w.h.http.get(`/v1/admin/apps/${w.appId}/push/credentials`).expect(401);
    await w.h.http.get(`/v1/admin/apps/${w.appId}/push/credentials`).set('X-Hearth-Key', w.secretKey).expect(401);
  });

  it.each([
    ['fcm', { serviceAccount: 'not json' }, 'serviceAccount'],
    ['fcm', { serviceAccount: { type: 'authorized_user' } }, 'serviceAccount'],
    [
      'fcm',
      {
        serviceAccount: {
          type: 'service_account',
          project_id: 'hearth-x',
          client_email: 'a@b.c',
          private_key: 'garbage',
        },
      },
      'serviceAccount.private_key',
    ],
    [
      'apns',
      {
        key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
        keyId: 'ABCDE12345',
        teamId: 'ABCDE12345',
        topic: 'com.x',
        environment: 'sandbox',
      },
      'key',
    ],
    ['apns', { key: 'x', keyId: 'short', teamId: 'ABCDE12345', topic: 'com.x', environment: 'sandbox' }, 'keyId'],
    ['vapid', { subject: 'not a contact' }, 'subject'],
    ['vapid', { subject: 'mailto:a@b.c', publicKey: 'abc', privateKey: 'def' }, 'publicKey'],
  ])('credentials that do not parse are refused (%s → %s)', async (kind, body, field) => {
    const before = await w.admin(w.h.http.get(`/v1/admin/apps/${w.appId}/push/credentials`)).expect(200);
    const res = await w
      .admin(w.h.http.put(`/v1/admin/apps/${w.appId}/push/credentials/${kind}`))
      .send(body)
      .expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.details.fields)).toContain(field);
    const after = await w.admin(w.h.http.get(`/v1/admin/apps/${w.appId}/push/credentials`)).expect(200);
    expect(after.body).toEqual(before.body);
  });
});
