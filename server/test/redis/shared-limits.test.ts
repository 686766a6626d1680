import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeRedis, createRedisClient } from '../../src/engines/redis/index.js';
import { newId } from '../../src/lib/ids.js';
import { expectError, openAuthWorld, PASSWORD, type AuthWorld } from '../auth/support.js';
import { buildTestApp, ENGINES } from '../support/harness.js';
import { startRedis } from '../servers/redis.js';

/**
 * Issue 5: brute-force limits shared across replicas through Redis (REDIS_URL). Two Hearth
 * instances on one store, each with its own connection to the same real redis-server, count
 * failures together: spread over both, the lockout comes at the same total as on one instance.
 * Without Redis the same spread gets twice as many tries (the control). When Redis goes away,
 * requests still answer, limited per process (insurance limiter), /readyz is 503 naming redis,
 * and the limits are shared again once it is back.
 */
type Http = ReturnType<typeof request>;

function captureLogs(): { logger: Logger; lines: () => Array<{ level: number; msg: string }> } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  return {
    logger: pino({ level: 'info' }, stream),
    lines: () =>
      out
        .flatMap((l) => l.split('\n'))
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: number; msg: string }),
  };
}

async function secondInstance(
  w: AuthWorld,
  redis: Redis | null,
  logger: Logger = pino({ level: 'silent' }),
): Promise<Http> {
  const built = await buildTestApp(w.h.store, { logger, trustProxy: 'loopback', redis });
  return request(built.app);
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A fresh client IP per scenario: the admin limits are keyed by IP and email, not by app. */
const freshIp = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

describe.each(ENGINES)('rate limits shared through Redis [%s]', (engine) => {
  let w: AuthWorld;
  let b: Http;
  const clients: Redis[] = [];
  const client = () => {
    const c = createRedisClient({ url: inject('redisUrl'), logger: pino({ level: 'silent' }) });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const ra = client();
    const rb = client();
    await Promise.all([ra.connect(), rb.connect()]);
    w = await openAuthWorld(engine, { trustProxy: 'loopback', redis: ra });
    b = await secondInstance(w, rb);
  });
  afterAll(async () => {
    await w?.close();
    await Promise.all(clients.map((c) => closeRedis(c)));
  });

  const login = (http: Http, ip: string, email: string, password: string) =>
    http
      .post(w.auth('/login'))
      .set({ ...w.pk, 'X-Forwarded-For': ip })
      .send({ email, password });

  it('locks an account after maxFailedLogins failures spread over two instances, as one instance would', async () => {
    await w.signUp('spread@example.com');
    await w.signUp('single@example.com');
    const ip = freshIp();
    // One instance: 10 × 401, then 429.
    const single: number[] = [];
    for (let i = 0; i < 12; i++) single.push((await login(w.h.http, ip, 'single@example.com', `wrong ${i}`)).status);
    expect(single).toEqual([...Array(10).fill(401), 429, 429]);
    // Two instances, alternating: the same 10 × 401, then 429 on both, with Retry-After.
    const spread: number[] = [];
    for (let i = 0; i < 10; i++)
      spread.push((await login(i % 2 ? b : w.h.http, ip, 'spread@example.com', `wrong ${i}`)).status);
    expect(spread).toEqual(Array(10).fill(401));
    for (const http of [w.h.http, b]) {
      const res = await login(http, ip, 'spread@example.com', PASSWORD);
      const details = expectError(res, 429, 'rate_limited');
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(15 * 60 - 60);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      expect(details.retryAfter).toBe(retryAfter);
    }
    // The counts live in Redis, under Hearth's prefix and this app's id.
    const keys = await clients[0]!.keys(`hearth:rl:*${w.appId}:spread@example.com*`);
    expect(keys.length).toBeGreaterThan(0);
  });

  it('shares the per-IP request limit too', async () => {
    await w.patchSettings({ ipRequestsPer15Min: 10 });
    try {
      // A fresh replica: settings are cached per process for a few seconds (b still has 300).
      const rc = client();
      await rc.connect();
      const c = await secondInstance(w, rc);
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++)
        statuses.push((await login(i % 2 ? c : w.h.http, ip, `nobody${i}@example.com`, 'wrong password')).status);
      expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    } finally {
      await w.patchSettings({ ipRequestsPer15Min: 300 });
    }
  });

  it('shares the admin login limit per email and client (10 failures per 15 minutes) across instances', async () => {
    const email = `ghost-${newId().toLowerCase()}@example.com`;
    const ip = freshIp();
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 12; i++) {
      const res = await (i % 2 ? b : w.h.http)
        .post('/v1/admin/login')
        .set('X-Forwarded-For', ip)
        .send({ email, password: 'wrong password' });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body.error.code).toBe('rate_limited');
        retryAfter ??= res.headers['retry-after'];
      }
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(15 * 60);
  });

  it('shares the admin limit per IP (30 per 15 minutes) across instances', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) {
      const res = await (i % 2 ? b : w.h.http)
        .post('/v1/admin/login')
        .set('X-Forwarded-For', ip)
        .send({ email: `ghost${i}-${newId().toLowerCase()}@example.com`, password: 'wrong password' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(30).fill(401), 429, 429]);
  });

  it('reports redis in /readyz', async () => {
    const res = await b.get('/readyz').expect(200);
    expect(res.body.engines.redis).toEqual({ engine: 'redis', ok: true });
  });

  it('control: without Redis, two instances each count on their own (twice the tries)', async () => {
    const c = await secondInstance(w, null);
    const d = await secondInstance(w, null);
    await w.signUp('control@example.com');
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++)
      statuses.push((await login(i % 2 ? d : c, ip, 'control@example.com', `wrong ${i}`)).status);
    expect(statuses).toEqual([...Array(20).fill(401), 429, 429]);
    const ready = await c.get('/readyz').expect(200);
    expect(ready.body.engines.redis).toBeUndefined();
  });
});

