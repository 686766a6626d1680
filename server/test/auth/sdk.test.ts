import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, HearthError, memoryStorage, type AuthUser, type TokenStorage } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { openAuthWorld, PASSWORD, type AuthWorld } from './support.js';

/** The SDK's auth against a real listening server: sign-in, persistence, single-flight refresh, sign-out. */
describe.each(ENGINES)('SDK auth [%s]', (engine) => {
  let w: AuthWorld;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    w = await openAuthWorld(engine);
    server = w.h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await w?.close();
  });
  const client = (storage?: TokenStorage) =>
    createClient({ url, app: w.appId, key: w.publicKey, ...(storage ? { storage } : {}) });

  it('signs up, reports changes, answers me(), signs out', async () => {
    const hearth = client();
    const seen: Array<string | null> = [];
    const off = hearth.auth.onChange((u) => seen.push(u?.email ?? null));
    const user = (await hearth.auth.signUp({ email: 'sdk@example.com', password: PASSWORD })) as AuthUser;
    expect(user.email).toBe('sdk@example.com');
    expect(hearth.auth.user?.id).toBe(user.id);
    expect((await hearth.auth.me()).id).toBe(user.id);
    await hearth.auth.signOut();
    expect(hearth.auth.user).toBeNull();
    off();
    expect(seen).toEqual(['sdk@example.com', 'sdk@example.com', null]);
    await expect(hearth.auth.me()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('refuses a wrong password with HearthError', async () => {
    const hearth = client();
    const err = await hearth.auth
      .signIn({ email: 'sdk@example.com', password: 'wrong wrong wrong' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HearthError);
    expect(err).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(hearth.auth.user).toBeNull();
  });

  it('keeps the session in the given storage; a new client picks it up', async () => {
    const storage = memoryStorage();
    const first = client(storage);
    await first.auth.signIn({ email: 'sdk@example.com', password: PASSWORD });
    const second = client(storage);
    await second.auth.ready;
    expect(second.auth.user?.email).toBe('sdk@example.com');
    expect((await second.auth.me()).email).toBe('sdk@example.com');
  });

  it('starts signed out when the storage fails or holds garbage', async () => {
    const garbage = memoryStorage();
    await garbage.setItem(`hearth.${w.appId}.session`, '{not json');
    const a = client(garbage);
    await a.auth.ready;
    expect(a.auth.user).toBeNull();
    expect(await garbage.getItem(`hearth.${w.appId}.session`)).toBeNull();
    const broken: TokenStorage = {
      getItem: () => Promise.reject(new Error('disk gone')),
      setItem: () => undefined,
      removeItem: () => undefined,
    };
    const b = client(broken);
    await b.auth.ready;
    expect(b.auth.user).toBeNull();
    expect(await b.auth.signIn({ email: 'sdk@example.com', password: PASSWORD })).toMatchObject({
      email: 'sdk@example.com',
    });
  });

  it('refreshes once for many concurrent requests when the access token is revoked', async () => {
    const hearth = client();
    const user = (await hearth.auth.signIn({ email: 'sdk@example.com', password: PASSWORD })) as AuthUser;
    // Rotate the app's signing key with no grace: the access token stops verifying; the refresh token still works.
    await w.h.http
      .post(`/v1/admin/apps/${w.appId}/auth/keys/rotate`)
      .set(w.admin)
      .send({ graceSeconds: 0 })
      .expect(200);
    w.h.modules.auth.services.keys.forget(w.appId);
    const results = await Promise.all(Array.from({ length: 8 }, () => hearth.auth.me()));
    expect(results.every((u) => u.id === user.id)).toBe(true);
    // Exactly one rotation happened: the session is still alive (a second rotation with a spent token would have ended it).
    const sessions = await hearth.auth.sessions();
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
  });

  it('signs in anonymously and upgrades, keeping the id', async () => {
    const hearth = client();
    const anon = await hearth.auth.signInAnonymously();
    expect(anon.anonymous).toBe(true);
    const up = (await hearth.auth.upgrade({ email: 'sdk-upgrade@example.com', password: PASSWORD })) as AuthUser;
    expect(up).toMatchObject({ id: anon.id, anonymous: false });
    expect(hearth.auth.user?.email).toBe('sdk-upgrade@example.com');
    const sessions = await hearth.auth.sessions();
    expect(sessions.find((x) => x.current)?.amr).toEqual(['pwd']);
  });

  it('keeps the anonymous session when the upgrade waits for a verified email', async () => {
    await w.patchSettings({ requireVerifiedEmail: true });
    try {
      const hearth = client();
      const anon = await hearth.auth.signInAnonymously();
      const up = await hearth.auth.upgrade({ email: 'sdk-pending@example.com', password: PASSWORD });
      expect(up).toMatchObject({ verificationRequired: true, user: { id: anon.id, anonymous: true } });
      expect(hearth.auth.user).toMatchObject({ id: anon.id, anonymous: true });
      expect((await hearth.auth.me()).anonymous).toBe(true);
    } finally {
      await w.patchSettings({ requireVerifiedEmail: false });
    }
  });

  it('gives the MFA challenge back to the caller', async () => {
    const hearth = client();
    await hearth.auth.signUp({ email: 'sdk-mfa@example.com', password: PASSWORD });
    const { totpCode } = await import('../../src/modules/auth/mfa.js');
    const enrol = await hearth.request<{ secret: string }>({
      method: 'POST',
      path: `/v1/apps/${w.appId}/auth/mfa/totp`,
      body: {},
    });
    await hearth.request({
      method: 'POST',
      path: `/v1/apps/${w.appId}/auth/mfa/totp/activate`,
      body: { code: totpCode(enrol.secret, new Date()) },
    });
    await hearth.auth.signOut();
    const challenge = await hearth.auth.signIn({ email: 'sdk-mfa@example.com', password: PASSWORD });
    expect(challenge).toMatchObject({ mfaRequired: true });
    expect(hearth.auth.user).toBeNull();
    const user = await hearth.auth.completeMfa(
      (challenge as { mfaToken: string }).mfaToken,
      totpCode(enrol.secret, new Date(Date.now() + 30_000)),
    );
    expect(user.email).toBe('sdk-mfa@example.com');
  });

  it('builds the OAuth start URL', () => {
    expect(client().auth.oauthUrl('google', 'https://app.test/cb?x=1')).toBe(
      `${url}/v1/apps/${w.appId}/auth/oauth/google?redirectTo=${encodeURIComponent('https://app.test/cb?x=1')}`,
    );
  });
});
