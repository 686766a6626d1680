import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MMAP_BYTES, SqliteConnection } from './connection.js';
import { openSqliteStore } from './index.js';

/**
 * The connection's settings: reads through a memory map of the file (mmap_size), and what a
 * memory-mapped reader sees while the checkpoint thread copies the WAL into the file under it.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-conn-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('sqlite connection', () => {
  it('reads the file through a memory map of up to MMAP_BYTES', () => {
    const conn = new SqliteConnection({ file: join(dir, 'a.db'), checkpoints: 'inline' });
    try {
      expect(conn.db.pragma('mmap_size', { simple: true })).toBe(MMAP_BYTES);
      expect(conn.db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      conn.db.close();
    }
  });

  it('a mapped reader sees every committed write while the checkpoint thread rewrites the file', async () => {
    const file = join(dir, 'b.db');
    const store = openSqliteStore({ file });
    const app = store.forApp('app1');
    try {
      const ids: string[] = [];
      for (let round = 0; round < 10; round++) {
        const created = await app.batch(
          Array.from({ length: 50 }, (_, j) => ({
            op: 'create' as const,
            collection: 'notes',
            data: { n: round * 50 + j, text: 'y'.repeat(2000) },
          })),
        );
        for (const doc of created) ids.push(doc.id);
        // Give the checkpoint thread (every 100 ms) time to copy pages under the mapped reader.
        await new Promise((r) => setTimeout(r, 120));
        const sample = ids[Math.floor(ids.length / 2)]!;
        expect((await app.get('notes', sample))?.id).toBe(sample);
        expect(await app.count('notes')).toBe(ids.length);
      }
      const last = await app.get('notes', ids[ids.length - 1]!);
      expect(last?.n).toBe(499);
    } finally {
      await store.close();
    }
  });
});
