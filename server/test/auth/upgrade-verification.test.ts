import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { expectError, openAuthWorld, PASSWORD, type AuthWorld, type SignInBody } from './support.js';

/**
 * Security finding 1 (issue 9): on an app with `requireVerifiedEmail`, upgrading an anonymous
 * account follows the sign-up policy. The upgrade answers 202 without tokens, the account stays
 * anonymous and the address stays free until the link mailed to it is confirmed; then the account
 * (same id) has the address and the password, and signs in with them.
 */
describe.each(ENGINES)('anonymous upgrade with requireVerifiedEmail [%s]', (engine) => {
  let w: AuthWorld;
  beforeAll(async () => {
    w = await openAuthWorld(engine);
    await w.patchSettings({ requireVerifiedEmail: true, ipRequestsPer15Min: 100_000 });
  });
  afterAll(async () => {
    await w?.close();
  });

  const anonymous = async (): Promise<SignInBody> =>
    (await w.h.http.post(w.auth('/anonymous')).set(w.pk).send({}).expect(201)).body as SignInBody;
  const upgrade = (token: string, email: string, password = PASSWORD) =>
    w.h.http.post(w.auth('/upgrade')).set(w.as(token)).send({ email, password });
  const login = (email: string, password = PASSWORD) =>
    w.h.http.post(w.auth('/login')).set(w.pk).send({ email, password });

  /** The tokens of every verification mail to an address, oldest first (outbox engine). */
  async function verifyTokens(to: string): Promise<string[]> {
    await w.h.modules.auth.settle();
    const out = await w.h.http.get(`/v1/admin/apps/${w.appId}/mail/outbox`).set(w.admin).query({ limit: 100 });
    expect(out.status, JSON.stringify(out.body)).toBe(200);
    return (out.body.items as Array<{ to: string; kind: string; text: string }>)
      .filter((m) => m.to === to && m.kind === 'verify')
      .map((m) => /token=([A-Za-z0-9_-]+)/.exec(m.text)![1]!)
      .reverse();
  }

  it('grants no tokens for an unverified address and leaves the session anonymous', async () => {
    const anon = await anonymous();
    const res = await upgrade(anon.accessToken, 'victim@example.com', 'attacker password 123!');
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ verificationRequired: true, user: { id: anon.user.id, anonymous: true } });
    expect(res.body.user.email).toBeNull();
    expect(res.body.accessToken).toBeUndefined();
    expect(res.body.refreshToken).toBeUndefined();
    // The anonymous session goes on as it was, refresh included.
    const me = await w.h.http.get(w.auth('/me')).set(w.as(anon.accessToken)).expect(200);
    expect(me.body).toMatchObject({ anonymous: true, email: null });
    const refreshed = await w.h.http
      .post(w.auth('/refresh'))
      .set(w.pk)
      .send({ refreshToken: anon.refreshToken })
      .expect(200);
    expect(refreshed.body.user).toMatchObject({ id: anon.user.id, anonymous: true, email: null });
    // The address is not taken: no password login for it, and its owner can still sign up.
    expectError(await login('victim@example.com', 'attacker password 123!'), 401, 'unauthorized');
    const owner = await w.h.http
      .post(w.auth('/signup'))
      .set(w.pk)
      .send({ email: 'victim@example.com', password: PASSWORD });
    expect(owner.status, JSON.stringify(owner.body)).toBe(202);
    expect(owner.body.user.id).not.toBe(anon.user.id);
  });

  it('gives the account the address and the password once the mailed link is confirmed', async () => {
    const anon = await anonymous();
    expect((await upgrade(anon.accessToken, 'Later@Example.com')).status).toBe(202);
    const [token] = await verifyTokens('later@example.com');
    expect(token).toBeDefined();
    const confirmed = await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token }).expect(200);
    expect(confirmed.body).toMatchObject({
      id: anon.user.id,
      email: 'later@example.com',
      emailVerified: true,
      anonymous: false,
    });
    // The anonymous session ended with the upgrade; the account signs in with its new password.
    expectError(await w.h.http.get(w.auth('/me')).set(w.as(anon.accessToken)), 401, 'unauthorized');
    const signedIn = await login('later@example.com');
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body.user).toMatchObject({ id: anon.user.id, anonymous: false, emailVerified: true });
    // The link works once, and the account is no longer anonymous.
    expectError(await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token }), 401, 'unauthorized');
    expectError(await upgrade(signedIn.body.accessToken, 'other@example.com'), 409, 'conflict');
  });

  it('a newer upgrade request voids the older link', async () => {
    const anon = await anonymous();
    expect((await upgrade(anon.accessToken, 'first@example.com')).status).toBe(202);
    expect((await upgrade(anon.accessToken, 'second@example.com')).status).toBe(202);
    const [first] = await verifyTokens('first@example.com');
    expectError(await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token: first }), 401, 'unauthorized');
    const [second] = await verifyTokens('second@example.com');
    await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token: second }).expect(200);
    expect((await login('second@example.com')).status).toBe(200);
    expectError(await login('first@example.com'), 401, 'unauthorized');
  });

  it('whoever proves the address first keeps it: the upgrade link then answers 409 and changes nothing', async () => {
    const anon = await anonymous();
    expect((await upgrade(anon.accessToken, 'race@example.com', 'attacker password 123!')).status).toBe(202);
    const [upgradeLink] = await verifyTokens('race@example.com');
    await w.h.http
      .post(w.auth('/signup'))
      .set(w.pk)
      .send({ email: 'race@example.com', password: PASSWORD })
      .expect(202);
    const [, ownerLink] = await verifyTokens('race@example.com');
    await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token: ownerLink }).expect(200);
    expectError(await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token: upgradeLink }), 409, 'conflict');
    const me = await w.h.http.get(w.auth('/me')).set(w.as(anon.accessToken)).expect(200);
    expect(me.body).toMatchObject({ anonymous: true, email: null });
    expect((await login('race@example.com')).status).toBe(200);
    expectError(await login('race@example.com', 'attacker password 123!'), 401, 'unauthorized');
  });

  it('the default link page says so when the address was taken meanwhile', async () => {
    const anon = await anonymous();
    expect((await upgrade(anon.accessToken, 'page@example.com')).status).toBe(202);
    const [upgradeLink] = await verifyTokens('page@example.com');
    await w.h.http
      .post(w.auth('/signup'))
      .set(w.pk)
      .send({ email: 'page@example.com', password: PASSWORD })
      .expect(202);
    const [, ownerLink] = await verifyTokens('page@example.com');
    await w.h.http.post(w.auth('/verify/confirm')).set(w.pk).send({ token: ownerLink }).expect(200);
    const res = await w.h.http.post(w.auth('/links/verify')).type('form').send({ token: upgradeLink });
    expect(res.status).toBe(409);
    expect(res.text).toContain('already has an account');
  });

  it('answers 409 at once for an address that already has an account, as sign-up does', async () => {
    await w.h.http.post(w.auth('/signup')).set(w.pk).send({ email: 'has@example.com', password: PASSWORD }).expect(202);
    const anon = await anonymous();
    expectError(await upgrade(anon.accessToken, 'HAS@example.com'), 409, 'conflict');
    expect(await verifyTokens('has@example.com')).toHaveLength(1);
  });

  it('refuses a password the policy refuses, before any mail', async () => {
    const anon = await anonymous();
    expectError(await upgrade(anon.accessToken, 'weak@example.com', 'short'), 400, 'validation_failed');
    expect(await verifyTokens('weak@example.com')).toHaveLength(0);
  });
});
