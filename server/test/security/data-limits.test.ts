import { Redis } from 'ioredis';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeRedis, createRedisClient } from '../../src/engines/redis/index.js';
import { expectError } from '../collections/support.js';
import { buildTestApp, ENGINES, startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

/**
 * Finding 5 of the security probe, second half: the data routes had no rate limit, so one public
 * key could keep the server busy. Public-key callers (signed in or not) are now limited per app
 * and client IP (on by default), and optionally per app; secret keys and admins are not. Past the
 * limit: 429 rate_limited with Retry-After. With Redis the counts are shared by every replica.
 */
describe.each(ENGINES)('data route rate limits [%s]', (engine) => {
  let h: Harness;
  let app: Awaited<ReturnType<typeof withAdminAndApp>>;
  const docs = () => `/v1/apps/${app.appId}/collections/items/documents`;

  beforeAll(async () => {
    h = await startHarness(engine, {
      trustProxy: 'loopback',
      dataRateLimits: { perIpPerMinute: 5, perAppPerMinute: 8 },
    });
    app = await withAdminAndApp(h);
    await h.http
      .post(`/v1/admin/apps/${app.appId}/collections`)
      .set('Authorization', `Bearer ${app.adminToken}`)
      .send({ name: 'items', fields: [{ name: 't', type: 'string' }], rules: { list: 'public', create: 'public' } })
      .expect(201);
  });
  afterAll(async () => {
    await h.close();
  });

  const asPublic = (ip: string) => h.http.get(docs()).set({ 'X-Hearth-Key': app.publicKey, 'X-Forwarded-For': ip });

  it('a public key gets 429 rate_limited with Retry-After past the per-IP limit; other IPs and the secret key go on', async () => {
    for (let i = 0; i < 5; i++) await asPublic('10.0.0.1').expect(200);
    const limited = await asPublic('10.0.0.1');
    const details = expectError(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(details.retryAfter).toBe(Number(limited.headers['retry-after']));
    // Writes are data routes too, and a refused one writes nothing.
    const write = await h.http
      .post(docs())
      .set({ 'X-Hearth-Key': app.publicKey, 'X-Forwarded-For': '10.0.0.1' })
      .send({ t: 'x' });
    expectError(write, 429, 'rate_limited');
    await asPublic('10.0.0.2').expect(200);
    for (let i = 0; i < 10; i++)
      await h.http.get(docs()).set({ 'X-Hearth-Key': app.secretKey, 'X-Forwarded-For': '10.0.0.1' }).expect(200);
    const all = await h.http.get(docs()).set({ 'X-Hearth-Key': app.secretKey }).expect(200);
    expect(all.body.items).toEqual([]);
  });

  it('the per-app limit counts every IP together', async () => {
    // 10.0.0.1: 5 + 1 refused (not counted against the app), 10.0.0.2: 1 → 6 of 8 used.
    await asPublic('10.0.0.3').expect(200);
    await asPublic('10.0.0.4').expect(200);
    expectError(await asPublic('10.0.0.5'), 429, 'rate_limited');
  });
});

describe('data route rate limits: defaults and replicas', () => {
  it('are on by default: 600 requests a minute per app and IP for public keys', async () => {
    const h = await startHarness('sqlite');
    try {
      const app = await withAdminAndApp(h);
      await h.http
        .post(`/v1/admin/apps/${app.appId}/collections`)
        .set('Authorization', `Bearer ${app.adminToken}`)
        .send({ name: 'items', rules: { list: 'public' } })
        .expect(201);
      const url = `/v1/apps/${app.appId}/collections/items/documents`;
      const statuses: number[] = [];
      for (let i = 0; i < 601; i += 50) {
        const n = Math.min(50, 601 - i);
        const answers = await Promise.all(
          Array.from({ length: n }, () => h.http.get(url).set('X-Hearth-Key', app.publicKey)),
        );
        statuses.push(...answers.map((r) => r.status));
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(600);
      expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  it('with Redis, two replicas count together', async () => {
    const h = await startHarness('sqlite', { dataRateLimits: { perIpPerMinute: 6, perAppPerMinute: 0 } });
    const clients: Redis[] = [];
    try {
      const app = await withAdminAndApp(h);
      await h.http
        .post(`/v1/admin/apps/${app.appId}/collections`)
        .set('Authorization', `Bearer ${app.adminToken}`)
        .send({ name: 'items', rules: { list: 'public' } })
        .expect(201);
      const replica = async () => {
        const redis = createRedisClient({ url: inject('redisUrl'), logger: pino({ level: 'silent' }) });
        clients.push(redis);
        await redis.connect();
        const built = await buildTestApp(h.store, {
          redis,
          dataRateLimits: { perIpPerMinute: 6, perAppPerMinute: 0 },
        });
        return request(built.app);
      };
      const [a, b] = [await replica(), await replica()];
      const url = `/v1/apps/${app.appId}/collections/items/documents`;
      for (let i = 0; i < 3; i++) {
        await a.get(url).set('X-Hearth-Key', app.publicKey).expect(200);
        await b.get(url).set('X-Hearth-Key', app.publicKey).expect(200);
      }
      expectError(await a.get(url).set('X-Hearth-Key', app.publicKey), 429, 'rate_limited');
      expectError(await b.get(url).set('X-Hearth-Key', app.publicKey), 429, 'rate_limited');
    } finally {
      await Promise.all(clients.map((c) => closeRedis(c)));
      await h.close();
    }
  });
});
