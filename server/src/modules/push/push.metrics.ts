import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Push metrics on the app's registry (absent when metrics are off):
 * `hearth_push_messages_total{state}` messages entering each state,
 * `hearth_push_deliveries_total{provider,outcome}` one per device attempt,
 * `hearth_push_provider_seconds{provider}` each provider call's latency.
 */
export interface PushMetrics {
  /** A message entered `state` (also emitted as a `push.message.<state>` event). */
  message(state: string, appId: string, messageId: string): void;
  delivery(provider: string, outcome: string, seconds: number): void;
}

export function pushMetrics(registry: Registry | null): PushMetrics {
  if (!registry) return { message: () => {}, delivery: () => {} };
  const messages = new Counter({
    name: 'hearth_push_messages_total',
    help: 'Push messages entering each state (scheduled, sending, done, cancelled, failed).',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'hearth_push_deliveries_total',
    help: 'Push deliveries by provider (fcm, apns, webpush) and outcome (sent, invalid-token, retry-after, failed).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'hearth_push_provider_seconds',
    help: 'Latency of one push provider call.',
    labelNames: ['provider'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers: [registry],
  });
  return {
    message: (state) => messages.inc({ state }),
    delivery: (provider, outcome, seconds) => {
      deliveries.inc({ provider, outcome });
      latency.observe({ provider }, seconds);
    },
  };
}
