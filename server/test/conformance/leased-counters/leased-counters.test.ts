import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isError } from '../../../src/errors.js';
import { createMemoryLeasedCounters } from '../../../src/engines/memory/leased-counters.js';
import { createRedisLeasedCounters } from '../../../src/engines/redis/leased-counters.js';
import type { LeasedCounters } from '../../../src/ports/leased-counters.js';

/**
 * The LeasedCounters port's conformance suite (ports/leased-counters.ts) on both engines: in
 * process, and Redis on the real redis-server of the global setup. "Replicas" are two port
 * objects: one object for memory (one process is the cluster), two connections for Redis.
 */
interface Target {
  name: string;
  open(): Promise<{ a: LeasedCounters; b: LeasedCounters; close(): Promise<void> }>;
  /** A port whose engine cannot answer (Redis not reachable); null when the engine cannot fail. */
  broken?: () => { port: LeasedCounters; close(): void };
}

const targets: Target[] = [
  {
    name: 'memory',
    open: async () => {
      const c = createMemoryLeasedCounters();
      return { a: c, b: c, close: async () => {} };
    },
  },
  {
    name: 'redis',
    open: async () => {
      const ra = new Redis(inject('redisUrl'), { lazyConnect: true });
      const rb = new Redis(inject('redisUrl'), { lazyConnect: true });
      await Promise.all([ra.connect(), rb.connect()]);
      return {
        a: createRedisLeasedCounters({ redis: ra }),
        b: createRedisLeasedCounters({ redis: rb }),
        close: async () => {
          ra.disconnect();
          rb.disconnect();
        },
      };
    },
    broken: () => {
      const r = new Redis('redis://127.0.0.1:1', {
        lazyConnect: true,
        enableOfflineQueue: false,
        retryStrategy: () => null,
      });
      r.on('error', () => {});
      return { port: createRedisLeasedCounters({ redis: r }), close: () => r.disconnect() };
    },
  },
];

const keyName = () => `conf:${Math.random().toString(36).slice(2)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const target of targets) {
  describe(`LeasedCounters conformance: ${target.name}`, () => {
    let c: Awaited<ReturnType<Target['open']>>;
    beforeAll(async () => {
      c = await target.open();
    });
    afterAll(() => c.close());

    it('takes units up to max across holders, refuses past it, and release frees one', async () => {
      const key = keyName();
      const take = (p: LeasedCounters, holder: string) => p.acquire({ key, holder, max: 3, leaseMs: 10_000 });
      expect(await take(c.a, 'A')).toEqual({ acquired: true, total: 1 });
      expect(await take(c.b, 'B')).toEqual({ acquired: true, total: 2 });
      expect(await take(c.a, 'A')).toEqual({ acquired: true, total: 3 });
      expect(await take(c.b, 'B')).toEqual({ acquired: false, total: 3 });
      expect(await c.b.total({ key })).toBe(3);
      await c.a.release({ key, holder: 'A' });
      expect(await c.a.total({ key })).toBe(2);
      expect(await take(c.b, 'B')).toEqual({ acquired: true, total: 3 });
      // Other keys are separate.
      expect(await c.a.total({ key: keyName() })).toBe(0);
    });

    it('never goes below zero when more is released than taken', async () => {
      const key = keyName();
      await c.a.release({ key, holder: 'A' });
      await c.a.acquire({ key, holder: 'A', max: 5, leaseMs: 10_000 });
      await c.a.release({ key, holder: 'A' });
      await c.a.release({ key, holder: 'A' });
      expect(await c.b.total({ key })).toBe(0);
      expect(await c.b.acquire({ key, holder: 'B', max: 1, leaseMs: 10_000 })).toEqual({ acquired: true, total: 1 });
    });

    it('a holder that stops renewing loses its units when its lease ends; renewing keeps them', async () => {
      const key = keyName();
      for (let i = 0; i < 2; i++) await c.a.acquire({ key, holder: 'dead', max: 2, leaseMs: 250 });
      await c.b.acquire({ key, holder: 'kept', max: 3, leaseMs: 250 });
      expect(await c.b.acquire({ key, holder: 'other', max: 3, leaseMs: 10_000 })).toMatchObject({ acquired: false });
      for (let i = 0; i < 4; i++) {
        await sleep(100);
        await c.b.renew({ holder: 'kept', counts: new Map([[key, 1]]), leaseMs: 250 });
      }
      // 400 ms later: `dead` is gone, `kept` still counts.
      expect(await c.a.total({ key })).toBe(1);
      expect(await c.b.acquire({ key, holder: 'other', max: 3, leaseMs: 10_000 })).toEqual({
        acquired: true,
        total: 2,
      });
    });

    it('renew states the exact counts (repairs drift; 0 clears); drop ends a holder at once', async () => {
      const key = keyName();
      await c.a.acquire({ key, holder: 'A', max: 10, leaseMs: 10_000 });
      await c.a.renew({ holder: 'A', counts: new Map([[key, 4]]), leaseMs: 10_000 });
      expect(await c.b.total({ key })).toBe(4);
      await c.a.renew({ holder: 'A', counts: new Map([[key, 0]]), leaseMs: 10_000 });
      expect(await c.b.total({ key })).toBe(0);
      await c.a.renew({ holder: 'A', counts: new Map(), leaseMs: 10_000 });
      await c.a.acquire({ key, holder: 'A', max: 10, leaseMs: 10_000 });
      await c.b.acquire({ key, holder: 'B', max: 10, leaseMs: 10_000 });
      await c.a.drop({ holder: 'A' });
      expect(await c.b.total({ key })).toBe(1);
    });

    it('racing acquires never take more than max', async () => {
      const key = keyName();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 ? c.a : c.b).acquire({ key, holder: i % 2 ? 'A' : 'B', max: 7, leaseMs: 10_000 }),
        ),
      );
      expect(results.filter((r) => r.acquired)).toHaveLength(7);
      expect(await c.a.total({ key })).toBe(7);
    });

    it.runIf(target.broken)('throws unavailable when the engine cannot answer', async () => {
      const { port, close } = target.broken!();
      try {
        for (const op of [
          () => port.acquire({ key: 'k', holder: 'A', max: 1, leaseMs: 1000 }),
          () => port.release({ key: 'k', holder: 'A' }),
          () => port.renew({ holder: 'A', counts: new Map([['k', 1]]), leaseMs: 1000 }),
          () => port.total({ key: 'k' }),
          () => port.drop({ holder: 'A' }),
        ]) {
          const err = await op().then(
            () => null,
            (e: unknown) => e,
          );
          expect(isError(err, 'unavailable'), String(err)).toBe(true);
        }
      } finally {
        close();
      }
    });
  });
}
