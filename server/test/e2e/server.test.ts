import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The built server as a user starts it (`pnpm start` runs dist/main.js): embedded engines in a
 * fresh DATA_DIR, the dashboard served, setup → app → keys, and a graceful SIGTERM.
 * `pnpm test` builds first; run `pnpm build` before running this file alone.
 */
const serverDir = join(import.meta.dirname, '..', '..');
const main = join(serverDir, 'dist', 'main.js');

function start(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [main], {
    cwd: serverDir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /API\s+(http:\/\/[^\s]+)\/v1/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

describe('the built server (pnpm start)', () => {
  let dataDir: string;
  let server: Awaited<ReturnType<typeof start>>;

  beforeAll(async () => {
    expect(existsSync(main), 'server/dist/main.js is missing: run pnpm build').toBe(true);
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-'));
    server = await start({ DATA_DIR: dataDir });
  });

  afterAll(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await exited(server.child);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints its URLs and is ready on the embedded engines', async () => {
    expect(server.output()).toContain('Dashboard');
    expect(server.output()).toContain('/openapi.json');
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ok',
      engines: {
        documentStore: { engine: 'sqlite', ok: true },
        fileStore: { engine: 'disk', ok: true },
        jobQueue: { engine: 'sqlite', ok: true },
      },
    });
    expect(existsSync(join(dataDir, 'hearth.db'))).toBe(true);
    expect(existsSync(join(dataDir, 'jobs.db'))).toBe(true);
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it('serves the dashboard', async () => {
    const res = await fetch(`${server.url}/dashboard/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
    const deep = await fetch(`${server.url}/dashboard/apps/xyz`);
    expect(deep.status).toBe(200);
  });

  it('setup → create app → key checks', async () => {
    const json = { 'Content-Type': 'application/json' };
    const setup = await fetch(`${server.url}/v1/admin/setup`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email: 'e2e@example.com', password: 'a long password' }),
    });
    expect(setup.status).toBe(201);
    const { accessToken } = (await setup.json()) as { accessToken: string };
    const created = await fetch(`${server.url}/v1/admin/apps`, {
      method: 'POST',
      headers: { ...json, Authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ name: 'E2E' }),
    });
    expect(created.status).toBe(201);
    const app = (await created.json()) as { id: string; keys: { secret: string } };
    expect(app.keys.secret).toMatch(/^sk_/);
    const ok = await fetch(`${server.url}/v1/apps/${app.id}`, { headers: { 'X-Hearth-Key': app.keys.secret } });
    expect(ok.status).toBe(200);
    const wrong = await fetch(`${server.url}/v1/apps/${app.id}`, {
      headers: { 'X-Hearth-Key': 'sk_wrongwrongwrongwrongwrong' },
    });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });

  it('data survives a restart; SIGTERM shuts down cleanly', async () => {
    server.child.kill('SIGTERM');
    expect(await exited(server.child)).toBe(0);
    server = await start({ DATA_DIR: dataDir });
    const setup = await fetch(`${server.url}/v1/admin/setup`);
    expect(await setup.json()).toEqual({ needed: false });
    const login = await fetch(`${server.url}/v1/admin/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'e2e@example.com', password: 'a long password' }),
    });
    expect(login.status).toBe(200);
  });

  it('a bad configuration stops the server with one line per variable', async () => {
    const child = spawn(process.execPath, [main], {
      cwd: serverDir,
      env: { PATH: process.env.PATH ?? '', PORT: 'eighty', MONGODB_URL: 'mysql://x', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(child)).toBe(78);
    expect(err).toMatch(/PORT: .*"eighty"/);
    expect(err).toMatch(/MONGODB_URL: must start with mongodb:\/\//);
  });

  it('bootstraps the first admin from the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-e2e-boot-'));
    const boot = await start({
      DATA_DIR: dir,
      HEARTH_ADMIN_EMAIL: 'boot@example.com',
      HEARTH_ADMIN_PASSWORD: 'bootstrap password',
    });
    try {
      const login = await fetch(`${boot.url}/v1/admin/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'boot@example.com', password: 'bootstrap password' }),
      });
      expect(login.status).toBe(200);
    } finally {
      boot.child.kill('SIGTERM');
      await exited(boot.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
