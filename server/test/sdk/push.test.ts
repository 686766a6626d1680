import { createClient, memoryStorage, type PushManagerLike, type PushSubscriptionLike } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apnsToken, fcmToken } from '../push/keys.js';
import { settled, type PushServers, type PushWorld } from '../push/kit.js';
import { startLivePush, type LivePush } from './live-push.js';

/**
 * `hearth.push` against a live Hearth with its push providers pointed at the local protocol
 * servers: a web registration through an injected PushManager whose subscriptions come from the
 * local Web Push service (a real endpoint, P-256 key and auth secret, bound to the VAPID key the
 * SDK passed), delivered and decrypted end to end; native tokens; update; unregister.
 */
describe('SDK push', () => {
  let live: LivePush;
  let servers: PushServers;
  let w: PushWorld;
  let url: string;
  beforeAll(async () => {
    live = await startLivePush();
    ({ servers, w, url } = live);
  });
  afterAll(() => live?.close());

  /** A PushManager as a browser has one, backed by the local push service. */
  const pushManager = () => {
    const calls: Array<{ userVisibleOnly: boolean; applicationServerKey: ArrayBuffer }> = [];
    let current: PushSubscriptionLike | null = null;
    const pm: PushManagerLike = {
      getSubscription: async () => current,
      subscribe: async (options) => {
        calls.push(options);
        const key = Buffer.from(options.applicationServerKey);
        const sub = servers.web.subscribe(key.toString('base64url'));
        current = {
          endpoint: sub.endpoint,
          options: { applicationServerKey: options.applicationServerKey },
          toJSON: () => ({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }) as never,
          unsubscribe: async () => {
            current = null;
            return true;
          },
        };
        return current;
      },
    };
    return { pm, calls, current: () => current };
  };

  it('web: subscribes with the app VAPID key, registers, and a message arrives decrypted', async () => {
    const storage = memoryStorage();
    const hearth = createClient({ url, app: w.appId, key: w.publicKey, storage });
    const user = await hearth.auth.signInAnonymously();
    expect(await hearth.push.vapidKey()).toEqual({ publicKey: w.vapidPublicKey });
    const { pm, calls } = pushManager();
    const inst = await hearth.push.register({ serviceWorkerRegistration: { pushManager: pm }, channels: ['news'] });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.userVisibleOnly).toBe(true);
    expect(Buffer.from(calls[0]!.applicationServerKey).toString('base64url')).toBe(w.vapidPublicKey);
    expect(inst).toMatchObject({ platform: 'web', userId: user.id, channels: ['news'], active: true });
    expect(inst.endpoint).toMatch(/^https:\/\//);
    expect(await hearth.push.installationId()).toBe(inst.id);

    // Again on the next start: the same subscription, the same installation.
    const again = await hearth.push.register({ pushManager: pm, channels: ['news'] });
    expect(again.id).toBe(inst.id);
    expect(calls).toHaveLength(1);

    const sent = await w.h.http
      .post(`/v1/apps/${w.appId}/push/messages`)
      .set('X-Hearth-Key', w.secretKey)
      .send({ target: { installations: [inst.id] }, notification: { title: 'Hi', body: 'from the SDK test' } })
      .expect(202);
    expect((await settled(w, sent.body.id)).counts).toMatchObject({ targeted: 1, sent: 1 });
    const got = servers.web.received.at(-1)!;
    expect(JSON.parse(got.payload)).toMatchObject({ title: 'Hi', body: 'from the SDK test' });
  });

  it('web: a subscription bound to another key is replaced', async () => {
    const hearth = createClient({ url, app: w.appId, key: w.publicKey });
    const { pm, calls, current } = pushManager();
    await pm.subscribe({ userVisibleOnly: true, applicationServerKey: new Uint8Array(65).fill(4).buffer });
    const stale = current()!;
    const inst = await hearth.push.register({ pushManager: pm });
    expect(calls).toHaveLength(2);
    expect(current()).not.toBe(stale);
    expect(inst.endpoint).toBe(current()!.endpoint);
    expect(inst.userId).toBeNull();
  });

  it('native: registers a token, updates and unregisters the installation', async () => {
    const storage = memoryStorage();
    const hearth = createClient({ url, app: w.appId, key: w.publicKey, storage });
    await hearth.auth.signInAnonymously();
    const token = apnsToken();
    const inst = await hearth.push.registerToken({ platform: 'ios', token, locale: 'fr-FR', timeZone: 'Europe/Paris' });
    expect(inst).toMatchObject({ platform: 'ios', token, locale: 'fr-FR', timeZone: 'Europe/Paris' });
    // A second client on the same storage (the app restarted) finds its installation.
    const restarted = createClient({ url, app: w.appId, key: w.publicKey, storage });
    const updated = await restarted.push.update({ channels: ['offers'], badge: 3 });
    expect(updated).toMatchObject({ id: inst.id, channels: ['offers'], badge: 3 });
    await restarted.push.unregister();
    expect(await restarted.push.installationId()).toBeNull();
    await w.h.http
      .get(`/v1/apps/${w.appId}/push/installations/${inst.id}`)
      .set('X-Hearth-Key', w.secretKey)
      .expect(404);
    await expect(restarted.push.update({ badge: 1 })).rejects.toThrow(/no installation/);
  });

  it('refuses bad input with the server errors, typed', async () => {
    const hearth = createClient({ url, app: w.appId, key: w.publicKey });
    await expect(hearth.push.registerToken({ platform: 'ios', token: fcmToken() })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_request',
      reason: 'token_platform_mismatch',
    });
    await expect(
      hearth.push.registerToken({ platform: 'android', token: fcmToken(), locale: 'not a locale' }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    await expect(hearth.push.register({})).rejects.toThrow(TypeError);
  });
});
