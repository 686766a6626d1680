import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Ports } from '../ports/index.js';
import type { DocumentStore } from '../ports/document-store.js';
import type { FileStore } from '../ports/file-store.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { Mailer } from '../ports/mail.js';
import type { ReadinessCheck } from '../ports/readiness.js';
import { createOutboxMailer } from './mail/outbox.js';
import { createSmtpMailer } from './mail/smtp.js';
import { memoryLimiters } from './memory/limiters.js';
import { createMemoryPubSub } from './memory/pubsub.js';
import { createMemoryLeasedCounters } from './memory/leased-counters.js';
import type { LeasedCounters } from '../ports/leased-counters.js';
import type { PubSub, SocketAdapter } from '../ports/pubsub.js';
import type { PushSettings } from './push/index.js';
import type { RedisClient } from './redis/index.js';

/**
 * The one place that picks engines: every port gets its embedded engine unless the configuration
 * names a production one (MONGODB_URL, REDIS_URL, SMTP_URL, S3_BUCKET). Driver modules are
 * imported lazily, so a deployment only loads what it configured. Nothing else imports an engine.
 */
export interface EngineSettings {
  dataDir: string;
  mongodbUrl?: string | undefined;
  mongodbDb: string;
  redisUrl?: string | undefined;
  smtpUrl?: string | undefined;
  /** Default sender of mails. */
  mailFrom: string;
  /** Files in this S3-compatible bucket; absent: on disk in DATA_DIR/files. */
  s3?: S3Settings | undefined;
  logger: Logger;
  /** Push provider endpoints and extra CA (defaults: Google's and Apple's). */
  push?: PushSettings | undefined;
}

export interface S3Settings {
  bucket: string;
  region: string;
  endpoint?: string | undefined;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  forcePathStyle: boolean;
}

export async function composeEngines(settings: EngineSettings): Promise<Ports> {
  if (settings.mongodbUrl && !settings.redisUrl) throw new Error(MONGODB_NEEDS_REDIS);
  const store = await openDocumentStore(settings);
  const readiness: ReadinessCheck[] = [{ name: 'documentStore', engine: store.engine, check: () => store.ping() }];
  const mail = createMailer({ store, smtpUrl: settings.smtpUrl, from: settings.mailFrom });
  const files = await openFileStore(settings);
  readiness.push({ name: 'fileStore', engine: files.engine, check: () => files.ping() });
  const closers: Array<() => Promise<void>> = [() => mail.close(), () => files.close()];
  let limits = memoryLimiters;
  let pubsub: PubSub = createMemoryPubSub();
  let socketAdapter: SocketAdapter | undefined;
  let leases: LeasedCounters = createMemoryLeasedCounters();
  let redisClient: RedisClient | undefined;
  if (settings.redisUrl) {
    const { connectRedis, closeRedis, redactUrl, redisReadiness } = await import('./redis/index.js');
    const { createLimiterFactory } = await import('./redis/limiters.js');
    const { client, connected } = await connectRedis({ url: settings.redisUrl, logger: settings.logger });
    const redis = { redis: redactUrl(settings.redisUrl) };
    if (connected) settings.logger.info(redis, 'connected to redis: rate limits are shared across replicas');
    else
      settings.logger.warn(
        redis,
        'redis not reachable yet: starting anyway (limits per process, /readyz 503) and retrying in the background',
      );
    limits = createLimiterFactory({ redis: client, logger: settings.logger });
    redisClient = client;
    readiness.push(redisReadiness(client));
    closers.push(() => closeRedis(client));
    // Realtime: document events through Redis pub/sub, channels through the socket.io adapter.
    const { createRedisPubSub } = await import('./redis/pubsub.js');
    const { createRedisSocketAdapter } = await import('./redis/socket-adapter.js');
    pubsub = createRedisPubSub({ redis: client });
    // Realtime's connection limit per app counts every replica's connections (leases expire with a dead replica).
    const { createRedisLeasedCounters } = await import('./redis/leased-counters.js');
    leases = createRedisLeasedCounters({ redis: client });
    const adapter = await createRedisSocketAdapter({ redis: client });
    socketAdapter = adapter.adapter;
    closers.unshift(
      () => adapter.close(),
      () => pubsub.close(),
    );
  }
  // The queue closes before the store: running jobs finish (and may still write) first.
  const jobs = await openJobQueue({ ...settings, redisClient });
  readiness.push({ name: 'jobQueue', engine: jobs.engine, check: () => jobs.ping() });
  closers.unshift(() => jobs.close());
  const { createPushProviders } = await import('./push/index.js');
  const push = createPushProviders(settings.push);
  closers.push(() => push.close());
  closers.push(() => store.close());
  return {
    store,
    mail,
    files,
    limits,
    pubsub,
    socketAdapter,
    leases,
    jobs,
    push,
    readiness,
    engines: {
      documentStore: store.engine,
      mail: mail.engine,
      files: files.engine,
      limits: settings.redisUrl ? 'redis' : 'memory',
      pubsub: pubsub.engine,
      leases: leases.engine,
      jobs: jobs.engine,
      push: 'fcm+apns+webpush',
    },
    // In order: mail and Redis first, the store last (others may still write to it while closing).
    close: async () => {
      for (const close of closers) {
        await close().catch((err: unknown) => settings.logger.error({ err }, 'error closing an engine'));
      }
    },
  };
}

