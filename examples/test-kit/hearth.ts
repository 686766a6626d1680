import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real Hearth for the examples' tests: the built server (`pnpm build`; `pnpm test` builds
 * first) started the way `pnpm start` starts it, embedded engines in a temp DATA_DIR, on a free
 * 127.0.0.1 port; stopped by its pid. Then the first admin and one app, through the admin API.
 */
export const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'server', 'dist', 'main.js');

export interface LiveHearth {
  url: string;
  adminToken: string;
  app: { id: string; publicKey: string; secretKey: string };
  /** An admin API call; throws on a non-2xx answer with the body. */
  admin: <T>(method: string, path: string, body?: unknown) => Promise<T>;
  stop: () => Promise<void>;
}

export async function startHearth(env: Record<string, string> = {}): Promise<LiveHearth> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` at the repository root`);
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-example-'));
  const port = await freePort(); // known before the start: PUBLIC_URL (signed file URLs) names it
  const child = spawn(process.execPath, [MAIN], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const url = await bannerUrl(child);
    const call = async <T>(method: string, path: string, body?: unknown, token?: string): Promise<T> => {
      const res = await fetch(url + path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    };
    const { accessToken } = await call<{ accessToken: string }>('POST', '/v1/admin/setup', {
      email: 'admin@example.com',
      password: 'correct horse battery staple',
    });
    const app = await call<{ id: string; keys: { public: string; secret: string } }>(
      'POST',
      '/v1/admin/apps',
      { name: 'Example' },
      accessToken,
    );
    return {
      url,
      adminToken: accessToken,
      app: { id: app.id, publicKey: app.keys.public, secretKey: app.keys.secret },
      admin: (method, path, body) => call(method, path, body, accessToken),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The API URL from the start banner ("API  http://127.0.0.1:PORT/v1"). */
function bannerUrl(child: ChildProcess): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Hearth did not start within 60 s:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /API\s+(http:\/\/\S+)\/v1/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Hearth exited with ${code}:\n${out}`));
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
