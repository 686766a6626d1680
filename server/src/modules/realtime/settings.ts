import { Counter, Gauge, type Registry } from 'prom-client';

/** Limits and timings of realtime (defaults below; main.ts passes the configured ones). */
export interface RealtimeSettings {
  /** Live subscriptions one connection may hold. */
  maxSubscriptionsPerSocket: number;
  /** Messages a connection may send per second (a bucket of twice this, refilled continuously). */
  messagesPerSecond: number;
  /** Largest `publish` message, as JSON bytes; a socket.io packet over 4× this closes the connection. */
  maxMessageBytes: number;
  /** Connections one app may hold on one server. */
  maxConnectionsPerApp: number;
  /** Packets waiting for a client that does not read; over this it is disconnected. */
  maxBufferedPackets: number;
  /** How far back `subscribe {since}` reaches, and how many events per app are kept for it. */
  replayWindowMs: number;
  replayMaxEvents: number;
  /** How often live sessions are re-checked (revoked sessions, disabled users). */
  sessionCheckMs: number;
  /** A replica's presence entries are dropped when not refreshed for this long (heartbeat: a third). */
  presenceTimeoutMs: number;
}

export const DEFAULT_REALTIME_SETTINGS: RealtimeSettings = {
  maxSubscriptionsPerSocket: 100,
  messagesPerSecond: 50,
  maxMessageBytes: 16 * 1024,
  maxConnectionsPerApp: 10_000,
  maxBufferedPackets: 1000,
  replayWindowMs: 30_000,
  replayMaxEvents: 1000,
  sessionCheckMs: 30_000,
  presenceTimeoutMs: 15_000,
};

export interface RealtimeMetrics {
  delivered(n?: number): void;
  dropped(): void;
}

/** hearth_realtime_*: connections and subscriptions (gauges, read at scrape), deliveries and drops. */
export function realtimeMetrics(
  registry: Registry | null,
  read: { connections: () => number; subscriptions: () => number },
): RealtimeMetrics {
  if (!registry) return { delivered: () => {}, dropped: () => {} };
  new Gauge({
    name: 'hearth_realtime_connections',
    help: 'Open realtime connections on this server.',
    registers: [registry],
    collect() {
      this.set(read.connections());
    },
  });
  new Gauge({
    name: 'hearth_realtime_subscriptions',
    help: 'Live query subscriptions on this server.',
    registers: [registry],
    collect() {
      this.set(read.subscriptions());
    },
  });
  const delivered = new Counter({
    name: 'hearth_realtime_events_delivered_total',
    help: 'change messages sent to subscribers (rate() for deliveries per second).',
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'hearth_realtime_slow_clients_dropped_total',
    help: 'Connections closed because the client did not read (backpressure).',
    registers: [registry],
  });
  return { delivered: (n = 1) => delivered.inc(n), dropped: () => dropped.inc() };
}
