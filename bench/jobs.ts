/**
 * Jobs end to end with a no-op handler: N jobs added (`--adders` adds in flight at a time) while
 * one worker (`--concurrency`) runs them, on the embedded queue (a temp SQLite file) or bull
 * (REDIS_URL). jobs/s = N / (time from the first add to the last job done); p50/p99 are each
 * job's wait from add to its handler starting.
 *
 *   tsx bench/jobs.ts --engine sqlite|bull [--jobs 20000] [--concurrency 64] [--adders 64] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createBullQueue } from '../server/src/engines/bull/index.js';
import { createSqliteQueue } from '../server/src/engines/sqlite-queue/index.js';
import type { JobQueue } from '../server/src/ports/job-queue.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const engine = arg('engine', 'sqlite');
const N = Number(arg('jobs', '20000'));
const CONCURRENCY = Number(arg('concurrency', '64'));
const ADDERS = Number(arg('adders', '64'));
const json = process.argv.includes('--json');

/** A silent logger (pino is the server package's dependency, not the bench's). */
const silent = { warn() {}, error() {}, info() {}, debug() {} } as unknown as Logger;

const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-jobs-'));
let queue: JobQueue;
if (engine === 'bull') {
  if (!process.env.REDIS_URL) throw new Error('bench/jobs.ts --engine bull needs REDIS_URL');
  queue = createBullQueue({
    url: process.env.REDIS_URL,
    logger: silent,
    prefix: `bench${Date.now()}`,
    keepCompletedMs: 60_000,
  });
} else {
  queue = createSqliteQueue({ file: join(dir, 'jobs.db') });
}

const waits: number[] = [];
let done = 0;
let finish!: () => void;
const allDone = new Promise<void>((r) => (finish = r));
queue.process<{ t: number }>('bench', { concurrency: CONCURRENCY }, async (job) => {
  waits.push(Date.now() - job.data.t);
  if (++done === N) finish();
});

const start = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: ADDERS }, async () => {
    while (next < N) {
      next += 1;
      await queue.add('bench', { t: Date.now() });
    }
  }),
);
await allDone;
const seconds = (performance.now() - start) / 1000;
waits.sort((a, b) => a - b);
const pct = (p: number) => waits[Math.min(waits.length - 1, Math.floor((p / 100) * waits.length))] ?? NaN;
const row = {
  layer: 'jobs',
  engine: engine === 'bull' ? 'bull (redis)' : 'sqlite (embedded)',
  docs: '—',
  op: `add + run, no-op (worker concurrency ${CONCURRENCY})`,
  n: N,
  perSecond: N / seconds,
  p50: pct(50),
  p99: pct(99),
};
await queue.close();
rmSync(dir, { recursive: true, force: true });
if (json) console.log(JSON.stringify(row));
else
  console.log(
    `${row.engine}: ${N} jobs in ${seconds.toFixed(2)} s = ${row.perSecond.toFixed(0)} jobs/s; add→start p50 ${row.p50} ms, p99 ${row.p99} ms`,
  );
