/**
 * A worker process for the crash tests: processes queue `argv[4]` on the embedded queue (file
 * `argv[3]`) or bull (url `argv[3]`, key prefix `argv[5]`) with short leases. Its handler runs
 * forever on a job's first run (marking `<markers>/<id>`), so the test can SIGKILL it mid-job,
 * and completes on any later run. Prints `started <id> <attempt>` and `done <id>` lines.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createBullQueue } from '../../src/engines/bull/index.js';
import { createSqliteQueue } from '../../src/engines/sqlite-queue/index.js';

const [engine, target, queueName, prefix, markers] = process.argv.slice(2) as [string, string, string, string, string];
const queue =
  engine === 'sqlite'
    ? createSqliteQueue({ file: target, leaseMs: 1000, idlePollMs: 100 })
    : createBullQueue({
        url: target,
        logger: pino({ level: 'silent' }),
        prefix,
        lockDurationMs: 1000,
        stalledIntervalMs: 500,
      });

queue.process<{ n: number }>(queueName, { concurrency: 4 }, async (job, ctx) => {
  process.stdout.write(`started ${job.id} ${ctx.attempt}\n`);
  const marker = join(markers, job.id.replace(/[^A-Za-z0-9_-]/g, '_'));
  if (!existsSync(marker)) {
    writeFileSync(marker, String(process.pid));
    await new Promise(() => undefined); // hangs until the process is killed
  }
  await new Promise((r) => setTimeout(r, 20));
  process.stdout.write(`done ${job.id}\n`);
  return { by: process.pid, n: job.data.n };
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void queue.close().then(() => process.exit(0));
});
