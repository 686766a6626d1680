import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isError } from '../../../src/errors.js';
import { createMemoryPubSub } from '../../../src/engines/memory/pubsub.js';
import { createRedisPubSub } from '../../../src/engines/redis/pubsub.js';
import type { PubSub } from '../../../src/ports/pubsub.js';

/**
 * The PubSub port's conformance suite (ports/pubsub.ts), on both engines: the in-process one and
 * Redis on the real redis-server of the global setup. "Replicas" are two port objects: for memory
 * they are one object (one process is every replica); for Redis two connections.
 */
interface Target {
  name: string;
  /** Two replicas' views of the same bus. */
  open(): Promise<{ a: PubSub; b: PubSub; close(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'memory',
    open: async () => {
      const bus = createMemoryPubSub();
      return { a: bus, b: bus, close: () => bus.close() };
    },
  },
  {
    name: 'redis',
    open: async () => {
      const ra = new Redis(inject('redisUrl'), { lazyConnect: true });
      const rb = new Redis(inject('redisUrl'), { lazyConnect: true });
      await Promise.all([ra.connect(), rb.connect()]);
      const a = createRedisPubSub({ redis: ra });
      const b = createRedisPubSub({ redis: rb });
      return {
        a,
        b,
        close: async () => {
          await Promise.all([a.close(), b.close()]);
          ra.disconnect();
          rb.disconnect();
        },
      };
    },
  },
];

const channelName = () => `conf:${Math.random().toString(36).slice(2)}`;
const waitFor = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

for (const target of targets) {
  describe(`PubSub conformance: ${target.name}`, () => {
    let bus: Awaited<ReturnType<Target['open']>>;
    beforeAll(async () => {
      bus = await target.open();
    });
    afterAll(() => bus.close());

    it('a message published after subscribe resolved reaches the subscriber on the other replica, in order', async () => {
      const channel = channelName();
      const got: string[] = [];
      const sub = await bus.b.subscribe({ channel, onMessage: (m) => got.push(m) });
      for (let i = 0; i < 50; i++) await bus.a.publish({ channel, message: `m${i}` });
      await waitFor(() => got.length === 50);
      expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
      await sub.unsubscribe();
    });

    it('every subscription of a channel receives each message, and only its channel', async () => {
      const [c1, c2] = [channelName(), channelName()];
      const one: string[] = [];
      const two: string[] = [];
      const other: string[] = [];
      const s1 = await bus.a.subscribe({ channel: c1, onMessage: (m) => one.push(m) });
      const s2 = await bus.b.subscribe({ channel: c1, onMessage: (m) => two.push(m) });
      const s3 = await bus.b.subscribe({ channel: c2, onMessage: (m) => other.push(m) });
      await bus.a.publish({ channel: c1, message: JSON.stringify({ x: 'é\u0000"' }) });
      await waitFor(() => one.length === 1 && two.length === 1);
      expect(JSON.parse(one[0]!)).toEqual({ x: 'é\u0000"' });
      expect(two).toEqual(one);
      await new Promise((r) => setTimeout(r, 50));
      expect(other).toEqual([]);
      await Promise.all([s1.unsubscribe(), s2.unsubscribe(), s3.unsubscribe()]);
    });

    it('handlers run after publish returns, never inside it', async () => {
      const channel = channelName();
      let called = false;
      const sub = await bus.a.subscribe({ channel, onMessage: () => (called = true) });
      const p = bus.a.publish({ channel, message: 'x' });
      expect(called).toBe(false);
      await p;
      await waitFor(() => called);
      await sub.unsubscribe();
    });

    it('after unsubscribe nothing more arrives; other subscriptions of the channel keep theirs', async () => {
      const channel = channelName();
      const gone: string[] = [];
      const kept: string[] = [];
      const s1 = await bus.b.subscribe({ channel, onMessage: (m) => gone.push(m) });
      const s2 = await bus.b.subscribe({ channel, onMessage: (m) => kept.push(m) });
      await s1.unsubscribe();
      await bus.a.publish({ channel, message: 'after' });
      await waitFor(() => kept.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      expect(gone).toEqual([]);
      await s2.unsubscribe();
    });

    it('publishing to a channel nobody listens to is fine (at most once, no persistence)', async () => {
      const channel = channelName();
      await bus.a.publish({ channel, message: 'lost' });
      const got: string[] = [];
      const sub = await bus.b.subscribe({ channel, onMessage: (m) => got.push(m) });
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual([]);
      await sub.unsubscribe();
      await expect(bus.a.ping()).resolves.toBeUndefined();
    });
  });
}

describe('PubSub engines when closed or down', () => {
  it('memory: publish after close is unavailable', async () => {
    const bus = createMemoryPubSub();
    await bus.close();
    const err = await bus.publish({ channel: 'x', message: 'y' }).catch((e: unknown) => e);
    expect(isError(err, 'unavailable')).toBe(true);
  });

  it('redis: publish and subscribe with Redis unreachable are unavailable, without driver text', async () => {
    const redis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    const bus = createRedisPubSub({ redis });
    const pub = await bus.publish({ channel: 'x', message: 'y' }).catch((e: unknown) => e);
    expect(isError(pub, 'unavailable')).toBe(true);
    expect((pub as Error).message).not.toMatch(/ECONNREFUSED|Stream/);
    const sub = await bus.subscribe({ channel: 'x', onMessage: () => undefined }).catch((e: unknown) => e);
    expect(isError(sub, 'unavailable')).toBe(true);
    await bus.close();
    redis.disconnect();
  });
});
