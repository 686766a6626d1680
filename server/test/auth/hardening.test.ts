import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/lib/hash.js';
import { totpCode, TOTP_PERIOD } from '../../src/modules/auth/mfa.js';
import { ENGINES } from '../support/harness.js';
import { runProviderLeg, startOidc, type TestOidc } from './oidc-server.js';
import { expectError, openAuthWorld, PASSWORD, type AuthWorld, type SignInBody } from './support.js';

/**
 * Issue 5 hardening: the auth findings of the security review, each asserting the safe behaviour
 * (pre-account takeover, parallel guessing, re-authentication, closed sign-up, refresh-token
 * reuse, redirect allow-list, recovery-code storage, invalid settings).
 */
const PUBLIC_URL = 'http://hearth.test';
const ATTACKER_PASSWORD = 'attacker password 123!';

describe.each(ENGINES)('auth hardening [%s]', (engine) => {
  let w: AuthWorld;
  let op: TestOidc;
  let callbackBase: string;
  let clock = 0;
  const now = () => new Date(Date.now() + clock);
  const logLines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });

  beforeAll(async () => {
    w = await openAuthWorld(engine, { publicUrl: PUBLIC_URL, now, trustProxy: 'loopback', logger });
    callbackBase = `${PUBLIC_URL}/v1/apps/${w.appId}/auth/oauth/local/callback`;
    op = await startOidc([callbackBase]);
    await w.patchSettings({
      oauth: { local: { issuer: op.issuer, clientId: op.client.clientId, clientSecret: op.client.clientSecret } },
      redirectUrls: ['https://todos.test/after', 'https://other.test'],
      ipRequestsPer15Min: 100_000,
    });
  });
  afterAll(async () => {
    await w?.close();
    await op?.close();
  });

  /** The browser leg of an OIDC sign-in as `sub`, then the code exchanged for tokens. */
  async function oidcSignIn(sub: string, email: string): Promise<SignInBody> {
    op.accounts.set(sub, { sub, email, email_verified: true });
    op.signInAs = sub;
    const agent = request.agent(w.h.app);
    const redirectTo = encodeURIComponent('https://todos.test/after');
    const start = await agent.get(`/v1/apps/${w.appId}/auth/oauth/local?redirectTo=${redirectTo}`);
    expect(start.status, start.text).toBe(302);
    const back = await runProviderLeg(start.headers.location!, callbackBase);
    const cb = await agent.get(`${back.pathname}${back.search}`);
    expect(cb.status, cb.text).toBe(303);
    const landed = new URL(cb.headers.location!);
    expect(landed.searchParams.get('error')).toBeNull();
    const res = await w.h.http
      .post(w.auth('/oauth/token'))
      .set(w.pk)
      .send({ code: landed.searchParams.get('code') })
      .expect(200);
    return res.body as SignInBody;
  }

  /** The token of the newest mail of a kind to an address (outbox engine). */
  async function mailedToken(to: string, kind: string): Promise<string> {
    await w.h.modules.auth.settle();
    const out = await w.h.http.get(`/v1/admin/apps/${w.appId}/mail/outbox`).set(w.admin).expect(200);
    const mail = (out.body.items as Array<{ to: string; kind: string; text: string }>).find(
      (m) => m.to === to && m.kind === kind,
    );
    expect(mail, `a ${kind} mail to ${to}`).toBeDefined();
    return /token=([A-Za-z0-9_-]+)/.exec(mail!.text)![1]!;
  }

  async function magicSignIn(email: string): Promise<SignInBody> {
    await w.h.http.post(w.auth('/magic-link/request')).set(w.pk).send({ email }).expect(202);
    const token = await mailedToken(email, 'magic-link');
    const res = await w.h.http.post(w.auth('/magic-link/confirm')).set(w.pk).send({ token }).expect(200);
    return res.body as SignInBody;
  }

  async function enrolTotp(accessToken: string): Promise<string> {
    const enrol = await w.h.http.post(w.auth('/mfa/totp')).set(w.as(accessToken)).send({}).expect(200);
    clock += TOTP_PERIOD * 1000;
    await w.h.http
      .post(w.auth('/mfa/totp/activate'))
      .set(w.as(accessToken))
      .send({ code: totpCode(enrol.body.secret, now()) })
      .expect(200);
    return enrol.body.secret as string;
  }

  const loginAs = (email: string, password: string, ip = '10.9.0.1') =>
    w.h.http
      .post(w.auth('/login'))
      .set({ ...w.pk, 'X-Forwarded-For': ip })
      .send({ email, password });

  /** Every trace of the pre-registered account's maker is gone; the owner is in. */
  async function expectAttackerOut(attacker: SignInBody, email: string): Promise<void> {
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(attacker.accessToken)), 401, 'unauthorized');
    expectError(
      await w.h.http.post(w.auth('/refresh')).set(w.pk).send({ refreshToken: attacker.refreshToken }),
      401,
      'unauthorized',
    );
    expectError(await loginAs(email, ATTACKER_PASSWORD), 401, 'unauthorized');
  }

  // ── H2: pre-account takeover ──────────────────────────────────────────

  it('H2: an OIDC sign-in with a verified email wipes what the maker of an unverified account set up', async () => {
    const attacker = await w.signUp('victim1@example.com', ATTACKER_PASSWORD);
    expect(attacker.user.emailVerified).toBe(false);
    // The attacker also enrols TOTP and asks for a reset link (it goes to the victim, but still).
    await enrolTotp(attacker.accessToken);
    await w.h.http.post(w.auth('/reset/request')).set(w.pk).send({ email: 'victim1@example.com' }).expect(202);
    const resetToken = await mailedToken('victim1@example.com', 'reset');

    const victim = await oidcSignIn('victim1-sub', 'victim1@example.com');
    // Signed straight in (no MFA challenge from the attacker's TOTP), same account, verified.
    expect(victim.accessToken).toEqual(expect.any(String));
    expect(victim.user.id).toBe(attacker.user.id);
    expect(victim.user.emailVerified).toBe(true);
    await expectAttackerOut(attacker, 'victim1@example.com');
    const me = await w.h.http.get(w.auth('/me')).set(w.as(victim.accessToken)).expect(200);
    expect(me.body.mfa).toEqual({ totp: false });
    // Links issued before the address was proven are void.
    expectError(
      await w.h.http
        .post(w.auth('/reset/confirm'))
        .set(w.pk)
        .send({ token: resetToken, password: 'a brand new password 9' }),
      401,
      'unauthorized',
    );
    const stored = await w.h.store.forApp(w.appId).get('_users', victim.user.id);
    expect(stored?.passwordHash).toBeNull();
    // The victim's own session lives on.
    await w.h.http.get(w.auth('/me')).set(w.as(victim.accessToken)).expect(200);
  });

  it('H2: with requireVerifiedEmail, the attacker password does not start working after the owner signs in', async () => {
    await w.patchSettings({ requireVerifiedEmail: true });
    try {
      const s = await w.h.http
        .post(w.auth('/signup'))
        .set(w.pk)
        .send({ email: 'rve@example.com', password: ATTACKER_PASSWORD });
      expect(s.status).toBe(202);
      expectError(await loginAs('rve@example.com', ATTACKER_PASSWORD), 403, 'forbidden');
      const victim = await oidcSignIn('rve-sub', 'rve@example.com');
      expect(victim.user.emailVerified).toBe(true);
      expectError(await loginAs('rve@example.com', ATTACKER_PASSWORD), 401, 'unauthorized');
    } finally {
      await w.patchSettings({ requireVerifiedEmail: false });
    }
  });

  it('H2: a magic link to an unverified account wipes its password and sessions', async () => {
    const attacker = await w.signUp('victim2@example.com', ATTACKER_PASSWORD);
    const victim = await magicSignIn('victim2@example.com');
    expect(victim.user.id).toBe(attacker.user.id);
    expect(victim.user.emailVerified).toBe(true);
    await expectAttackerOut(attacker, 'victim2@example.com');
    await w.h.http.get(w.auth('/me')).set(w.as(victim.accessToken)).expect(200);
  });

  it('H2 (control): a verified account keeps its password and sessions when its owner uses a magic link or OIDC', async () => {
    const owner = await w.signUp('verified@example.com');
    const token = await mailedToken('verified@example.com', 'verify');
    await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token }).expect(200);
    await magicSignIn('verified@example.com');
    const viaOidc = await oidcSignIn('verified-sub', 'verified@example.com');
    expect(viaOidc.user.id).toBe(owner.user.id);
    await w.h.http.get(w.auth('/me')).set(w.as(owner.accessToken)).expect(200);
    expect((await loginAs('verified@example.com', PASSWORD)).status).toBe(200);
  });

  // ── M2: lockout against parallel guesses ──────────────────────────────

  it('M2: 40 parallel wrong passwords get at most maxFailedLogins (10) answers, the rest rate_limited', async () => {
    await w.signUp('parallel@example.com');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => loginAs('parallel@example.com', `wrong guess ${i}`, '10.9.1.1')),
    );
    const counts: Record<number, number> = {};
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    expect(counts).toEqual({ 401: 10, 429: 30 });
    // Locked for that client, even with the right password; another client still signs in.
    expectError(await loginAs('parallel@example.com', PASSWORD, '10.9.1.1'), 429, 'rate_limited');
    expect((await loginAs('parallel@example.com', PASSWORD, '10.9.1.2')).status).toBe(200);
  });

  it('M2: a successful login gives its attempt back (a user who gets it right is never locked)', async () => {
    await w.signUp('sometimes@example.com');
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 9; i++)
        statuses.push((await loginAs('sometimes@example.com', `typo ${i}`, '10.9.2.1')).status);
      statuses.push((await loginAs('sometimes@example.com', PASSWORD, '10.9.2.1')).status);
    }
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
  });

  it('M2: parallel wrong MFA codes get at most 5 answers, the rest rate_limited', async () => {
    const s = await w.signUp('mfa-parallel@example.com');
    const secret = await enrolTotp(s.accessToken);
    const challenge = await loginAs('mfa-parallel@example.com', PASSWORD, '10.9.3.1');
    expect(challenge.body.mfaRequired).toBe(true);
    const good = totpCode(secret, now());
    const wrong = Array.from({ length: 20 }, (_, i) => String((Number(good) + 1 + i) % 1_000_000).padStart(6, '0'));
    const results = await Promise.all(
      wrong.map((code) => w.h.http.post(w.auth('/mfa')).set(w.pk).send({ mfaToken: challenge.body.mfaToken, code })),
    );
    const counts: Record<number, number> = {};
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    expect(counts).toEqual({ 401: 5, 429: 15 });
  });

  // ── M4: re-authentication for security changes ───────────────────────

  it('M4: setting a first password needs a recent sign-in; a refresh does not count', async () => {
    const first = await oidcSignIn('pwless-sub', 'pwless@example.com');
    clock += 11 * 60_000;
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
    clock += 60 * 60_000;
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
    clock += 11 * 60_000;
    const d1 = expectError(
      await w.h.http.post(w.auth('/mfa/totp')).set(w.as(s.accessToken)).send({}),
      403,
      'forbidden',
    );
    expect(d1.reason).toBe('reauthentication_required');

    // Enrolment started on a fresh session cannot be activated once the session is stale.
    const fresh = await w.login('stale-mfa@example.com');
    const enrol = await w.h.http.post(w.auth('/mfa/totp')).set(w.as(fresh.accessToken)).send({}).expect(200);
    clock += 11 * 60_000;
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
    clock += 11 * 60_000;
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
    clock += TOTP_PERIOD * 1000;
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
