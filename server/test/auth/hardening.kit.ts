import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, expect } from 'vitest';
import { totpCode, TOTP_PERIOD } from '../../src/modules/auth/mfa.js';
import type { EngineName } from '../support/harness.js';
import { runProviderLeg, startOidc, type TestOidc } from './oidc-server.js';
import { expectError, openAuthWorld, type AuthWorld, type SignInBody } from './support.js';

/**
 * The world of the hardening suites (hardening.*.test.ts): an app with a local OpenID provider,
 * a clock the tests move, captured logs, and the sign-in legs the findings need. Registers its
 * own beforeAll/afterAll; `w` and `op` read the live objects once they exist.
 */
export const PUBLIC_URL = 'http://hearth.test';
export const ATTACKER_PASSWORD = 'attacker password 123!';

/** An object whose properties are read from `get()` at use time (it exists only after beforeAll). */
function late<T extends object>(get: () => T | undefined): T {
  return new Proxy({} as T, {
    get: (_target, prop) => {
      const target = get();
      if (!target) throw new Error('hardening kit: used before beforeAll ran');
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    set: (_target, prop, value) => {
      const target = get();
      if (!target) throw new Error('hardening kit: used before beforeAll ran');
      return Reflect.set(target, prop, value, target);
    },
  });
}

export function hardeningKit(engine: EngineName) {
  const state: { w?: AuthWorld; op?: TestOidc } = {};
  let callbackBase: string;
  let clock = 0;
  const w = late(() => state.w);
  const op = late(() => state.op);
  const now = () => new Date(Date.now() + clock);
  const logLines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });

  beforeAll(async () => {
    state.w = await openAuthWorld(engine, { publicUrl: PUBLIC_URL, now, trustProxy: 'loopback', logger });
    callbackBase = `${PUBLIC_URL}/v1/apps/${w.appId}/auth/oauth/local/callback`;
    state.op = await startOidc([callbackBase]);
    await w.patchSettings({
      oauth: { local: { issuer: op.issuer, clientId: op.client.clientId, clientSecret: op.client.clientSecret } },
      redirectUrls: ['https://todos.test/after', 'https://other.test'],
      ipRequestsPer15Min: 100_000,
    });
  });
  afterAll(async () => {
    await state.w?.close();
    await state.op?.close();
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
    advance(TOTP_PERIOD * 1000);
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

  /** Moves the server's clock forward. */
  const advance = (ms: number) => {
    clock += ms;
  };
  return { w, op, now, advance, logLines, oidcSignIn, mailedToken, magicSignIn, enrolTotp, loginAs, expectAttackerOut };
}
