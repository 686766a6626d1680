import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a worker thread. With SQLite's automatic checkpoint, the COMMIT that takes
 * the WAL past 1,000 pages copies them into the database file and fsyncs it, on the event loop:
 * under a create load that is one ~3–6 ms stall every ~40 group commits (measured: 1,000 pages
 * checkpoint in 5.4–5.7 ms on the 2-core reference machine), which every request in flight
 * waits for — the tail of the create latency. Here a thread with its own connection to the file
 * runs `PRAGMA wal_checkpoint(PASSIVE)` every `everyMs`: PASSIVE never blocks writers or readers
 * (it copies what no reader still needs and stops), and the main connection keeps a large
 * automatic checkpoint as a backstop in case the thread falls behind; if the thread fails, the
 * connection goes back to SQLite's own 1,000-page checkpoint (`onFailure`).
 *
 * Durability does not change: a commit is in the WAL file before it is acknowledged, whoever
 * checkpoints it later (the SIGKILL test). The thread is unref'd: it never keeps a process alive.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
let stopping = false;
const tick = () => {
  if (stopping) return;
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or gone: the next tick, or the backstop */ }
  timer = setTimeout(tick, workerData.everyMs);
};
let timer = setTimeout(tick, workerData.everyMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  stopping = true;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

/** The main connection's automatic checkpoint while the thread runs (pages; SQLite's default is 1,000). */
export const BACKSTOP_PAGES = 20_000;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  /** `onFailure`: the thread could not start or died (the caller restores SQLite's own checkpoints). */
  constructor(options: { file: string; everyMs?: number; onFailure?: (err: unknown) => void }) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: options.file, driver, everyMs: options.everyMs ?? 100 },
    });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    // A thread that fails only loses the background checkpoints: SQLite's own take over again.
    this.worker.on('error', (err) => options.onFailure?.(err));
  }

  /** Stops the thread after its current checkpoint; its connection is closed before it exits. */
  async stop(): Promise<void> {
    // Held while stopping: awaiting an unref'd thread alone would let the process exit right
    // here, in the middle of the caller's shutdown (main.ts never got to log "stopped").
    this.worker.ref();
    this.worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, 2000, 'late')));
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'late') await this.worker.terminate();
  }
}
