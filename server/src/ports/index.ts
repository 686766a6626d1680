import type { DocumentStore } from './document-store.js';
import type { FileStore } from './file-store.js';
import type { JobQueue } from './job-queue.js';
import type { Mailer } from './mail.js';
import type { PubSub, SocketAdapter } from './pubsub.js';
import type { LimiterFactory } from './rate-limits.js';
import type { LeasedCounters } from './leased-counters.js';
import type { ReadinessCheck } from './readiness.js';
import type { PushProviders } from './push-provider.js';

/**
 * Every engine the app runs on, as ports: built once from the configuration by
 * `composeEngines` (engines/compose.ts) and handed to `buildApp`. Modules receive the ports they
 * use and never know which engine is behind one. New ports (file store, job queue, pub/sub, push
 * providers) are added here and in composeEngines.
 */
export interface Ports {
  store: DocumentStore;
  mail: Mailer;
  /** Uploaded files' bytes (S3 with S3_BUCKET, else DATA_DIR/files). */
  files: FileStore;
  /** Background jobs (bull on Redis with REDIS_URL, else the embedded queue in DATA_DIR/jobs.db). */
  jobs: JobQueue;
  /** Rate-limiter factory (Redis-shared with REDIS_URL, else per process). */
  limits: LimiterFactory;
  /** Fan-out to every replica: Redis pub/sub with REDIS_URL, else in process (realtime). */
  pubsub?: PubSub | undefined;
  /** socket.io's adapter across replicas (`@socket.io/redis-adapter` with REDIS_URL); absent: in process. */
  socketAdapter?: SocketAdapter | undefined;
  /** Counts shared by every replica under leases (realtime connections per app): Redis with REDIS_URL, else in process. */
  leases?: LeasedCounters | undefined;
  /** Push providers (FCM, APNs, Web Push), with endpoints from the configuration. */
  push: PushProviders;
  /** What /readyz checks: one entry per engine that can be down. */
  readiness: ReadinessCheck[];
  /** Which engine serves each port, for startup logs. */
  engines: Record<string, string>;
  /** Closes every engine (after the HTTP server has drained). */
  close(): Promise<void>;
}

export type { DocumentStore } from './document-store.js';
export type { FileStore } from './file-store.js';
export type { JobQueue } from './job-queue.js';
export type { Mailer } from './mail.js';
export type { PubSub, PubSubSubscription, SocketAdapter } from './pubsub.js';
export type { LimiterFactory } from './rate-limits.js';
export type { LeasedCounters } from './leased-counters.js';
export type { ReadinessCheck } from './readiness.js';
export type { PushProviders } from './push-provider.js';
