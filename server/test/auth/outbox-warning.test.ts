import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Review L4: the outbox mail engine stores live reset / magic-link / verification tokens, so
 * main.ts warns at start when NODE_ENV=production runs without SMTP_URL (and only then).
 * Runs src/main.ts through tsx, so no build is needed.
 */
const serverDir = join(import.meta.dirname, '..', '..');
const tsx = join(serverDir, 'node_modules', '.bin', 'tsx');
const WARNING = 'SMTP_URL is not set: mail goes to the outbox engine';

const started: ChildProcess[] = [];
const dirs: string[] = [];

/** Starts main.ts, waits until it listens, stops it; returns what it printed. */
async function startupOutput(env: Record<string, string>): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-outbox-warning-'));
  dirs.push(dataDir);
  const child = spawn(tsx, [join(serverDir, 'src', 'main.ts')], {
    cwd: serverDir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!/API\s+http:\/\//.test(out)) {
    if (child.exitCode !== null) throw new Error(`main.ts exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`main.ts did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return out;
}

describe('main.ts and the outbox mail engine', () => {
  afterAll(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('warns in production without SMTP_URL', async () => {
    const out = await startupOutput({ NODE_ENV: 'production' });
    const line = out.split('\n').find((l) => l.includes(WARNING));
    expect(line, out).toBeDefined();
    expect(JSON.parse(line!).level).toBe(40); // pino's warn
  }, 60_000);

  it('stays quiet outside production', async () => {
    const out = await startupOutput({ NODE_ENV: 'development' });
    expect(out).not.toContain(WARNING);
  }, 60_000);
});
