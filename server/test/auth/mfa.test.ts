import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode, TOTP_PERIOD } from '../../src/modules/auth/mfa.js';
import { ENGINES } from '../support/harness.js';
import { expectError, openAuthWorld, PASSWORD, type AuthWorld } from './support.js';

/** TOTP MFA over HTTP: enrol with the secret, codes computed from it, challenge at login, recovery codes. */
describe.each(ENGINES)('TOTP MFA [%s]', (engine) => {
  let w: AuthWorld;
  let clock = 0;
  const now = () => new Date(Date.now() + clock);
  beforeAll(async () => {
    w = await openAuthWorld(engine, { now });
  });
  afterAll(async () => {
    await w?.close();
  });
  /** Moves the server clock to the next TOTP step, so each code is fresh. */
  const nextStep = () => {
    clock += TOTP_PERIOD * 1000;
  };

  async function enrolled(email: string): Promise<{ secret: string; recoveryCodes: string[]; accessToken: string }> {
    const s = await w.signUp(email);
    const enrol = await w.h.http.post(w.auth('/mfa/totp')).set(w.as(s.accessToken)).send({}).expect(200);
    expect(enrol.body.uri).toMatch(/^otpauth:\/\/totp\/Todos:/);
    const secret = enrol.body.secret as string;
    nextStep();
    const act = await w.h.http
      .post(w.auth('/mfa/totp/activate'))
      .set(w.as(s.accessToken))
      .send({ code: totpCode(secret, now()) })
      .expect(200);
    expect(act.body.recoveryCodes).toHaveLength(10);
    return { secret, recoveryCodes: act.body.recoveryCodes, accessToken: s.accessToken };
  }

  it('refuses activation with a wrong code, then enables TOTP', async () => {
    const s = await w.signUp('enrol@example.com');
    const enrol = await w.h.http.post(w.auth('/mfa/totp')).set(w.as(s.accessToken)).send({}).expect(200);
    const wrong = totpCode(enrol.body.secret, new Date(now().getTime() - 10 * TOTP_PERIOD * 1000));
    const refused = expectError(
      await w.h.http.post(w.auth('/mfa/totp/activate')).set(w.as(s.accessToken)).send({ code: wrong }),
      401,
      'unauthorized',
    );
    expect(refused).toEqual({ reason: 'invalid_code', field: 'code' });
    nextStep();
    await w.h.http
      .post(w.auth('/mfa/totp/activate'))
      .set(w.as(s.accessToken))
      .send({ code: totpCode(enrol.body.secret, now()) })
      .expect(200);
    const me = await w.h.http.get(w.auth('/me')).set(w.as(s.accessToken)).expect(200);
    expect(me.body.mfa).toEqual({ totp: true });
    // The secret is stored sealed, never in the clear.
    const doc = await w.h.store.forApp(w.appId).get('_users', s.user.id);
    expect(JSON.stringify(doc)).not.toContain(enrol.body.secret);
    expectError(await w.h.http.post(w.auth('/mfa/totp')).set(w.as(s.accessToken)).send({}), 409, 'conflict');
  });

  it('asks for a code at login and signs in with it; the code works once', async () => {
    const { secret } = await enrolled('login@example.com');
    const first = await w.h.http
      .post(w.auth('/login'))
      .set(w.pk)
      .send({ email: 'login@example.com', password: PASSWORD })
      .expect(200);
    expect(first.body).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery'] });
    expect(first.body.accessToken).toBeUndefined();
    nextStep();
    const code = totpCode(secret, now());
    // A wrong code does not burn the challenge.
    expectError(
      await w.h.http
        .post(w.auth('/mfa'))
        .set(w.pk)
        .send({ mfaToken: first.body.mfaToken, code: '000000' === code ? '111111' : '000000' }),
      401,
      'unauthorized',
    );
    const done = await w.h.http
      .post(w.auth('/mfa'))
      .set(w.pk)
      .send({ mfaToken: first.body.mfaToken, code })
      .expect(200);
    expect(done.body.user.email).toBe('login@example.com');
    await w.h.http.get(w.auth('/me')).set(w.as(done.body.accessToken)).expect(200);
    const sessions = await w.h.http.get(w.auth('/sessions')).set(w.as(done.body.accessToken)).expect(200);
    expect(sessions.body.items.find((x: { current: boolean }) => x.current).amr).toEqual(['pwd', 'otp', 'mfa']);
    // The challenge is used up; the same code cannot be replayed on a new challenge either.
    expectError(
      await w.h.http.post(w.auth('/mfa')).set(w.pk).send({ mfaToken: first.body.mfaToken, code }),
      401,
      'unauthorized',
    );
    const second = await w.h.http
      .post(w.auth('/login'))
      .set(w.pk)
      .send({ email: 'login@example.com', password: PASSWORD })
      .expect(200);
    expectError(
      await w.h.http.post(w.auth('/mfa')).set(w.pk).send({ mfaToken: second.body.mfaToken, code }),
      401,
      'unauthorized',
    );
  });

  it('accepts each recovery code once', async () => {
    const { recoveryCodes } = await enrolled('recovery@example.com');
    const c1 = await w.h.http
      .post(w.auth('/login'))
      .set(w.pk)
      .send({ email: 'recovery@example.com', password: PASSWORD })
      .expect(200);
    await w.h.http
      .post(w.auth('/mfa'))
      .set(w.pk)
      .send({ mfaToken: c1.body.mfaToken, code: recoveryCodes[0]!.toUpperCase() })
      .expect(200);
    const c2 = await w.h.http
      .post(w.auth('/login'))
      .set(w.pk)
      .send({ email: 'recovery@example.com', password: PASSWORD })
      .expect(200);
    expectError(
      await w.h.http.post(w.auth('/mfa')).set(w.pk).send({ mfaToken: c2.body.mfaToken, code: recoveryCodes[0] }),
      401,
      'unauthorized',
    );
    await w.h.http
      .post(w.auth('/mfa'))
      .set(w.pk)
      .send({ mfaToken: c2.body.mfaToken, code: recoveryCodes[1] })
      .expect(200);
  });

  it('replaces the recovery codes (the old ones stop working)', async () => {
    const { secret, recoveryCodes, accessToken } = await enrolled('regen@example.com');
    expectError(
      await w.h.http.post(w.auth('/mfa/recovery-codes')).set(w.as(accessToken)).send({ code: '000001' }),
      401,
      'unauthorized',
    );
    nextStep();
    const res = await w.h.http
      .post(w.auth('/mfa/recovery-codes'))
      .set(w.as(accessToken))
      .send({ code: totpCode(secret, now()) })
      .expect(200);
    expect(res.body.recoveryCodes).toHaveLength(10);
    expect(res.body.recoveryCodes).not.toContain(recoveryCodes[0]);
    const c = await w.h.http
      .post(w.auth('/login'))
      .set(w.pk)
      .send({ email: 'regen@example.com', password: PASSWORD })
      .expect(200);
    expectError(
      await w.h.http.post(w.auth('/mfa')).set(w.pk).send({ mfaToken: c.body.mfaToken, code: recoveryCodes[0] }),
      401,
      'unauthorized',
    );
    await w.h.http
      .post(w.auth('/mfa'))
      .set(w.pk)
      .send({ mfaToken: c.body.mfaToken, code: res.body.recoveryCodes[0] })
      .expect(200);
  });

  it('rate-limits wrong codes', async () => {
    await enrolled('guess@example.com');
    const c = await w.h.http
      .post(w.auth('/login'))
      .set(w.pk)
      .send({ email: 'guess@example.com', password: PASSWORD })
      .expect(200);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push(
        (
          await w.h.http
            .post(w.auth('/mfa'))
            .set(w.pk)
            .send({ mfaToken: c.body.mfaToken, code: String(100000 + i) })
        ).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
  });

  it('refuses a forged or expired challenge token', async () => {
    const { secret } = await enrolled('expire@example.com');
    expectError(
      await w.h.http
        .post(w.auth('/mfa'))
        .set(w.pk)
        .send({ mfaToken: 'A'.repeat(43), code: '123456' }),
      401,
      'unauthorized',
    );
    const c = await w.h.http
      .post(w.auth('/login'))
      .set(w.pk)
      .send({ email: 'expire@example.com', password: PASSWORD })
      .expect(200);
    clock += 10 * 60_000;
    expectError(
      await w.h.http
        .post(w.auth('/mfa'))
        .set(w.pk)
        .send({ mfaToken: c.body.mfaToken, code: totpCode(secret, now()) }),
      401,
      'unauthorized',
    );
  });

  it('turns TOTP off with a code; sign-in is one step again', async () => {
    const { secret, accessToken } = await enrolled('off@example.com');
    expectError(
      await w.h.http.delete(w.auth('/mfa/totp')).set(w.as(accessToken)).send({ code: '000001' }),
      401,
      'unauthorized',
    );
    nextStep();
    await w.h.http
      .delete(w.auth('/mfa/totp'))
      .set(w.as(accessToken))
      .send({ code: totpCode(secret, now()) })
      .expect(204);
    const res = await w.login('off@example.com');
    expect(res.accessToken).toEqual(expect.any(String));
  });

  it('refuses MFA for anonymous users', async () => {
    const anon = await w.h.http.post(w.auth('/anonymous')).set(w.pk).send({}).expect(201);
    expectError(await w.h.http.post(w.auth('/mfa/totp')).set(w.as(anon.body.accessToken)).send({}), 403, 'forbidden');
  });
});
