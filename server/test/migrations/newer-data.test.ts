import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/engines/sqlite/index.js';
import { SYSTEM_APP } from '../../src/ports/document-store.js';

/** The built server refuses to start on data a newer Hearth migrated, naming DATA_DIR (exit 78). */
const main = join(import.meta.dirname, '..', '..', 'dist', 'main.js');
const dataDir = mkdtempSync(join(tmpdir(), 'hearth-newer-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('an older binary stops on newer data instead of serving it', async () => {
  expect(existsSync(main), 'server/dist/main.js is missing: run pnpm build').toBe(true);
  const store = await openSqliteStore({ file: join(dataDir, 'hearth.db') });
  await store.forApp(SYSTEM_APP).create('_migrations', { id: 'state', data: { dataVersion: 999 } });
  await store.close();
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(out).toMatch(/DATA_DIR: the data was written by a newer Hearth \(data version 999/);
  expect(code).toBe(78);
}, 30_000);
