import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../collections/support.js';
import { ADMIN, ENGINES, startHarness, type Harness } from '../support/harness.js';

/**
 * Finding 7 of the security probe: wrong admin logins from one IP (every client, behind a proxy
 * without TRUST_PROXY) also blocked `/v1/admin/refresh`, so every admin was locked out for
 * minutes. Refreshing with a valid token is now never blocked by failed logins; failed refreshes
 * have their own limit. And Hearth warns once when requests arrive with X-Forwarded-For while
 * TRUST_PROXY is unset.
 */
describe.each(ENGINES)('admin refresh vs the login limit [%s]', (engine) => {
  let h: Harness;
  let refreshToken: string;
  beforeAll(async () => {
    h = await startHarness(engine);
    refreshToken = (await h.http.post('/v1/admin/setup').send(ADMIN).expect(201)).body.refreshToken;
  });
  afterAll(async () => {
    await h.close();
  });

  const refresh = async (token: string) => h.http.post('/v1/admin/refresh').send({ refreshToken: token });

  it('failed logins (to several addresses) lock the login from that IP, but a valid refresh still works', async () => {
    let last = 0;
    for (let i = 0; i < 40 && last !== 429; i++) {
      const email = `guess${i}@example.com`;
      last = (await h.http.post('/v1/admin/login').send({ email, password: 'wrong password' })).status;
    }
    expect(last).toBe(429);
    expectError(
      await h.http.post('/v1/admin/login').send({ email: ADMIN.email, password: ADMIN.password }),
      429,
      'rate_limited',
    );
    const res = await refresh(refreshToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    refreshToken = res.body.refreshToken;
    await h.http.get('/v1/admin/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
  });

  it('failed refreshes are limited on their own (429 with Retry-After), and a valid one still passes', async () => {
    let limited: Awaited<ReturnType<typeof refresh>> | undefined;
    for (let i = 0; i < 70 && !limited; i++) {
      const res = await refresh(`made-up.${'x'.repeat(20)}${i}`);
      if (res.status === 429) limited = res;
      else expectError(res, 401, 'unauthorized');
    }
    expect(limited, 'no limit on failed refreshes').toBeDefined();
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const res = await refresh(refreshToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

describe('X-Forwarded-For without TRUST_PROXY', () => {
  const capture = () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    return { logger: pino({ level: 'warn' }, stream), warnings: () => lines.filter((l) => l.level === 40) };
  };

  it('is warned about once, naming TRUST_PROXY', async () => {
    const { logger, warnings } = capture();
    const h = await startHarness('sqlite', { logger });
    try {
      await h.http.get('/healthz').expect(200);
      expect(warnings()).toEqual([]);
      for (let i = 0; i < 3; i++) await h.http.get('/healthz').set('X-Forwarded-For', `203.0.113.${i}`).expect(200);
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]!.msg).toContain('TRUST_PROXY');
    } finally {
      await h.close();
    }
  });

  it('is not warned about when TRUST_PROXY is set', async () => {
    const { logger, warnings } = capture();
    const h = await startHarness('sqlite', { logger, trustProxy: '1' });
    try {
      await h.http.get('/healthz').set('X-Forwarded-For', '203.0.113.9').expect(200);
      expect(warnings()).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