describe.each(ENGINES)('when Redis goes away [%s]', (engine) => {
  let w: AuthWorld;
  let b: Http;
  let server: Awaited<ReturnType<typeof startRedis>>;
  let ra: Redis;
  let rb: Redis;
  const logs = captureLogs();

  beforeAll(async () => {
    // A redis-server of our own, so stopping it does not disturb the other suites.
    server = await startRedis();
    ra = createRedisClient({ url: server.url, logger: logs.logger });
    rb = createRedisClient({ url: server.url, logger: pino({ level: 'silent' }) });
    await Promise.all([ra.connect(), rb.connect()]);
    w = await openAuthWorld(engine, { trustProxy: 'loopback', redis: ra, logger: logs.logger });
    b = await secondInstance(w, rb);
    await w.signUp('outage@example.com');
    await w.signUp('back@example.com');
  });
  afterAll(async () => {
    await w?.close();
    await Promise.all([ra, rb].filter(Boolean).map((c) => closeRedis(c)));
    await server?.stop();
  });

  const login = (http: Http, ip: string, email: string, password: string) =>
    http
      .post(w.auth('/login'))
      .set({ ...w.pk, 'X-Forwarded-For': ip })
      .send({ email, password });

  it('keeps answering, limited per process, with /readyz 503 naming redis; shares again once it is back', async () => {
    await w.h.http.get('/readyz').expect(200);
    await server.stop();
    await until('both clients to notice', () => ra.status !== 'ready' && rb.status !== 'ready');

    const ready = await w.h.http.get('/readyz');
    expectError(ready, 503, 'unavailable');
    expect(ready.body.error.details.engines.redis).toEqual({ engine: 'redis', ok: false });
    expect(ready.body.error.details.engines.documentStore.ok).toBe(true);

    // Auth login: per process now. Ten failures on A lock the account there…
    const ip = freshIp();
    const onA: number[] = [];
    for (let i = 0; i < 11; i++) onA.push((await login(w.h.http, ip, 'outage@example.com', `wrong ${i}`)).status);
    expect(onA).toEqual([...Array(10).fill(401), 429]);
    // …while B, which counts on its own, still answers (and the right password works there).
    const onB = await login(b, ip, 'outage@example.com', PASSWORD);
    expect(onB.status, JSON.stringify(onB.body)).toBe(200);
    // Admin login answers too (no 500): a wrong password is a plain 401.
    const admin = await w.h.http
      .post('/v1/admin/login')
      .set('X-Forwarded-For', freshIp())
      .send({ email: 'nobody@example.com', password: 'wrong password' });
    expectError(admin, 401, 'unauthorized');
    // The fallback was logged (once), at warn level.
    const warnings = logs.lines().filter((l) => l.level === 40 && /insurance limiter/.test(l.msg));
    expect(warnings).toHaveLength(1);

    // Redis comes back on the same port: readiness recovers, limits are shared again.
    server = await startRedis({ port: server.port });
    await until('both clients to reconnect', () => ra.status === 'ready' && rb.status === 'ready');
    await w.h.http.get('/readyz').expect(200);
    const ip2 = freshIp();
    const spread: number[] = [];
    for (let i = 0; i < 11; i++)
      spread.push((await login(i % 2 ? b : w.h.http, ip2, 'back@example.com', `wrong ${i}`)).status);
    expect(spread).toEqual([...Array(10).fill(401), 429]);
    expect(await ra.keys('hearth:rl:*back@example.com*')).not.toHaveLength(0);
  }, 60_000);
});
