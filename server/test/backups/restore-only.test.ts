import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The store's raw import keeps ids, times and versions: only restores may call it, so no route can. */
describe('importDocuments is for restores only', () => {
  it('is called from modules/backups and nowhere else outside the engines and the port', () => {
    const callers = files(SRC)
      .filter((f) => readFileSync(f, 'utf8').includes('.importDocuments('))
      .map((f) => relative(SRC, f))
      .filter((f) => !f.startsWith('engines/') && !f.startsWith('ports/'));
    expect(callers).toEqual(['modules/backups/restore.ts']);
  });
});
