import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/lib/hash.js';
import { totpCode, TOTP_PERIOD } from '../../src/modules/auth/mfa.js';
import { ENGINES } from '../support/harness.js';
import { hardeningKit } from './hardening.kit.js';
import { expectError, PASSWORD } from './support.js';

/**
 * Issue 5 hardening, part 2 (re-authentication, sign-up, refresh reuse, redirects, recovery codes, settings): the auth findings of the security review, each asserting the safe behaviour
 * (pre-account takeover, parallel guessing, re-authentication, closed sign-up, refresh-token
 * reuse, redirect allow-list, recovery-code storage, invalid settings).
 */
describe.each(ENGINES)('auth hardening: sessions and settings [%s]', (engine) => {
  const { w, now, advance, logLines, oidcSignIn, enrolTotp, loginAs } = hardeningKit(engine);

  // ── M4: re-authentication for security changes ───────────────────────

  it('M4: setting a first password needs a recent sign-in; a refresh does not count', async () => {
    const first = await oidcSignIn('pwless-sub', 'pwless@example.com');
    advance(11 * 60_000);
    const details = expectError(
      await w.h.http
        .post(w.auth('/password'))
        .set(w.as(first.accessToken))
        .send({ newPassword: 'thief password 12345' }),
      403,
      'forbidden',
    );
    expect(details.reason).toBe('reauthentication_required');
    const refreshed = await w.h.http
      .post(w.auth('/refresh'))
      .set(w.pk)
      .send({ refreshToken: first.refreshToken })
      .expect(200);
    expectError(
      await w.h.http
        .post(w.auth('/password'))
        .set(w.as(refreshed.body.accessToken))
        .send({ newPassword: 'thief password 12345' }),
      403,
      'forbidden',
    );
    expectError(await loginAs('pwless@example.com', 'thief password 12345'), 401, 'unauthorized');
    // A fresh sign-in may.
    const again = await oidcSignIn('pwless-sub', 'pwless@example.com');
    await w.h.http
      .post(w.auth('/password'))
      .set(w.as(again.accessToken))
      .send({ newPassword: 'owner password 12345' })
      .expect(204);
    expect((await loginAs('pwless@example.com', 'owner password 12345')).status).toBe(200);
  });

  it('M4: changing a password with the current one still works on an old session (the password is the re-authentication)', async () => {
    const s = await w.signUp('old-session@example.com');
    advance(60 * 60_000);
    expectError(
      await w.h.http
        .post(w.auth('/password'))
        .set(w.as(s.accessToken))
        .send({ currentPassword: 'not my password 1', newPassword: 'another good password 2' }),
      401,
      'unauthorized',
    );
    await w.h.http
      .post(w.auth('/password'))
      .set(w.as(s.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'another good password 2' })
      .expect(204);
  });

  it('M4: enrolling, activating and turning off TOTP need a recent sign-in', async () => {
    const s = await w.signUp('stale-mfa@example.com');
    advance(11 * 60_000);
    const d1 = expectError(
      await w.h.http.post(w.auth('/mfa/totp')).set(w.as(s.accessToken)).send({}),
      403,
      'forbidden',
    );
    expect(d1.reason).toBe('reauthentication_required');

    // Enrolment started on a fresh session cannot be activated once the session is stale.
    const fresh = await w.login('stale-mfa@example.com');
    const enrol = await w.h.http.post(w.auth('/mfa/totp')).set(w.as(fresh.accessToken)).send({}).expect(200);
    advance(11 * 60_000);
    const d2 = expectError(
      await w.h.http
        .post(w.auth('/mfa/totp/activate'))
        .set(w.as(fresh.accessToken))
        .send({ code: totpCode(enrol.body.secret, now()) }),
      403,
      'forbidden',
    );
    expect(d2.reason).toBe('reauthentication_required');

    const again = await w.login('stale-mfa@example.com');
    const secret = await enrolTotp(again.accessToken);
    advance(11 * 60_000);
    const d3 = expectError(
      await w.h.http
        .delete(w.auth('/mfa/totp'))
        .set(w.as(again.accessToken))
        .send({ code: totpCode(secret, now()) }),
      403,
      'forbidden',
    );
    expect(d3.reason).toBe('reauthentication_required');
    const me = await w.h.http.get(w.auth('/me')).set(w.as(again.accessToken)).expect(200);
    expect(me.body.mfa).toEqual({ totp: true });
  });

  // ── M6: upgrade honours allowSignup ───────────────────────────────────

  it('M6: an anonymous account cannot become an email account while sign-up is closed', async () => {
    const anon = await w.h.http.post(w.auth('/anonymous')).set(w.pk).expect(201);
    await w.patchSettings({ allowSignup: false });
    try {
      const details = expectError(
        await w.h.http
          .post(w.auth('/upgrade'))
          .set(w.as(anon.body.accessToken))
          .send({ email: 'closed@example.com', password: PASSWORD }),
        403,
        'forbidden',
      );
      expect(details.reason).toBe('signup_disabled');
      const me = await w.h.http.get(w.auth('/me')).set(w.as(anon.body.accessToken)).expect(200);
      expect(me.body.anonymous).toBe(true);
      expectError(await loginAs('closed@example.com', PASSWORD), 401, 'unauthorized');
    } finally {
      await w.patchSettings({ allowSignup: true });
    }
  });

  // ── L2: refresh-token reuse vs. guessing ──────────────────────────────

  it('L2: a wrong secret for a known session id is refused without ending the session', async () => {
    const u = await w.signUp('sid@example.com');
    const sid = JSON.parse(Buffer.from(u.accessToken.split('.')[1]!, 'base64url').toString()).sid as string;
    for (const forged of [`${sid}.forged-secret`, `${sid}.${'A'.repeat(43)}`]) {
      expectError(
        await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: forged }),
        401,
        'unauthorized',
      );
    }
    await w.h.http.get(w.auth('/me')).set(w.as(u.accessToken)).expect(200);
    const next = await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: u.refreshToken }).expect(200);
    await w.h.http.get(w.auth('/me')).set(w.as(next.body.accessToken)).expect(200);
  });

  it('L2: a superseded refresh token (a copy) still ends the session, also several rotations later', async () => {
    const u = await w.signUp('reuse@example.com');
    let current = u.refreshToken;
    for (let i = 0; i < 3; i++) {
      const r = await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: current }).expect(200);
      current = r.body.refreshToken as string;
    }
    expectError(
      await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: u.refreshToken }),
      401,
      'unauthorized',
    );
    // The live token died with the session.
    expectError(await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: current }), 401, 'unauthorized');
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(u.accessToken)), 401, 'unauthorized');
  });

  // ── L3: redirect allow-list ───────────────────────────────────────────

  it('L3: redirectTo matches an allowed path exactly or as a directory, never as a raw prefix', async () => {
    const start = (target: string) =>
      w.h.http.get(`/v1/apps/${w.appId}/auth/oauth/local?redirectTo=${encodeURIComponent(target)}`);
    for (const good of [
      'https://todos.test/after',
      'https://todos.test/after?x=1',
      'https://todos.test/after/deeper',
      'https://other.test/anything/at/all',
    ]) {
      expect((await start(good)).status, good).toBe(302);
    }
    for (const bad of [
      'https://todos.test/afterlife/open-redirect',
      'https://todos.test/after-evil',
      'https://todos.test/after/../elsewhere',
      'https://todos.test:8443/after',
      'http://todos.test/after',
      'https://user:pw@todos.test/after',
      'https://other.test.evil/x',
    ]) {
      expectError(await start(bad), 400, 'invalid_request');
    }
  });

  // ── L5: recovery codes keyed ──────────────────────────────────────────

  it('L5: recovery codes are stored as keyed hashes, not bare SHA-256, and still sign in', async () => {
    const s = await w.signUp('recovery@example.com');
    const enrol = await w.h.http.post(w.auth('/mfa/totp')).set(w.as(s.accessToken)).send({}).expect(200);
    advance(TOTP_PERIOD * 1000);
    const act = await w.h.http
      .post(w.auth('/mfa/totp/activate'))
      .set(w.as(s.accessToken))
      .send({ code: totpCode(enrol.body.secret, now()) })
      .expect(200);
    const codes = act.body.recoveryCodes as string[];
    const stored = await w.h.store.forApp(w.appId).get('_users', s.user.id);
    const hashes = (stored?.mfa as { recoveryCodes: string[] }).recoveryCodes;
    expect(hashes).toHaveLength(10);
    for (const h of hashes) expect(h).toMatch(/^h1:[0-9a-f]{64}$/);
    const raw = JSON.stringify(stored);
    for (const c of codes) expect(raw).not.toContain(sha256(c));
    const challenge = await loginAs('recovery@example.com', PASSWORD, '10.9.4.1');
    const signedIn = await w.h.http
      .post(w.auth('/mfa'))
      .set(w.pk)
      .send({ mfaToken: challenge.body.mfaToken, code: codes[2] })
      .expect(200);
    expect(signedIn.body.accessToken).toEqual(expect.any(String));
  });

  // ── L6: invalid stored settings fail closed ───────────────────────────

  it('L6: stored auth settings that do not parse refuse auth requests and are logged; an admin PATCH repairs them', async () => {
    const app = w.h.store.forApp(w.appId);
    const before = await app.get('_auth_settings', 'settings');
    const good = before!.settings as Record<string, unknown>;
    // allowSignup false, but with a broken field: the defaults (sign-up open) must not apply.
    await app.replace('_auth_settings', 'settings', {
      settings: { ...good, allowSignup: false, accessTokenTtl: 'soon' },
    });
    w.h.modules.auth.services.settings.forget(w.appId);
    logLines.length = 0;
    const details = expectError(
      await w.h.http.post(w.auth('/signup')).set(w.pk).send({ email: 'l6@example.com', password: PASSWORD }),
      500,
      'internal',
    );
    expect(details.reason).toBe('auth_settings_invalid');
    expectError(await w.h.http.post(w.auth('/anonymous')).set(w.pk), 500, 'internal');
    expect(await w.h.modules.auth.services.settings.get(w.appId).catch((e: Error) => e.message)).toMatch(/invalid/);
    const logged = logLines.map((l) => JSON.parse(l) as { msg: string; appId?: string; issues?: object });
    const entry = logged.find((l) => l.msg.includes('auth settings are invalid'));
    expect(entry?.appId).toBe(w.appId);
    expect(entry?.issues).toHaveProperty('accessTokenTtl');
    const made = await app.find('_users', {
      filter: { op: 'field', path: 'email', conds: [{ op: 'eq', value: 'l6@example.com' }] },
      limit: 10,
    });
    expect(made.items).toHaveLength(0);

    // The admin fixes the broken field; the rest of what was stored (allowSignup: false) holds.
    const fixed = await w.patchSettings({ accessTokenTtl: 900 });
    expect(fixed.allowSignup).toBe(false);
    expectError(
      await w.h.http.post(w.auth('/signup')).set(w.pk).send({ email: 'l6@example.com', password: PASSWORD }),
      403,
      'forbidden',
    );
    await w.patchSettings({ allowSignup: true });
    await w.signUp('l6@example.com');
  });
});
