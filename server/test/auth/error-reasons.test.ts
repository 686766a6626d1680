import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_REASONS, type ErrorCode } from '../../src/errors.js';
import { ENGINES } from '../support/harness.js';
import { expectError, openAuthWorld, PASSWORD, type AuthWorld } from './support.js';

/**
 * The refusals of the auth routes carry a typed reason (`details.reason`, declared under its code
 * in ERROR_REASONS) and say what is wrong, each worded once (errors.* factories).
 */
describe.each(ENGINES)('auth error reasons [%s]', (engine) => {
  let w: AuthWorld;
  beforeAll(async () => {
    w = await openAuthWorld(engine);
    await w.patchSettings({ ipRequestsPer15Min: 100_000 });
  });
  afterAll(async () => {
    await w?.close();
  });

  /** The error of a response: its status and code, a reason declared for that code, the message. */
  function refusal(res: { status: number; body: unknown }, status: number, code: ErrorCode, reason: string) {
    const details = expectError(res, status, code);
    expect(details.reason).toBe(reason);
    expect(ERROR_REASONS[code] as readonly string[]).toContain(reason);
    return (res.body as { error: { message: string } }).error.message;
  }

  it('a wrong password, for login and for a password change', async () => {
    const s = await w.signUp('reasons@example.com');
    expect(
      refusal(
        await w.h.http.post(w.auth('/login')).set(w.pk).send({ email: 'reasons@example.com', password: 'wrong one!!' }),
        401,
        'unauthorized',
        'invalid_credentials',
      ),
    ).toBe('The email or password is incorrect.');
    const change = await w.h.http
      .post(w.auth('/password'))
      .set(w.as(s.accessToken))
      .send({ currentPassword: 'wrong one!!', newPassword: 'another good password 2' });
    expect(refusal(change, 401, 'unauthorized', 'invalid_credentials')).toBe('The current password is incorrect.');
  });

  it('links and codes that are unknown, used or expired', async () => {
    for (const path of ['/verify/confirm', '/magic-link/confirm', '/oauth/token']) {
      const body = path === '/oauth/token' ? { code: 'A'.repeat(43) } : { token: 'A'.repeat(43) };
      const res = await w.h.http.post(w.auth(path)).set(w.pk).send(body);
      expect(refusal(res, 401, 'unauthorized', 'invalid_link')).toBe('The link or code is invalid or has expired.');
    }
    const reset = await w.h.http.post(w.auth('/reset/confirm')).set(w.pk).send({ token: 'short', password: PASSWORD });
    refusal(reset, 401, 'unauthorized', 'invalid_link');
    const mfa = await w.h.http
      .post(w.auth('/mfa'))
      .set(w.pk)
      .send({ mfaToken: 'B'.repeat(43), code: '123456' });
    refusal(mfa, 401, 'unauthorized', 'invalid_link');
  });

  it('tokens: a bad refresh token, a bad access token, none where one is needed', async () => {
    const refresh = await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: 'nope.nope' });
    refusal(refresh, 401, 'unauthorized', 'invalid_refresh_token');
    refusal(await w.h.http.get(w.auth('/me')).set(w.as('not-a-jwt')), 401, 'unauthorized', 'invalid_token');
    refusal(await w.h.http.get(w.auth('/me')).set(w.pk), 401, 'unauthorized', 'token_required');
  });

  it('closed sign-up and anonymous sign-in', async () => {
    await w.patchSettings({ allowSignup: false, allowAnonymous: false });
    try {
      const up = await w.h.http.post(w.auth('/signup')).set(w.pk).send({ email: 'no@example.com', password: PASSWORD });
      expect(refusal(up, 403, 'forbidden', 'signup_disabled')).toBe('Sign-up is closed for this app.');
      refusal(await w.h.http.post(w.auth('/anonymous')).set(w.pk).send({}), 403, 'forbidden', 'anonymous_disabled');
    } finally {
      await w.patchSettings({ allowSignup: true, allowAnonymous: true });
    }
  });

  it('a taken email, and an upgrade of an account that is not anonymous', async () => {
    const s = await w.signUp('taken-reason@example.com');
    const again = await w.h.http
      .post(w.auth('/signup'))
      .set(w.pk)
      .send({ email: 'taken-reason@example.com', password: PASSWORD });
    expect(refusal(again, 409, 'conflict', 'exists')).toBe('An account with this email already exists.');
    const upgrade = await w.h.http
      .post(w.auth('/upgrade'))
      .set(w.as(s.accessToken))
      .send({ email: 'other-reason@example.com', password: PASSWORD });
    refusal(upgrade, 409, 'conflict', 'not_anonymous');
  });

  it('user management with a public key, or a user token', async () => {
    const users = `/v1/apps/${w.appId}/users`;
    refusal(await w.h.http.get(users).set(w.pk), 403, 'forbidden', 'secret_key_required');
    const s = await w.signUp('manager@example.com');
    refusal(
      await w.h.http.get(users).set({ ...w.sk, Authorization: `Bearer ${s.accessToken}` }),
      403,
      'forbidden',
      'secret_key_required',
    );
  });
});
