import { Redis } from 'ioredis';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeRedis, createRedisClient } from '../../src/engines/redis/index.js';
import { buildTestApp, ENGINES } from '../support/harness.js';
import { openAuthWorld, PASSWORD, type AuthWorld } from './support.js';

/**
 * Review M2 with the Redis limiters (REDIS_URL): guesses sent in parallel, spread over two
 * instances sharing one redis-server, still get only maxFailedLogins answers in total, because
 * each attempt takes its point before the password is checked (RateLimiterRedis consume/reward).
 */
describe.each(ENGINES)('lockout against parallel guesses, shared through Redis [%s]', (engine) => {
  let w: AuthWorld;
  let b: ReturnType<typeof request>;
  const clients: Redis[] = [];
  const client = () => {
    const c = createRedisClient({ url: inject('redisUrl'), logger: pino({ level: 'silent' }) });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const [ra, rb] = [client(), client()];
    await Promise.all([ra.connect(), rb.connect()]);
    w = await openAuthWorld(engine, { trustProxy: 'loopback', redis: ra });
    const built = await buildTestApp(w.h.store, { trustProxy: 'loopback', redis: rb });
    b = request(built.app);
  });
  afterAll(async () => {
    await w?.close();
    await Promise.all(clients.map((c) => closeRedis(c)));
  });

  const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.7`;
  const login = (http: ReturnType<typeof request>, email: string, password: string) =>
    http
      .post(w.auth('/login'))
      .set({ ...w.pk, 'X-Forwarded-For': ip })
      .send({ email, password });

  it('40 parallel wrong passwords over two instances: 10 answered, 30 rate_limited', async () => {
    await w.signUp('redis-parallel@example.com');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(i % 2 ? b : w.h.http, 'redis-parallel@example.com', `wrong ${i}`)),
    );
    const counts: Record<number, number> = {};
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    expect(counts).toEqual({ 401: 10, 429: 30 });
    expect((await login(b, 'redis-parallel@example.com', PASSWORD)).status).toBe(429);
  });

  it('a successful login gives its point back in Redis too', async () => {
    await w.signUp('redis-back@example.com');
    const statuses: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 9; i++)
        statuses.push((await login(i % 2 ? b : w.h.http, 'redis-back@example.com', `typo ${i}`)).status);
      statuses.push((await login(round ? b : w.h.http, 'redis-back@example.com', PASSWORD)).status);
    }
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
  });
});
