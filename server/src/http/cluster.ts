import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

/**
 * More than one core: with WORKERS > 1, main.ts's process becomes a node:cluster primary that
 * forks WORKERS copies of itself; each worker builds the engines and the app and listens on the
 * same PORT (the primary hands connections out round-robin). The primary serves nothing itself.
 *
 * - A worker that exits before it ever listened (bad configuration, busy port) stops the whole
 *   start with its exit code, as a single process would have; one that dies later is replaced.
 * - SIGTERM / SIGINT to the primary: each worker drains and stops (its own graceful shutdown),
 *   then the primary exits 0 (after SHUTDOWN_TIMEOUT_MS plus a second, the rest are killed).
 * - State: the document stores are shared (MongoDB; SQLite's file in WAL mode, see
 *   engines/sqlite/catalog.ts), caches are per worker with the short lifetimes replicas already
 *   have; rate limits without REDIS_URL count per worker (set REDIS_URL to share them).
 * docs/performance.md has the measurements.
 */
export const isClusterWorker = (): boolean => cluster.isWorker;

export function runPrimary(options: { workers: number; logger: Logger; shutdownTimeoutMs: number }): void {
  const { logger } = options;
  const listened = new WeakSet<Worker>();
  let stopping = false;
  /** The exit code of a worker that could not start: the primary's own. */
  let failed = 0;

  // A worker can still be listed in cluster.workers when its 'exit' arrives (its disconnect not
  // yet handled), so count the live ones; and the exit code is also set for the primary's natural
  // exit, in case the last 'exit' comes while a dead worker is still listed.
  const alive = () => Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead()).length;
  const fork = () => {
    const worker = cluster.fork();
    worker.once('listening', () => listened.add(worker));
  };
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (alive() === 0) process.exit(failed);
      return;
    }
    if (!listened.has(worker)) {
      // It could not start: neither will the next one. Stop the others and exit as it did.
      stopping = true;
      failed = code || 1;
      process.exitCode = failed;
      for (const w of Object.values(cluster.workers ?? {})) if (w && !w.isDead()) w.process.kill('SIGTERM');
      if (alive() === 0) process.exit(failed);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died: starting another');
    fork();
  });
  for (let i = 0; i < options.workers; i++) fork();
  logger.info({ workers: options.workers, pid: process.pid }, 'cluster primary started');

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: stopping the workers');
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const w of workers) w?.process.kill('SIGTERM');
    setTimeout(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(failed);
    }, options.shutdownTimeoutMs + 1000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
