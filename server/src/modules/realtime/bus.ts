import type { PubSub, PubSubSubscription } from '../../ports/pubsub.js';

/**
 * Subscribes to a bus topic without holding up the start: the first attempt is awaited (with
 * Redis up, the subscription is live before the server serves); when the bus is unavailable (Redis
 * down at start), it is retried every `retryMs` in the background, and this replica meanwhile
 * sees only its own events. Resolves with a handle whose `stop` ends it either way.
 */
export async function subscribeLasting(options: {
  pubsub: PubSub;
  channel: string;
  onMessage: (message: string) => void;
  onError: (err: unknown) => void;
  retryMs?: number;
}): Promise<{ stop(): Promise<void> }> {
  let sub: PubSubSubscription | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let warned = false;
  const attempt = async (): Promise<void> => {
    try {
      const s = await options.pubsub.subscribe({ channel: options.channel, onMessage: options.onMessage });
      if (stopped) await s.unsubscribe();
      else sub = s;
    } catch (err) {
      if (!warned) options.onError(err);
      warned = true;
      if (stopped) return;
      timer = setTimeout(() => void attempt(), options.retryMs ?? 1000);
      timer.unref();
    }
  };
  await attempt();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await sub?.unsubscribe().catch(() => undefined);
    },
  };
}
