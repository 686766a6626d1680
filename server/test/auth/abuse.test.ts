import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { expectError, openAuthWorld, PASSWORD, type AuthWorld } from './support.js';

/**
 * Brute force: 1,000 wrong passwords, lockout per account and client, account-wide lockout
 * against distributed guessing, per-IP request limits (issue 5). Clients are told apart by
 * X-Forwarded-For (the harness trusts the loopback proxy).
 */
describe.each(ENGINES)('brute-force protection [%s]', (engine) => {
  let w: AuthWorld;
  beforeAll(async () => {
    w = await openAuthWorld(engine, { trustProxy: 'loopback' });
    await w.signUp('victim@example.com');
    await w.signUp('bystander@example.com');
  });
  afterAll(async () => {
    await w?.close();
  });

  const login = (ip: string, email: string, password: string) =>
    w.h.http
      .post(w.auth('/login'))
      .set({ ...w.pk, 'X-Forwarded-For': ip })
      .send({ email, password });

  it('answers 1,000 wrong passwords from one client with 10 × unauthorized, then rate_limited + Retry-After', async () => {
    const statuses = new Map<number, number>();
    let retryAfter: string | undefined;
    for (let i = 0; i < 1000; i++) {
      const res = await login('10.0.0.1', 'victim@example.com', `wrong password ${i}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 429) {
        retryAfter ??= res.headers['retry-after'];
        expect(res.body.error.code).toBe('rate_limited');
      }
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: 10, 429: 990 });
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(15 * 60);
  }, 120_000);

  it('refuses even the right password from that client while locked', async () => {
    const res = await login('10.0.0.1', 'victim@example.com', PASSWORD);
    expectError(res, 429, 'rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('lets the owner in from elsewhere, and other accounts from anywhere', async () => {
    expect((await login('10.0.0.2', 'victim@example.com', PASSWORD)).status).toBe(200);
    expect((await login('10.0.0.3', 'bystander@example.com', PASSWORD)).status).toBe(200);
  });

  it('locks the account everywhere after 10× the limit of failures from many clients', async () => {
    await w.signUp('target@example.com');
    let unauthorized = 0;
    for (let i = 0; i < 110; i++) {
      const res = await login(`10.1.${Math.floor(i / 5)}.${i % 5}`, 'target@example.com', `guess ${i}`);
      if (res.status === 401) unauthorized++;
      else expectError(res, 429, 'rate_limited');
    }
    expect(unauthorized).toBe(100);
    expectError(await login('10.9.9.9', 'target@example.com', PASSWORD), 429, 'rate_limited');
  }, 60_000);

  it('treats the same email in another case as the same account', async () => {
    expectError(await login('10.0.0.1', 'VICTIM@Example.com', PASSWORD), 429, 'rate_limited');
  });

  it('counts sign-in style requests per IP across accounts and routes', async () => {
    await w.patchSettings({ ipRequestsPer15Min: 10 });
    let limited = 0;
    for (let i = 0; i < 15; i++) {
      const res = await login('10.2.0.1', `someone${i}@example.com`, 'whatever it is');
      if (res.status === 429) limited++;
      else expect(res.status).toBe(401);
    }
    expect(limited).toBe(5);
    expectError(
      await w.h.http
        .post(w.auth('/anonymous'))
        .set({ ...w.pk, 'X-Forwarded-For': '10.2.0.1' })
        .send({}),
      429,
      'rate_limited',
    );
    await w.h.http
      .post(w.auth('/anonymous'))
      .set({ ...w.pk, 'X-Forwarded-For': '10.2.0.2' })
      .send({})
      .expect(201);
  });
});
