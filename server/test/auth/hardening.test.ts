import { describe, expect, it } from 'vitest';
import { totpCode } from '../../src/modules/auth/mfa.js';
import { ENGINES } from '../support/harness.js';
import { ATTACKER_PASSWORD, hardeningKit } from './hardening.kit.js';
import { expectError, PASSWORD } from './support.js';

/**
 * Issue 5 hardening, part 1 (pre-account takeover, parallel guessing): the auth findings of the security review, each asserting the safe behaviour
 * (pre-account takeover, parallel guessing, re-authentication, closed sign-up, refresh-token
 * reuse, redirect allow-list, recovery-code storage, invalid settings).
 */
describe.each(ENGINES)('auth hardening: takeover and guessing [%s]', (engine) => {
  const { w, now, oidcSignIn, mailedToken, magicSignIn, enrolTotp, loginAs, expectAttackerOut } = hardeningKit(engine);

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
});
