import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { inject } from 'vitest';
import type { Redis } from 'ioredis';
import { answerClientErrors, buildApp, type AppOptions, type BuiltApp } from '../../src/app.js';
import { createDiskFileStore } from '../../src/engines/disk/index.js';
import { createSqliteQueue } from '../../src/engines/sqlite-queue/index.js';
import { createOutboxMailer } from '../../src/engines/mail/outbox.js';
import { memoryLimiters } from '../../src/engines/memory/limiters.js';
import { createMemoryPubSub } from '../../src/engines/memory/pubsub.js';
import { createRedisPubSub } from '../../src/engines/redis/pubsub.js';
import { createMemoryLeasedCounters } from '../../src/engines/memory/leased-counters.js';
import { createRedisLeasedCounters } from '../../src/engines/redis/leased-counters.js';
import { redisReadiness } from '../../src/engines/redis/index.js';
import { createLimiterFactory } from '../../src/engines/redis/limiters.js';
import { newId } from '../../src/lib/ids.js';
import type { Ports } from '../../src/ports/index.js';
import type { PushProviders } from '../../src/ports/push-provider.js';
import { createPushProviders } from '../../src/engines/push/index.js';
import type { DocumentStore } from '../../src/ports/document-store.js';
import type { FileStore } from '../../src/ports/file-store.js';
import type { JobQueue } from '../../src/ports/job-queue.js';
import type { Mailer } from '../../src/ports/mail.js';

/**
 * A real Hearth app (no listening socket) on a real engine: SQLite in a temp dir, or MongoDB on
 * the test server with a fresh database. Tests drive it with supertest.
 */
export type EngineName = 'sqlite' | 'mongodb';
export const ENGINES: EngineName[] = ['sqlite', 'mongodb'];

export const TEST_SECRET = 'test-secret-0123456789-0123456789-abcdef';

export interface Harness {
  http: ReturnType<typeof request>;
  app: BuiltApp['app'];
  modules: BuiltApp['modules'];
  store: DocumentStore;
  close(): Promise<void>;
}

/** buildApp's options for tests, plus engines a test may swap in (a Redis for shared limits, a mailer). */
export type HarnessOptions = Partial<AppOptions> & {
  redis?: Redis | null;
  mailer?: Mailer;
  files?: FileStore;
  jobs?: JobQueue;
  /** Push providers pointed at the local protocol servers (default: the real hosts, never called). */
  push?: PushProviders;
};

/** Temp folders of this test process, removed when it exits (one exit listener for all of them). */
const tempDirs = new Set<string>();
function tempDir(prefix: string): string {
  if (tempDirs.size === 0)
    process.once('exit', () => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** A disk file store in a temp folder, removed when the test process exits. */
export function tempFileStore(): FileStore {
  const dir = tempDir('hearth-test-files-');
  return createDiskFileStore({ root: dir });
}

/** An embedded job queue on a temp file, removed when the test process exits. */
export function tempJobQueue(options: { leaseMs?: number; idlePollMs?: number } = {}): JobQueue {
  const dir = tempDir('hearth-test-jobs-');
  return createSqliteQueue({ file: join(dir, 'jobs.db'), ...options });
}

/**
 * The ports of a test app over an existing store (several test "replicas" share one store):
 * outbox mail, limits in memory or on the given Redis. Closing them leaves the store open.
 */
export function testPorts(
  store: DocumentStore,
  options: Pick<HarnessOptions, 'redis' | 'mailer' | 'logger' | 'files' | 'jobs' | 'push'> = {},
): Ports {
  const logger = options.logger ?? pino({ level: 'silent' });
  const redis = options.redis ?? null;
  const files = options.files ?? tempFileStore();
  const pubsub = redis ? createRedisPubSub({ redis }) : createMemoryPubSub();
  const jobs = options.jobs ?? tempJobQueue();
  return {
    store,
    mail: options.mailer ?? createOutboxMailer({ store, from: 'Hearth <no-reply@localhost>' }),
    files,
    limits: redis ? createLimiterFactory({ redis, logger }) : memoryLimiters,
    pubsub,
    leases: redis ? createRedisLeasedCounters({ redis }) : createMemoryLeasedCounters(),
    jobs,
    push: options.push ?? createPushProviders(),
    readiness: [
      { name: 'documentStore', engine: store.engine, check: () => store.ping() },
      { name: 'fileStore', engine: files.engine, check: () => files.ping() },
      { name: 'jobQueue', engine: jobs.engine, check: () => jobs.ping() },
      ...(redis ? [redisReadiness(redis)] : []),
    ],
    engines: {
      documentStore: store.engine,
      mail: 'outbox',
      files: files.engine,
      limits: redis ? 'redis' : 'memory',
      jobs: jobs.engine,
    },
    close: async () => {},
  };
}

/** buildApp with test defaults (silent logs, a fixed secret, no dashboard). */
export function buildTestApp(store: DocumentStore, options: HarnessOptions = {}): Promise<BuiltApp> {
  const { redis, mailer, files, jobs, push, ...appOptions } = options;
  return buildApp(testPorts(store, { redis, mailer, files, jobs, push, logger: appOptions.logger }), {
    logger: pino({ level: 'silent' }),
    secret: TEST_SECRET,
    version: '0.0.0-test',
    publicUrl: 'http://localhost:0',
    dashboardDir: null,
    ...appOptions,
  });
}

export async function openStore(engine: EngineName): Promise<{ store: DocumentStore; cleanup: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const { openSqliteStore } = await import('../../src/engines/sqlite/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'hearth-test-'));
    const store = openSqliteStore({ file: join(dir, 'hearth.db') });
    return {
      store,
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const { connectMongoStore } = await import('../../src/engines/mongodb/index.js');
  const store = await connectMongoStore({
    url: inject('mongoUrl'),
    dbName: `t_${newId().replace(/[^A-Za-z0-9]/g, '')}`,
  });
  return { store, cleanup: () => store.close() };
}

export async function startHarness(engine: EngineName, options: HarnessOptions = {}): Promise<Harness> {
  const { store, cleanup } = await openStore(engine);
  const built = await buildTestApp(store, options);
  // A listening server of our own (not supertest's per-request one), so requests Node's parser
  // refuses are answered the way main.ts answers them.
  const server = createServer(built.app);
  answerClientErrors(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // running jobs finish before the store closes (a queue passed in is the caller's to close)
    if (!options.jobs) await built.modules.jobs.services.queue.close();
    await cleanup();
  };
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { http: request(url), app: built.app, modules: built.modules, store, close };
}

export const ADMIN = { email: 'owner@example.com', password: 'correct horse battery' };

/** Setup + one app: the state most scenarios start from. */
export async function withAdminAndApp(h: Harness): Promise<{
  adminToken: string;
  refreshToken: string;
  appId: string;
  publicKey: string;
  secretKey: string;
}> {
  const setup = await h.http.post('/v1/admin/setup').send(ADMIN).expect(201);
  const adminToken = setup.body.accessToken as string;
  const created = await h.http
    .post('/v1/admin/apps')
    .set('Authorization', `Bearer ${adminToken}`)
    .send({ name: 'Todos' })
    .expect(201);
  return {
    adminToken,
    refreshToken: setup.body.refreshToken as string,
    appId: created.body.id as string,
    publicKey: created.body.keys.public as string,
    secretKey: created.body.keys.secret as string,
  };
}
