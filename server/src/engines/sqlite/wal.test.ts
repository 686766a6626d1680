import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { switchToWal } from './wal.js';

/** Opening a file another process has locked: the switch to WAL waits for it instead of failing. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-wal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');

/** Another process takes an exclusive lock on `file`, holds it for `ms`, then lets go. */
async function holdLock(file: string, ms: number): Promise<() => Promise<void>> {
  const script = `const db = require(${JSON.stringify(sqlitePath)})(${JSON.stringify(file)});
    db.exec('CREATE TABLE IF NOT EXISTS t (x)'); db.exec('BEGIN EXCLUSIVE'); db.exec('INSERT INTO t VALUES (1)');
    console.log('locked'); setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited ${code}`)));
  });
  return () => new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
}

describe('switchToWal', () => {
  it('retries SQLITE_BUSY until the other process lets go, then the file is in WAL mode', async () => {
    const file = join(dir, 'a.db');
    const done = await holdLock(file, 400);
    const db = new Database(file);
    try {
      db.pragma('busy_timeout = 0'); // SQLite answers BUSY at once, as it does without calling the handler
      expect(() => db.pragma('journal_mode = WAL')).toThrow(/locked/);
      const t0 = Date.now();
      switchToWal(db);
      expect(Date.now() - t0).toBeGreaterThan(100);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    } finally {
      db.close();
      await done();
    }
  });

  it('does not retry other errors', () => {
    const db = new Database(join(dir, 'b.db'));
    db.close();
    expect(() => switchToWal(db)).toThrow(/not open/);
  });
});
