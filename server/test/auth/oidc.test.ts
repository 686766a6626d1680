import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/modules/auth/mfa.js';
import { ENGINES } from '../support/harness.js';
import { runProviderLeg, startOidc, type TestOidc } from './oidc-server.js';
import { expectError, openAuthWorld, type AuthWorld } from './support.js';

/**
 * Sign-in with OpenID Connect against a real provider (oidc-provider) on a local port: the whole
 * redirect flow (authorization code + PKCE + state + nonce), account creation and linking by
 * verified email, and the ways it must refuse.
 */
const PUBLIC_URL = 'http://hearth.test';
const BACK = 'https://todos.test/after-sign-in';

describe.each(ENGINES)('OpenID Connect sign-in [%s]', (engine) => {
  let w: AuthWorld;
  let op: TestOidc;
  let callbackBase: string;

  beforeAll(async () => {
    w = await openAuthWorld(engine, { publicUrl: PUBLIC_URL });
    callbackBase = `${PUBLIC_URL}/v1/apps/${w.appId}/auth/oauth/local/callback`;
    op = await startOidc([callbackBase]);
    await w.patchSettings({
      oauth: { local: { issuer: op.issuer, clientId: op.client.clientId, clientSecret: op.client.clientSecret } },
      redirectUrls: ['https://todos.test/after-sign-in'],
    });
  });
  afterAll(async () => {
    await w?.close();
    await op?.close();
  });

  /** The browser's trip: Hearth → provider → Hearth callback → the app's page with ?code or ?error. */
  async function browserSignIn(account: string, agent = request.agent(w.h.app), redirectTo = BACK): Promise<URL> {
    op.signInAs = account;
    const start = await agent.get(`/v1/apps/${w.appId}/auth/oauth/local?redirectTo=${encodeURIComponent(redirectTo)}`);
    expect(start.status, start.text).toBe(302);
    const authorize = new URL(start.headers.location!);
    expect(authorize.origin).toBe(op.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(callbackBase);
    const back = await runProviderLeg(authorize.href, callbackBase);
    const cb = await agent.get(`${back.pathname}${back.search}`);
    expect(cb.status, cb.text).toBe(303);
    return new URL(cb.headers.location!);
  }

  const redeem = (code: string) => w.h.http.post(w.auth('/oauth/token')).set(w.pk).send({ code });

  it('creates an account on first sign-in and signs in with the exchanged code', async () => {
    op.accounts.set('acc-1', { sub: 'acc-1', email: 'Oidc.User@example.com', email_verified: true, name: 'O User' });
    const landed = await browserSignIn('acc-1');
    expect(landed.origin + landed.pathname).toBe(BACK);
    const code = landed.searchParams.get('code')!;
    expect(code).toBeTruthy();
    const res = await redeem(code).expect(200);
    expect(res.body.user).toMatchObject({ email: 'oidc.user@example.com', emailVerified: true, anonymous: false });
    const sessions = await w.h.http.get(w.auth('/sessions')).set(w.as(res.body.accessToken)).expect(200);
    expect(sessions.body.items[0].amr).toEqual(['oauth:local']);
    // The code works once.
    expectError(await redeem(code), 401, 'unauthorized');
    // Signing in again: the same account.
    const again = await redeem((await browserSignIn('acc-1')).searchParams.get('code')!).expect(200);
    expect(again.body.user.id).toBe(res.body.user.id);
  });

  it('links to an existing password account by verified email', async () => {
    const existing = await w.signUp('linked@example.com');
    op.accounts.set('acc-2', { sub: 'acc-2', email: 'linked@example.com', email_verified: true });
    const res = await redeem((await browserSignIn('acc-2')).searchParams.get('code')!).expect(200);
    expect(res.body.user.id).toBe(existing.user.id);
    expect(res.body.user.emailVerified).toBe(true);
  });

  it('does not link by an unverified email (a new account without that email instead)', async () => {
    const existing = await w.signUp('victim@example.com');
    op.accounts.set('acc-3', { sub: 'acc-3', email: 'victim@example.com', email_verified: false });
    const res = await redeem((await browserSignIn('acc-3')).searchParams.get('code')!).expect(200);
    expect(res.body.user.id).not.toBe(existing.user.id);
    expect(res.body.user.email).toBeNull();
  });

  it('asks for the second factor when the account has TOTP', async () => {
    op.accounts.set('acc-4', { sub: 'acc-4', email: 'mfa-oidc@example.com', email_verified: true });
    const first = await redeem((await browserSignIn('acc-4')).searchParams.get('code')!).expect(200);
    const enrol = await w.h.http.post(w.auth('/mfa/totp')).set(w.as(first.body.accessToken)).send({}).expect(200);
    await w.h.http
      .post(w.auth('/mfa/totp/activate'))
      .set(w.as(first.body.accessToken))
      .send({ code: totpCode(enrol.body.secret, new Date()) })
      .expect(200);
    const second = await redeem((await browserSignIn('acc-4')).searchParams.get('code')!).expect(200);
    expect(second.body).toMatchObject({ mfaRequired: true });
    expect(second.body.accessToken).toBeUndefined();
  });

  it('refuses a redirectTo the app did not allow', async () => {
    for (const bad of ['https://evil.test/after', 'https://todos.test/elsewhere', 'javascript:alert(1)', 'not a url']) {
      const res = await w.h.http.get(`/v1/apps/${w.appId}/auth/oauth/local?redirectTo=${encodeURIComponent(bad)}`);
      expectError(res, 400, 'invalid_request');
    }
    expectError(await w.h.http.get(`/v1/apps/${w.appId}/auth/oauth/local`), 400, 'invalid_request');
  });

  it('refuses unknown providers and apps', async () => {
    expectError(
      await w.h.http.get(`/v1/apps/${w.appId}/auth/oauth/google?redirectTo=${encodeURIComponent(BACK)}`),
      404,
      'not_found',
    );
    expectError(
      await w.h.http.get(`/v1/apps/nosuchapp/auth/oauth/local?redirectTo=${encodeURIComponent(BACK)}`),
      404,
      'not_found',
    );
  });

  it('refuses a callback in another browser (no flow cookie), a reused state, and a forged state', async () => {
    op.accounts.set('acc-5', { sub: 'acc-5', email: 'csrf@example.com', email_verified: true });
    op.signInAs = 'acc-5';
    const agent = request.agent(w.h.app);
    const start = await agent
      .get(`/v1/apps/${w.appId}/auth/oauth/local?redirectTo=${encodeURIComponent(BACK)}`)
      .expect(302);
    const back = await runProviderLeg(start.headers.location!, callbackBase);
    // Another browser (an attacker's link): no cookie.
    const stranger = await w.h.http.get(`${back.pathname}${back.search}`);
    expect(stranger.status).toBe(400);
    // The state was spent by that attempt: the right browser cannot reuse it either.
    expect((await agent.get(`${back.pathname}${back.search}`)).status).toBe(400);
    const forged = new URL(back);
    forged.searchParams.set('state', 'A'.repeat(43));
    expect((await agent.get(`${forged.pathname}${forged.search}`)).status).toBe(400);
  });

  it('sends signup_disabled back (and makes no account) for a new identity while sign-up is closed', async () => {
    op.accounts.set('acc-closed', { sub: 'acc-closed', email: 'closed-oidc@example.com', email_verified: true });
    await w.patchSettings({ allowSignup: false });
    try {
      const landed = await browserSignIn('acc-closed');
      expect(landed.searchParams.get('error')).toBe('signup_disabled');
      expect(landed.searchParams.get('code')).toBeNull();
    } finally {
      await w.patchSettings({ allowSignup: true });
    }
    const users = await w.h.http.get(`/v1/admin/apps/${w.appId}/users`).set(w.admin).query({ email: 'closed-oidc' });
    expect(users.body.items).toEqual([]);
  });

  it("passes the provider's refusal back to the app", async () => {
    const agent = request.agent(w.h.app);
    const start = await agent
      .get(`/v1/apps/${w.appId}/auth/oauth/local?redirectTo=${encodeURIComponent(BACK)}`)
      .expect(302);
    const state = new URL(start.headers.location!).searchParams.get('state')!;
    const cb = await agent
      .get(`/v1/apps/${w.appId}/auth/oauth/local/callback?error=access_denied&state=${state}`)
      .expect(303);
    const landed = new URL(cb.headers.location!);
    expect(landed.searchParams.get('error')).toBe('access_denied');
    expect(landed.searchParams.get('code')).toBeNull();
  });

  it('refuses a code from another app, and garbage codes', async () => {
    op.accounts.set('acc-6', { sub: 'acc-6', email: 'cross@example.com', email_verified: true });
    const code = (await browserSignIn('acc-6')).searchParams.get('code')!;
    const other = await w.h.http.post('/v1/admin/apps').set(w.admin).send({ name: 'Other' }).expect(201);
    expectError(
      await w.h.http
        .post(`/v1/apps/${other.body.id}/auth/oauth/token`)
        .set({ 'X-Hearth-Key': other.body.keys.public })
        .send({ code }),
      401,
      'unauthorized',
    );
    expectError(await redeem('x'), 401, 'unauthorized');
    await redeem(code).expect(200);
  });

  it('refuses a plain-http issuer that is not loopback', async () => {
    await w.patchSettings({
      oauth: {
        local: { issuer: op.issuer, clientId: op.client.clientId, clientSecret: op.client.clientSecret },
        remote: { issuer: 'http://issuer.example.com', clientId: 'x' },
      },
    });
    const res = await w.h.http.get(`/v1/apps/${w.appId}/auth/oauth/remote?redirectTo=${encodeURIComponent(BACK)}`);
    expectError(res, 400, 'invalid_request');
  });
});
