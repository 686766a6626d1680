import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { runMain, type MainProcess } from '../support/main-process.js';

/**
 * Hearth replicas as real processes (main.ts), sharing the MongoDB-wire test server, the real
 * redis-server of the global setup and one signing secret, the way a deployment runs them.
 */
export interface Replica {
  url: string;
  main: MainProcess;
  dir: string;
}

export interface Cluster {
  env: Record<string, string>;
  start(): Promise<Replica>;
  stopAll(): Promise<void>;
}

export function cluster(extra: Record<string, string> = {}): Cluster {
  const env = {
    MONGODB_URL: inject('mongoUrl'),
    MONGODB_DB: `rt_${newId().replace(/[^A-Za-z0-9]/g, '')}`,
    REDIS_URL: inject('redisUrl'),
    HEARTH_SECRET: 'realtime-replicas-secret-0123456789abcdef',
    LOG_LEVEL: 'warn',
    PRESENCE_TIMEOUT_MS: '1500',
    REALTIME_SESSION_CHECK_MS: '400',
    ...extra,
  };
  const replicas: Replica[] = [];
  return {
    env,
    start: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hearth-rt-replica-'));
      const main = runMain({ ...env, DATA_DIR: dir });
      const replica = { url: await main.url(60_000), main, dir };
      replicas.push(replica);
      return replica;
    },
    stopAll: async () => {
      await Promise.all(
        replicas.map(async (r) => {
          if (r.main.child.exitCode === null && r.main.child.signalCode === null) await r.main.stop(5000);
          rmSync(r.dir, { recursive: true, force: true });
        }),
      );
    },
  };
}

/** JSON over fetch. */
export async function api(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> & { [k: string]: unknown } }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export interface ClusterApp {
  appId: string;
  publicKey: string;
  secretKey: string;
  admin: Record<string, string>;
}

/** The first admin, an app and the `notes` collection, through one replica. */
export async function setupApp(url: string, collection: Record<string, unknown>): Promise<ClusterApp> {
  const setup = await api(url, 'POST', '/v1/admin/setup', {
    email: 'owner@example.com',
    password: 'correct horse battery',
  });
  if (setup.status !== 201) throw new Error(JSON.stringify(setup.body));
  const admin = { Authorization: `Bearer ${setup.body.accessToken as string}` };
  const app = await api(url, 'POST', '/v1/admin/apps', { name: 'Chat' }, admin);
  const appId = app.body.id as string;
  const keys = app.body.keys as { public: string; secret: string };
  const col = await api(url, 'POST', `/v1/admin/apps/${appId}/collections`, collection, admin);
  if (col.status !== 201) throw new Error(JSON.stringify(col.body));
  return { appId, publicKey: keys.public, secretKey: keys.secret, admin };
}

export async function signUpUser(
  url: string,
  app: ClusterApp,
  email: string,
  roles?: string[],
): Promise<{ id: string; token: string; refreshToken: string; headers: Record<string, string> }> {
  const password = 'a long enough password 1!';
  const res = await api(
    url,
    'POST',
    `/v1/apps/${app.appId}/auth/signup`,
    { email, password },
    { 'X-Hearth-Key': app.publicKey },
  );
  if (res.status >= 300) throw new Error(JSON.stringify(res.body));
  let body = res.body;
  if (roles) {
    const id = (body.user as { id: string }).id;
    await api(url, 'PATCH', `/v1/admin/apps/${app.appId}/users/${id}`, { roles }, app.admin);
    body = (
      await api(url, 'POST', `/v1/apps/${app.appId}/auth/login`, { email, password }, { 'X-Hearth-Key': app.publicKey })
    ).body;
  }
  const token = body.accessToken as string;
  return {
    id: (body.user as { id: string }).id,
    token,
    refreshToken: body.refreshToken as string,
    headers: { 'X-Hearth-Key': app.publicKey, Authorization: `Bearer ${token}` },
  };
}
