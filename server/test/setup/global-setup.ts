import type { TestProject } from 'vitest/node';
import { startJongodb, type RunningServer } from '../servers/jongodb.js';
import { startRedis } from '../servers/redis.js';
import { startS3rver } from '../servers/s3rver.js';

/**
 * Starts every server the suites need, once per run, on free 127.0.0.1 ports, and stops them by
 * pid at the end. Suites read the addresses with `inject(...)`.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** The MongoDB-wire test server (jongodb). */
    mongoUrl: string;
    /** A real mongod, when HEARTH_TEST_MONGODB_URL is set (e.g. docker compose); else null. */
    realMongoUrl: string | null;
    /** A real redis-server (no persistence); a missing binary fails the run, never skips. */
    redisUrl: string;
    /** s3rver (S3 protocol on a temp folder) and its one bucket, for the S3 file-store engine. */
    s3: { endpoint: string; bucket: string };
  }
}

let servers: RunningServer[] = [];

export async function setup(project: TestProject): Promise<void> {
  const started = await Promise.allSettled([startJongodb(), startRedis(), startS3rver()]);
  for (const r of started) if (r.status === 'fulfilled') servers.push(r.value);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await teardown();
    throw failed.reason;
  }
  const [jongodb, redis, s3] = started.map((r) => (r as PromiseFulfilledResult<RunningServer>).value) as [
    RunningServer,
    RunningServer,
    Awaited<ReturnType<typeof startS3rver>>,
  ];
  project.provide('mongoUrl', jongodb.url);
  project.provide('realMongoUrl', process.env.HEARTH_TEST_MONGODB_URL || null);
  project.provide('redisUrl', redis.url);
  project.provide('s3', { endpoint: s3.endpoint, bucket: s3.bucket });
}

export async function teardown(): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
}
