import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createBullQueue } from '../../src/engines/bull/index.js';
import { createSqliteQueue } from '../../src/engines/sqlite-queue/index.js';
import { newId } from '../../src/lib/ids.js';
import type { JobQueue } from '../../src/ports/job-queue.js';
import { waitForState } from '../conformance/job-queue/targets.js';

/**
 * A worker process SIGKILLed in the middle of jobs: after a new worker starts, every job
 * completes (embedded: the lease runs out; bull: its stalled-job check finds the lost lock).
 */
const here = dirname(fileURLToPath(import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function startWorker(args: string[]): { child: ChildProcess; output: () => string; ready: Promise<void> } {
  // node with tsx's loader (not the tsx CLI, which would run the script in a grandchild)
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'worker.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('ready')) {
        clearInterval(timer);
        resolve();
      }
      if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`worker exited: ${out}`));
      }
    }, 20);
  });
  return { child, output: () => out, ready };
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode ? resolve() : child.once('exit', () => resolve()),
  );

describe.each(['sqlite', 'bull'] as const)('a worker SIGKILLed mid-job [%s]', (engine) => {
  it('every job it held completes after a new worker starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-jobs-crash-'));
    dirs.push(dir);
    const prefix = `crash${newId().replace(/[^A-Za-z0-9]/g, '')}`;
    const target = engine === 'sqlite' ? join(dir, 'jobs.db') : inject('redisUrl');
    const queue: JobQueue =
      engine === 'sqlite'
        ? createSqliteQueue({ file: target, leaseMs: 1000 })
        : createBullQueue({ url: target, logger: pino({ level: 'silent' }), prefix });
    const args = [engine, target, 'crashq', prefix, dir];
    const first = startWorker(args);
    const second = { current: undefined as ReturnType<typeof startWorker> | undefined };
    try {
      await first.ready;
      const jobs = await Promise.all([1, 2, 3].map((n) => queue.add('crashq', { n })));
      const deadline = Date.now() + 15_000;
      while (jobs.some((j) => !first.output().includes(`started ${j.id} `)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(
        jobs.every((j) => first.output().includes(`started ${j.id} `)),
        first.output(),
      ).toBe(true);
      first.child.kill('SIGKILL');
      await exited(first.child);
      for (const j of jobs) expect((await queue.get('crashq', j.id))!.state).toBe('active'); // held by the dead worker
      second.current = startWorker(args);
      await second.current.ready;
      for (const j of jobs) {
        const done = await waitForState(queue, 'crashq', j.id, 'completed', 20_000);
        expect(done, second.current.output()).toMatchObject({ state: 'completed', result: { n: j.data.n } });
        expect((done!.result as { by: number }).by).toBe(second.current.child.pid);
      }
      second.current.child.kill('SIGTERM');
      await exited(second.current.child);
    } finally {
      for (const w of [first, second.current])
        if (w && w.child.exitCode === null && !w.child.signalCode) w.child.kill('SIGKILL');
      await queue.close();
    }
  }, 60_000);
});
