import type { TestProject } from 'vitest/node';
import { startJongodb, type RunningServer } from '../servers/jongodb.js';

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
  }
}

let servers: RunningServer[] = [];

export async function setup(project: TestProject): Promise<void> {
  const jongodb = await startJongodb();
  servers.push(jongodb);
  project.provide('mongoUrl', jongodb.url);
  project.provide('realMongoUrl', process.env.HEARTH_TEST_MONGODB_URL || null);
}

export async function teardown(): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
}
