import type { Redis } from 'ioredis';
import { HearthError } from '../../errors.js';
import type { PubSub, PubSubSubscription } from '../../ports/pubsub.js';

/**
 * The Redis pub/sub engine (REDIS_URL). Publishing goes through the process's shared connection;
 * subscribing needs a connection of its own (a Redis connection in subscriber mode runs no other
 * commands), made with `duplicate()` of the shared one. A channel is SUBSCRIBEd once per process
 * whatever the number of local handlers; ioredis re-subscribes after a reconnect (messages sent
 * while Redis was away are lost: pub/sub is at most once, see ports/pubsub.ts).
 */
export function createRedisPubSub(options: { redis: Redis; onError?: (err: unknown) => void }): PubSub {
  const { redis } = options;
  const subscriber = redis.duplicate();
  subscriber.on('error', () => {
    // The shared client logs outages; this one reconnects on its own.
  });
  let connecting: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    if (subscriber.status === 'ready') return Promise.resolve();
    if (!connecting) {
      connecting = (
        subscriber.status === 'wait' || subscriber.status === 'end' ? subscriber.connect() : Promise.resolve()
      ).finally(() => {
        connecting = null;
      });
    }
    return connecting;
  };
  const channels = new Map<string, { handlers: Set<(message: string) => void>; live: Promise<void> }>();
  subscriber.on('message', (channel: string, message: string) => {
    for (const handler of [...(channels.get(channel)?.handlers ?? [])]) {
      try {
        handler(message);
      } catch (err) {
        options.onError?.(err);
      }
    }
  });
  const down = (cause: unknown) =>
    new HearthError('unavailable', 'The pub/sub engine is unavailable.', undefined, { cause });
  return {
    engine: 'redis',
    publish: async ({ channel, message }) => {
      try {
        await redis.publish(channel, message);
      } catch (err) {
        throw down(err);
      }
    },
    subscribe: async ({ channel, onMessage }): Promise<PubSubSubscription> => {
      const handler = (message: string) => onMessage(message);
      let entry = channels.get(channel);
      if (!entry) {
        const created = {
          handlers: new Set<(message: string) => void>(),
          live: ready().then(() => subscriber.subscribe(channel).then(() => undefined)),
        };
        entry = created;
        channels.set(channel, created);
        created.live.catch(() => {
          if (channels.get(channel) === created) channels.delete(channel);
        });
      }
      const own = entry;
      try {
        await own.live;
      } catch (err) {
        throw down(err);
      }
      own.handlers.add(handler);
      return {
        unsubscribe: async () => {
          own.handlers.delete(handler);
          if (own.handlers.size === 0 && channels.get(channel) === own) {
            channels.delete(channel);
            await subscriber.unsubscribe(channel).catch(() => undefined);
          }
        },
      };
    },
    ping: async () => {
      await redis.ping();
    },
    close: async () => {
      channels.clear();
      if (subscriber.status === 'ready') await subscriber.quit().catch(() => subscriber.disconnect());
      else subscriber.disconnect();
    },
  };
}
