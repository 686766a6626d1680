import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Checkpointer } from './checkpointer.js';
import { openSqliteStore } from './index.js';

/**
 * WAL checkpoints off the event loop (checkpointer.ts): the database file receives committed
 * pages without the main connection checkpointing (its automatic checkpoint is far away), the
 * data stays readable, and closing stops the thread. `inline` keeps SQLite's own behaviour.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-ckpt-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sizeOf = (file: string) => statSync(file, { throwIfNoEntry: false })?.size ?? 0;

async function writeSomePages(checkpoints: 'background' | 'inline') {
  const file = join(dir, `${checkpoints}.db`);
  const store = openSqliteStore({ file, checkpoints });
  const app = store.forApp('app1');
  const before = sizeOf(file);
  // ~400 pages of WAL: under SQLite's own 1,000-page checkpoint and the thread's 20,000 backstop.
  for (let i = 0; i < 20; i++) {
    await app.batch(
      Array.from({ length: 20 }, (_, j) => ({
        op: 'create' as const,
        collection: 'notes',
        data: { n: i * 20 + j, text: 'x'.repeat(3000) },
      })),
    );
  }
  const deadline = Date.now() + 3000;
  while (checkpoints === 'background' && sizeOf(file) <= before + 400 * 3000 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const after = sizeOf(file);
  const count = await app.count('notes');
  await store.close();
  return { before, after, count };
}

describe('background WAL checkpoints', () => {
  it('copy committed pages into the database file without a checkpoint on the event loop', async () => {
    const { before, after, count } = await writeSomePages('background');
    expect(count).toBe(400);
    expect(after).toBeGreaterThan(before + 400 * 3000);
  });

  it('inline: the database file only grows at SQLite’s own checkpoint (not reached here)', async () => {
    const { before, after, count } = await writeSomePages('inline');
    expect(count).toBe(400);
    expect(after).toBe(before);
  });

  it('reports a thread that cannot work (here: no such file), and stops cleanly anyway', async () => {
    const failed = await new Promise<unknown>((resolve) => {
      const c = new Checkpointer({ file: join(dir, 'missing.db'), onFailure: resolve });
      setTimeout(() => resolve(null), 5000).unref();
      void c;
    });
    expect(failed).toBeTruthy(); // the thread's error (a SqliteError crosses the thread boundary as an object)
    const c = new Checkpointer({ file: join(dir, 'missing2.db'), onFailure: () => {} });
    await c.stop();
  });

  it('the data survives closing and reopening, and a second close is harmless', async () => {
    const file = join(dir, 'reopen.db');
    const store = openSqliteStore({ file });
    await store.forApp('app1').create('notes', { id: 'a', data: { v: 1 } });
    await store.close();
    await store.close();
    const again = openSqliteStore({ file });
    expect((await again.forApp('app1').get('notes', 'a'))?.v).toBe(1);
    await again.close();
  });
});
