import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { SocketAdapter } from '../../ports/pubsub.js';

/**
 * socket.io's Redis adapter (REDIS_URL): room broadcasts (realtime channels) reach the sockets of
 * every replica. It publishes on the shared connection and listens on a duplicate of its own.
 */
export async function createRedisSocketAdapter(options: {
  redis: Redis;
}): Promise<{ adapter: SocketAdapter; close(): Promise<void> }> {
  const sub = options.redis.duplicate();
  sub.on('error', () => {
    // The shared client logs outages; this one reconnects on its own.
  });
  await sub.connect().catch(() => undefined);
  return {
    adapter: createAdapter(options.redis, sub, { key: 'hearth:sio' }) as SocketAdapter,
    close: async () => {
      if (sub.status === 'ready') await sub.quit().catch(() => sub.disconnect());
      else sub.disconnect();
    },
  };
}
