import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../servers/free-port.js';
import { startRedis } from '../servers/redis.js';
import { tsxLoader } from '../support/main-process.js';

/**
 * main.ts with REDIS_URL: connects once and says so, /readyz names redis, the connection is
 * closed on SIGTERM; a bad REDIS_URL stops the start with a helpful message (exit 78).
 * Runs src/main.ts with tsx's loader, so no build is needed (not through the tsx CLI, whose
 * signal relay SIGKILLs a child slow to acknowledge SIGTERM: exit 143 on a loaded machine).
 */
const serverDir = join(import.meta.dirname, '..', '..');

function run(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', tsxLoader, join(serverDir, 'src', 'main.ts')], {
    cwd: serverDir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

async function until<T>(what: string, get: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('main.ts with REDIS_URL', () => {
  let dataDir: string;
  let server: ReturnType<typeof run>;
  let probe: Redis;
  // A redis-server of its own: the test counts the clients connected to it.
  let redis: Awaited<ReturnType<typeof startRedis>>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-redis-main-'));
    redis = await startRedis();
    probe = new Redis(redis.url);
  });
  afterAll(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await exited(server.child);
    }
    await probe?.quit();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('connects once, reports redis in /readyz, and closes the connection on SIGTERM', async () => {
    const before = (await probe.client('LIST')) as string;
    const count = (list: string) => list.split('\n').filter(Boolean).length;
    server = run({ DATA_DIR: dataDir, REDIS_URL: redis.url });
    const url = await until('the API URL', () => /API\s+(http:\/\/[^\s]+)\/v1/.exec(server.output())?.[1]);
    expect(server.output()).toContain('connected to redis');
    expect(server.output()).toContain('rate limits: redis');
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { engines: Record<string, unknown> }).engines.redis).toEqual({
      engine: 'redis',
      ok: true,
    });
    const during = (await probe.client('LIST')) as string;
    // the shared connection, plus the job queue's bull connections (docs/jobs.md)
    expect(count(during)).toBeGreaterThan(count(before));
    server.child.kill('SIGTERM');
    expect(await exited(server.child)).toBe(0);
    await until(
      'the connection to close',
      async () => (count((await probe.client('LIST')) as string) === count(before) ? true : undefined),
      5_000,
    );
  }, 60_000);

  it('starts without Redis reachable (warns, /readyz 503 naming redis) and picks it up when it comes', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'hearth-redis-main-'));
    const late = run({ DATA_DIR: dir, REDIS_URL: `redis://127.0.0.1:${port}` });
    let lateRedis: Awaited<ReturnType<typeof startRedis>> | undefined;
    try {
      const url = await until('the API URL', () => /API\s+(http:\/\/[^\s]+)\/v1/.exec(late.output())?.[1]);
      expect(late.output()).toContain('redis not reachable yet');
      const down = await fetch(`${url}/readyz`);
      expect(down.status).toBe(503);
      const body = (await down.json()) as { error: { details: { engines: Record<string, unknown> } } };
      expect(body.error.details.engines.redis).toEqual({ engine: 'redis', ok: false });
      // Sign-in style routes still answer meanwhile (limits per process): 401, not 500.
      const login = await fetch(`${url}/v1/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong password' }),
      });
      expect(login.status).toBe(401);
      lateRedis = await startRedis({ port });
      await until('readiness', async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined), 15_000);
      late.child.kill('SIGTERM');
      expect(await exited(late.child)).toBe(0);
    } finally {
      if (late.child.exitCode === null) {
        late.child.kill('SIGKILL');
        await exited(late.child);
      }
      await lateRedis?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a bad REDIS_URL at start with a helpful message (exit 78)', async () => {
    const bad = run({ DATA_DIR: dataDir, REDIS_URL: 'localhost:6379' });
    expect(await exited(bad.child)).toBe(78);
    expect(bad.output()).toContain('REDIS_URL: must look like redis://');
    expect(bad.output()).toContain('docs/configuration.md');
  }, 30_000);
});
