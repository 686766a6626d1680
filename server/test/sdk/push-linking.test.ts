import { authRequests, createClient, HearthError, memoryStorage, type FetchLike, type HearthClient } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fcmToken } from '../push/keys.js';
import type { PushWorld } from '../push/kit.js';
import { startLivePush, type LivePush } from './live-push.js';

const PASSWORD = 'a long enough password 123';

/**
 * The SDK sends `X-Hearth-Installation` (the id `push.register` / `registerToken` stored) on its
 * auth requests, so a live server links the device's anonymous installation to the user who
 * signs in on it, keeps it on refresh and unlinks it on sign-out (docs/push.md).
 */
describe('SDK push installation linking', () => {
  let live: LivePush;
  let w: PushWorld;
  let url: string;
  beforeAll(async () => {
    live = await startLivePush();
    ({ w, url } = live);
  });
  afterAll(() => live?.close());

  /** A client whose requests are recorded: path → the X-Hearth-Installation it carried. */
  const recordingClient = (storage = memoryStorage()) => {
    const sent: Array<{ path: string; installation: string | undefined }> = [];
    const fetchLike: FetchLike = (target, init) => {
      sent.push({ path: new URL(target).pathname, installation: init?.headers?.['X-Hearth-Installation'] });
      return fetch(target, init as RequestInit);
    };
    const hearth = createClient({ url, app: w.appId, key: w.publicKey, storage, fetch: fetchLike });
    return { hearth, sent, storage };
  };
  const authPath = (name: string) => `/v1/apps/${w.appId}/auth/${name}`;
  const headerOn = (sent: Array<{ path: string; installation: string | undefined }>, name: string) =>
    sent.filter((s) => s.path === authPath(name)).map((s) => s.installation);
  const ownerOf = async (id: string) => {
    await w.h.modules.push.services.linker.settle();
    const res = await w.h.http
      .get(`/v1/apps/${w.appId}/push/installations/${id}`)
      .set('X-Hearth-Key', w.secretKey)
      .expect(200);
    return res.body.userId as string | null;
  };
  const registerAnonymously = async (hearth: HearthClient) => {
    const inst = await hearth.push.registerToken({ platform: 'android', token: fcmToken() });
    expect(inst.userId).toBeNull();
    return inst.id;
  };

  it('links on sign-up and sign-in, keeps the link on refresh, unlinks on sign-out', async () => {
    const { hearth, sent } = recordingClient();
    const id = await registerAnonymously(hearth);
    const user = await hearth.auth.signUp({ email: 'linked@example.com', password: PASSWORD });
    expect(headerOn(sent, 'signup')).toEqual([id]);
    expect(await ownerOf(id)).toBe((user as { id: string }).id);

    await hearth.auth.refresh();
    expect(headerOn(sent, 'refresh')).toEqual([id]);
    expect(await ownerOf(id)).toBe((user as { id: string }).id);

    await hearth.auth.signOut();
    expect(headerOn(sent, 'logout')).toEqual([id]);
    expect(await ownerOf(id)).toBeNull();

    const again = await hearth.auth.signIn({ email: 'linked@example.com', password: PASSWORD });
    expect(headerOn(sent, 'login')).toEqual([id]);
    expect(await ownerOf(id)).toBe((again as { id: string }).id);
  });

  it('links an anonymous sign-in, and a restarted client (same storage) still sends the id', async () => {
    const first = recordingClient();
    const id = await registerAnonymously(first.hearth);
    const restarted = recordingClient(first.storage);
    const anon = await restarted.hearth.auth.signInAnonymously();
    expect(headerOn(restarted.sent, 'anonymous')).toEqual([id]);
    expect(await ownerOf(id)).toBe(anon.id);
  });

  it('sends it on the MFA, magic-link and OAuth steps too (the server refuses the bad codes here)', async () => {
    const { hearth, sent } = recordingClient();
    const id = await registerAnonymously(hearth);
    await expect(hearth.auth.completeMfa('not-a-challenge', '123456')).rejects.toBeInstanceOf(HearthError);
    await expect(hearth.auth.signInWithMagicLink('not-a-token')).rejects.toBeInstanceOf(HearthError);
    await expect(hearth.auth.signInWithOAuthCode('not-a-code')).rejects.toBeInstanceOf(HearthError);
    expect(headerOn(sent, 'mfa')).toEqual([id]);
    expect(headerOn(sent, 'magic-link/confirm')).toEqual([id]);
    expect(headerOn(sent, 'oauth/token')).toEqual([id]);
  });

  it('sends no header before an installation exists, nor on other requests, nor after unregister', async () => {
    const { hearth, sent } = recordingClient();
    await hearth.auth.signUp({ email: 'plain@example.com', password: PASSWORD });
    expect(headerOn(sent, 'signup')).toEqual([undefined]);
    await hearth.push.registerToken({ platform: 'android', token: fcmToken() });
    await hearth.auth.me();
    expect(headerOn(sent, 'me')).toEqual([undefined]);
    await hearth.push.unregister();
    await hearth.auth.signOut();
    expect(headerOn(sent, 'logout')).toEqual([undefined]);
    // The request descriptions stay plain data: the header is added when sending.
    expect(authRequests(w.appId).signIn({ email: 'a@b.c', password: 'x' }).headers).toBeUndefined();
  });

  it('declares the optional header on the auth routes in /openapi.json', async () => {
    const doc = (await w.h.http.get('/openapi.json').expect(200)).body;
    const param = doc.components.parameters.HearthInstallation;
    expect(param).toMatchObject({ name: 'X-Hearth-Installation', in: 'header', required: false });
    const ref = { $ref: '#/components/parameters/HearthInstallation' };
    const base = '/v1/apps/{appId}/auth';
    for (const p of [
      'signup',
      'login',
      'anonymous',
      'refresh',
      'logout',
      'upgrade',
      'mfa',
      'magic-link/confirm',
      'oauth/token',
    ])
      expect(doc.paths[`${base}/${p}`].post.parameters, p).toContainEqual(ref);
    expect(doc.paths[`${base}/me`].get.parameters).not.toContainEqual(ref);
  });
});
