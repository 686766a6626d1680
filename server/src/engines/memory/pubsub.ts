import { HearthError } from '../../errors.js';
import type { PubSub, PubSubSubscription } from '../../ports/pubsub.js';

/**
 * The in-process pub/sub engine (no REDIS_URL): one process is every replica there is. Handlers
 * run on a later tick (like a network round trip), in publish order.
 */
export function createMemoryPubSub(options: { onError?: (err: unknown) => void } = {}): PubSub {
  const channels = new Map<string, Set<(message: string) => void>>();
  let closed = false;
  return {
    engine: 'memory',
    publish: async ({ channel, message }) => {
      if (closed) throw new HearthError('unavailable', 'The pub/sub engine is closed.');
      const handlers = channels.get(channel);
      if (!handlers || handlers.size === 0) return;
      const snapshot = [...handlers];
      setImmediate(() => {
        for (const handler of snapshot) {
          try {
            handler(message);
          } catch (err) {
            options.onError?.(err);
          }
        }
      });
    },
    subscribe: async ({ channel, onMessage }): Promise<PubSubSubscription> => {
      if (closed) throw new HearthError('unavailable', 'The pub/sub engine is closed.');
      const handler = (message: string) => onMessage(message);
      let set = channels.get(channel);
      if (!set) channels.set(channel, (set = new Set()));
      set.add(handler);
      return {
        unsubscribe: async () => {
          set.delete(handler);
          if (set.size === 0 && channels.get(channel) === set) channels.delete(channel);
        },
      };
    },
    ping: async () => {
      if (closed) throw new Error('closed');
    },
    close: async () => {
      closed = true;
      channels.clear();
    },
  };
}