/** The document store: MongoDB with a URL, else SQLite in DATA_DIR. */
export async function openDocumentStore(
  settings: Pick<EngineSettings, 'dataDir' | 'mongodbUrl' | 'mongodbDb'>,
): Promise<DocumentStore> {
  if (settings.mongodbUrl) {
    const { connectMongoStore } = await import('./mongodb/index.js');
    return connectMongoStore({ url: settings.mongodbUrl, dbName: settings.mongodbDb });
  }
  const { openSqliteStore } = await import('./sqlite/index.js');
  return openSqliteStore({ file: join(settings.dataDir, 'hearth.db') });
}

/** The file store: S3 with a bucket, else files on disk in DATA_DIR/files. */
export async function openFileStore(settings: Pick<EngineSettings, 'dataDir' | 's3'>): Promise<FileStore> {
  if (settings.s3) {
    const { createS3FileStore } = await import('./s3/index.js');
    return createS3FileStore(settings.s3);
  }
  const { createDiskFileStore } = await import('./disk/index.js');
  return createDiskFileStore({ root: join(settings.dataDir, 'files') });
}

/**
 * The job queue: bull with REDIS_URL; else the embedded queue in DATA_DIR/jobs.db, which needs the
 * SQLite store. MongoDB without Redis is refused at startup: MongoDB deployments run replicas, and
 * a queue file per replica would fire every cron once per replica and lose jobs with a replica's disk.
 */
const MONGODB_NEEDS_REDIS =
  'REDIS_URL is required with MONGODB_URL: background jobs run on Redis (bull) when the store is MongoDB (docs/jobs.md).';

export async function openJobQueue(
  settings: Pick<EngineSettings, 'dataDir' | 'mongodbUrl' | 'redisUrl' | 'logger'> & { redisClient?: RedisClient },
): Promise<JobQueue> {
  if (settings.redisUrl) {
    const { createBullQueue } = await import('./bull/index.js');
    return createBullQueue({ url: settings.redisUrl, logger: settings.logger, client: settings.redisClient });
  }
  if (settings.mongodbUrl) throw new Error(MONGODB_NEEDS_REDIS);
  const { createSqliteQueue } = await import('./sqlite-queue/index.js');
  return createSqliteQueue({ file: join(settings.dataDir, 'jobs.db') });
}

/** SMTP when a URL is configured, else the outbox kept in the store. */
export function createMailer(options: { store: DocumentStore; smtpUrl?: string | undefined; from: string }): Mailer {
  return options.smtpUrl
    ? createSmtpMailer({ url: options.smtpUrl, from: options.from })
    : createOutboxMailer({ store: options.store, from: options.from });
}
