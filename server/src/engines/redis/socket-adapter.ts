import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { SocketAdapter } from '../../ports/pubsub.js';

/**
 * socket.io's Redis adapter (REDIS_URL): room broadcasts (realtime channels) reach the sockets of
 * every replica. It publishes on the shared connection and listens on a duplicate of its own
 * (which queues its SUBSCRIBEs until Redis is reachable, so a start without Redis works).
 *
 * The adapter does not handle failed Redis commands (its promises would be unhandled rejections,
 * which end a Node process): both clients are wrapped so that a publish or subscribe failing
 * while Redis is away is dropped — channel messages are at most once, like pub/sub itself.
 */
const GUARDED = new Set(['publish', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe']);

function guarded(client: Redis): Redis {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || !GUARDED.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result instanceof Promise ? result.catch(() => undefined) : result;
      };
    },
  });
}

export async function createRedisSocketAdapter(options: {
  redis: Redis;
}): Promise<{ adapter: SocketAdapter; close(): Promise<void> }> {
  const sub = options.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
  sub.on('error', () => {
    // The shared client logs outages; this one reconnects on its own.
  });
  await sub.connect().catch(() => undefined);
  return {
    adapter: createAdapter(guarded(options.redis), guarded(sub), { key: 'hearth:sio' }) as SocketAdapter,
    close: async () => {
      if (sub.status === 'ready') await sub.quit().catch(() => sub.disconnect());
      else sub.disconnect();
    },
  };
}
