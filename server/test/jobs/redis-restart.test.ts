import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createBullQueue } from '../../src/engines/bull/index.js';
import { freePort } from '../servers/free-port.js';
import { startRedis } from '../servers/redis.js';
import { waitFor } from '../conformance/job-queue/targets.js';

/**
 * redis-server killed and restarted (same port, AOF with fsync on every write, as a production
 * Redis for queues is configured) while bull workers are processing: no job is lost, every job
 * completes (some may run twice: at-least-once).
 */
describe('bull: redis-server restarted during processing', () => {
  it('loses no job', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-redis-aof-'));
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    let redis = await startRedis({ args });
    const queue = createBullQueue({
      url: redis.url,
      logger: pino({ level: 'silent' }),
      lockDurationMs: 2000,
      stalledIntervalMs: 1000,
    });
    const handled = new Set<number>();
    try {
      queue.process<{ n: number }>('restart', { concurrency: 4 }, async (job) => {
        await new Promise((r) => setTimeout(r, 30));
        handled.add(job.data.n);
        return job.data.n;
      });
      const N = 60;
      const ids: string[] = [];
      for (let n = 0; n < N; n++) ids.push((await queue.add('restart', { n }, { attempts: 5 })).id);
      await waitFor(() => handled.size >= 10, 15_000);
      // kill -9 mid-processing, then bring it back on the same port and data dir
      await new Promise<void>((resolve) => {
        process.kill(redis.pid, 'SIGKILL');
        const t = setInterval(() => {
          try {
            process.kill(redis.pid, 0);
          } catch {
            clearInterval(t);
            resolve();
          }
        }, 20);
      });
      expect(handled.size).toBeLessThan(N);
      await new Promise((r) => setTimeout(r, 500));
      redis = await startRedis({ port: redis.port, args });
      await waitFor(async () => {
        const counts = await queue.counts('restart').catch(() => null);
        return counts !== null && counts.completed === N;
      }, 40_000);
      expect(handled.size).toBe(N);
      const counts = await queue.counts('restart');
      expect(counts).toMatchObject({ completed: N, failed: 0, waiting: 0, active: 0 });
    } finally {
      await queue.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('with Redis away, add, repeatable adds and removes, and ping fail with unavailable instead of hanging', async () => {
    const queue = createBullQueue({
      url: `redis://127.0.0.1:${await freePort()}`,
      logger: pino({ level: 'silent' }),
      addTimeoutMs: 300,
    });
    try {
      const started = Date.now();
      await expect(queue.add('away', { n: 1 })).rejects.toMatchObject({ code: 'unavailable' });
      expect(Date.now() - started).toBeLessThan(5000);
      const repeatStarted = Date.now();
      await expect(queue.addRepeatable('away', { n: 2 }, { cron: '0 * * * *', key: 'hourly' })).rejects.toMatchObject({
        code: 'unavailable',
      });
      await expect(queue.removeRepeatable('away', 'hourly')).rejects.toMatchObject({ code: 'unavailable' });
      expect(Date.now() - repeatStarted).toBeLessThan(5000);
      await expect(queue.ping()).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      await queue.close();
    }
  });
});
