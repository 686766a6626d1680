import type Database from 'better-sqlite3';

/**
 * `PRAGMA journal_mode = WAL`, retried while another process holds the lock it needs: when two
 * workers open a new file together, SQLite can answer SQLITE_BUSY here without calling the busy
 * handler (a lock it will not wait for, to avoid a deadlock), so busy_timeout alone is not
 * enough (the document store and the embedded job queue both open their files with it). Start-up only; gives up after 5 s with SQLite's error.
 */
export function switchToWal(db: Database.Database): void {
  const deadline = Date.now() + 5000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 10 + Math.floor(Math.random() * 20));
    }
  }
}
