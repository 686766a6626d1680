import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { createBullQueue } from '../../../src/engines/bull/index.js';
import { createSqliteQueue } from '../../../src/engines/sqlite-queue/index.js';
import { newId } from '../../../src/lib/ids.js';
import type { Job, JobQueue, JobState } from '../../../src/ports/job-queue.js';

/**
 * The job-queue conformance targets: the embedded queue on a temp SQLite file and bull on the
 * test redis-server (a fresh key prefix per suite). `instance()` opens one more queue on the
 * same file or Redis: a second replica, for cron-once-per-tick and close-while-running cases.
 */
export interface QueueTarget {
  name: 'sqlite' | 'bull';
  /** Short leases, so a dead worker's job comes back within a test. */
  instance(): JobQueue;
  cleanup(): Promise<void>;
}

export function queueTargets(): Array<{ name: QueueTarget['name']; open: () => QueueTarget }> {
  return [
    {
      name: 'sqlite',
      open: () => {
        const dir = mkdtempSync(join(tmpdir(), 'hearth-jobs-conf-'));
        const opened: JobQueue[] = [];
        return {
          name: 'sqlite',
          instance: () => {
            const q = createSqliteQueue({ file: join(dir, 'jobs.db'), leaseMs: 1500, idlePollMs: 200 });
            opened.push(q);
            return q;
          },
          cleanup: async () => {
            await Promise.all(opened.map((q) => q.close()));
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
    {
      name: 'bull',
      open: () => {
        const prefix = `conf${newId().replace(/[^A-Za-z0-9]/g, '')}`;
        const opened: JobQueue[] = [];
        return {
          name: 'bull',
          instance: () => {
            const q = createBullQueue({
              url: inject('redisUrl'),
              logger: pino({ level: 'silent' }),
              prefix,
              lockDurationMs: 1500,
              stalledIntervalMs: 500,
            });
            opened.push(q);
            return q;
          },
          cleanup: async () => {
            await Promise.all(opened.map((q) => q.close()));
          },
        };
      },
    },
  ];
}

/** One describe block per engine, with one shared queue instance (cases use fresh queue names). */
export function forEachQueueTarget(
  suite: string,
  body: (ctx: { queue: () => JobQueue; target: () => QueueTarget; name: QueueTarget['name'] }) => void,
): void {
  for (const t of queueTargets()) {
    describe(`${suite} [${t.name}]`, () => {
      let target: QueueTarget | undefined;
      let queue: JobQueue | undefined;
      beforeAll(() => {
        target = t.open();
        queue = target.instance();
      });
      afterAll(async () => {
        await target?.cleanup();
      });
      body({
        queue: () => queue!,
        target: () => target!,
        name: t.name,
      });
    });
  }
}

export const freshQueue = (): string =>
  `q${newId()
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 10)}`;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `get` until the job is in `state` (or the time is up: the last job seen is returned). */
export async function waitForState(
  queue: JobQueue,
  name: string,
  id: string,
  state: JobState,
  timeoutMs = 8000,
): Promise<Job | null> {
  const deadline = Date.now() + timeoutMs;
  let job = await queue.get(name, id);
  while (job?.state !== state && Date.now() < deadline) {
    await sleep(25);
    job = await queue.get(name, id);
  }
  return job;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}
