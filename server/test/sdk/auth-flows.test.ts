import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  authRequests,
  createClient,
  HearthError,
  isMfaChallenge,
  memoryStorage,
  type AuthChangeEvent,
  type AuthUser,
  type TokenStorage,
} from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createSmtpMailer } from '../../src/engines/mail/smtp.js';
import { totpCode } from '../../src/modules/auth/mfa.js';
import { linkIn, startSmtp, type TestSmtp } from '../auth/smtp-server.js';
import { openAuthWorld, PASSWORD, type AuthWorld } from '../auth/support.js';
import { ENGINES } from '../support/harness.js';

/**
 * The SDK's auth flows against a live server with a real SMTP server and a server clock the
 * test moves (a faked process Date): mailed links, password changes, sessions, MFA, OAuth callbacks, a token that
 * expires during a call, and a reused refresh token.
 */
describe.each(ENGINES)('SDK auth flows [%s]', (engine) => {
  let w: AuthWorld;
  let smtp: TestSmtp;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    smtp = await startSmtp();
    w = await openAuthWorld(engine, {
      mailer: createSmtpMailer({ url: smtp.url, from: 'Hearth <no-reply@hearth.test>' }),
    });
    await w.patchSettings({ profileFields: [{ name: 'name', type: 'string' }] });
    server = w.h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await w?.close();
    await smtp?.close();
  });
  const client = (options: { storage?: TokenStorage; clock?: { now(): number } } = {}) =>
    createClient({ url, app: w.appId, key: w.publicKey, ...options });
  const tokenIn = async (to: string) => linkIn(await smtp.next(to)).searchParams.get('token')!;

  it('describes its requests as data, without a network', () => {
    const req = authRequests('app1');
    expect(req.signIn({ email: 'a@b.c', password: 'x' })).toEqual({
      method: 'POST',
      path: '/v1/apps/app1/auth/login',
      body: { email: 'a@b.c', password: 'x' },
      auth: false,
    });
    expect(req.revokeSession('s/1')).toEqual({ method: 'DELETE', path: '/v1/apps/app1/auth/sessions/s%2F1' });
  });

  it('signs in with a magic link, resets the password, verifies the email', async () => {
    const hearth = client();
    await hearth.auth.signUp({ email: 'links@example.com', password: PASSWORD });
    await smtp.next('links@example.com'); // the sign-up's own verification mail
    await hearth.auth.requestEmailVerification();
    const verified = await hearth.auth.verifyEmail(await tokenIn('links@example.com'));
    expect(verified.emailVerified).toBe(true);
    await hearth.auth.signOut();

    await hearth.auth.requestMagicLink('links@example.com');
    const user = (await hearth.auth.signInWithMagicLink(await tokenIn('links@example.com'))) as AuthUser;
    expect(user.email).toBe('links@example.com');
    expect(hearth.auth.user?.id).toBe(user.id);

    await hearth.auth.requestPasswordReset('links@example.com');
    await hearth.auth.confirmPasswordReset(await tokenIn('links@example.com'), 'a brand new password 2');
    // A reset ends every session: the next call finds this one gone and signs out.
    await expect(hearth.auth.me()).rejects.toBeInstanceOf(HearthError);
    expect(await hearth.auth.signIn({ email: 'links@example.com', password: 'a brand new password 2' })).toMatchObject({
      email: 'links@example.com',
    });
  });

  it('changes the password and profile; lists and revokes sessions', async () => {
    const a = client();
    const b = client();
    await a.auth.signUp({ email: 'sessions@example.com', password: PASSWORD });
    await b.auth.signIn({ email: 'sessions@example.com', password: PASSWORD });
    const sessions = await a.auth.sessions();
    expect(sessions).toHaveLength(2);
    const other = sessions.find((s) => !s.current)!;
    await a.auth.revokeSession(other.id);
    await expect(b.auth.me()).rejects.toMatchObject({ status: 401 });
    expect((await a.auth.updateProfile({ name: 'Ada' })).profile).toEqual({ name: 'Ada' });
    expect(a.auth.user?.profile).toEqual({ name: 'Ada' });
    await a.auth.changePassword(PASSWORD, 'another long password 3');
    const wrong = await a.auth.changePassword('nope nope nope', 'x'.repeat(12)).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(HearthError);
  });

  it('enrols TOTP and completes the MFA challenge step', async () => {
    const hearth = client();
    await hearth.auth.signUp({ email: 'mfa-steps@example.com', password: PASSWORD });
    const { secret } = await hearth.auth.mfa.enrolTotp();
    const { recoveryCodes } = await hearth.auth.mfa.activateTotp(totpCode(secret, new Date()));
    expect(recoveryCodes).toHaveLength(10);
    await hearth.auth.signOut();
    const challenge = await hearth.auth.signIn({ email: 'mfa-steps@example.com', password: PASSWORD });
    expect(isMfaChallenge(challenge)).toBe(true);
    if (!isMfaChallenge(challenge)) return;
    const user = await hearth.auth.completeMfa(challenge.mfaToken, recoveryCodes[0]!);
    expect(user.mfa.totp).toBe(true);
  });

  it('handles the OAuth redirect: error, no code, a bad code', async () => {
    const hearth = client();
    expect(await hearth.auth.handleOAuthCallback('https://app.test/cb?error=access_denied')).toEqual({
      status: 'error',
      error: 'access_denied',
    });
    expect(await hearth.auth.handleOAuthCallback('https://app.test/cb')).toEqual({ status: 'none' });
    await expect(hearth.auth.handleOAuthCallback('https://app.test/cb?code=nope')).rejects.toMatchObject({
      code: 'unauthorized',
      reason: 'invalid_link',
    });
    expect(hearth.auth.signInWithOAuth('google', { redirectTo: 'https://app.test/cb' })).toBe(
      hearth.auth.oauthUrl('google', 'https://app.test/cb'),
    );
  });

  it('refreshes and retries the call that met an expired access token', async () => {
    // The SDK's clock stands still (so it does not refresh early); the process clock, which the
    // server's JWT check reads, jumps past the 15-minute access token.
    const issuedAt = Date.now();
    const hearth = client({ clock: { now: () => issuedAt } });
    const events: AuthChangeEvent[] = [];
    hearth.auth.onChange((_u, e) => events.push(e));
    await hearth.auth.signUp({ email: 'expiry@example.com', password: PASSWORD });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(issuedAt + 16 * 60_000);
    onTestFinished(() => void vi.useRealTimers());
    const results = await Promise.all([hearth.auth.me(), hearth.auth.me(), hearth.auth.sessions()]);
    expect(results[0]).toMatchObject({ email: 'expiry@example.com' });
    expect(results[2]).toHaveLength(1); // one rotation for three calls: the session lives on
    expect(events).toEqual(['SIGNED_IN', 'TOKEN_REFRESHED', 'USER_UPDATED', 'USER_UPDATED']);
  });

  it('treats a reused refresh token as a sign-out', async () => {
    const storage = memoryStorage();
    const original = client({ storage });
    await original.auth.signUp({ email: 'reuse@example.com', password: PASSWORD });
    // A copy of the stored session (another tab, a stolen token) refreshes first…
    const copy = memoryStorage();
    await copy.setItem(`hearth.${w.appId}.session`, (await storage.getItem(`hearth.${w.appId}.session`))!);
    const thief = client({ storage: copy });
    await thief.auth.refresh();
    // …then the original presents the spent token: the server revokes the session, the SDK signs out.
    const events: AuthChangeEvent[] = [];
    original.auth.onChange((_u, e) => events.push(e));
    await expect(original.auth.refresh()).rejects.toMatchObject({ status: 401, reason: 'invalid_refresh_token' });
    expect(original.auth.user).toBeNull();
    expect(events).toEqual(['SESSION_REVOKED']);
    expect(await storage.getItem(`hearth.${w.appId}.session`)).toBeNull();
    // The whole session is gone, the thief's newest tokens included.
    await expect(thief.auth.refresh()).rejects.toMatchObject({ status: 401 });
    expect(thief.auth.user).toBeNull();
  });

  it('keeps the session in an async (AsyncStorage-style) store', async () => {
    const map = new Map<string, string>();
    const asyncStorage: TokenStorage = {
      getItem: async (k) => map.get(k) ?? null,
      setItem: async (k, v) => void map.set(k, v),
      removeItem: async (k) => void map.delete(k),
    };
    await client({ storage: asyncStorage })
      .auth.signIn({ email: 'reuse@example.com', password: PASSWORD })
      .catch(() => null);
    const first = client({ storage: asyncStorage });
    await first.auth.signInAnonymously();
    const second = client({ storage: asyncStorage });
    await second.auth.ready;
    expect(second.auth.user?.anonymous).toBe(true);
    expect((await second.auth.me()).id).toBe(first.auth.user?.id);
  });
});
