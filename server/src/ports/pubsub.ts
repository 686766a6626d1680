import type { ServerOptions } from 'socket.io';

/**
 * The pub/sub port: fan-out of small messages to every replica (document events for realtime,
 * cache invalidation). In-process (`engines/memory/pubsub.ts`) without REDIS_URL, Redis pub/sub
 * (`engines/redis/pubsub.ts`) with it.
 *
 * Semantics (the conformance suite in test/conformance/pubsub checks each on every engine):
 * - at most once, no persistence: a message published while nobody listens is gone;
 * - a subscription is live when `subscribe` resolves: a message published after that (from any
 *   replica) reaches it; messages of one publisher on one channel arrive in publish order;
 * - handlers are called asynchronously (never inside `publish`); a throwing handler is reported
 *   to `onError` (when given) and does not affect other handlers;
 * - `publish` throws `unavailable` when the engine cannot take the message (Redis down).
 */
export interface PubSub {
  readonly engine: string;
  /** Sends `message` to every live subscription of `channel`, on every replica. */
  publish(options: { channel: string; message: string }): Promise<void>;
  /** Resolves once the subscription is live. */
  subscribe(options: { channel: string; onMessage: (message: string) => void }): Promise<PubSubSubscription>;
  /** For /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface PubSubSubscription {
  unsubscribe(): Promise<void>;
}

/**
 * The socket.io adapter that carries room broadcasts between replicas (realtime channels): built
 * by composeEngines from REDIS_URL (`@socket.io/redis-adapter`), so modules never see Redis.
 */
export type SocketAdapter = NonNullable<ServerOptions['adapter']>;
