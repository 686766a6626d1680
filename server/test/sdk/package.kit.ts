import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

/**
 * What a new user does with the SDK: `pnpm pack` it, install the tarball into an empty project,
 * and talk to a live Hearth (a listening server on the embedded SQLite engine).
 */
export const SDK_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../sdk');
export const ROOT_DIR = join(SDK_DIR, '..');
export const bin = (name: string) => join(ROOT_DIR, 'node_modules/.bin', name);
export const sdkBin = (name: string) => join(SDK_DIR, 'node_modules/.bin', name);
export const serverBin = (name: string) => join(ROOT_DIR, 'server/node_modules/.bin', name);

/** Packs the built SDK (run `pnpm run build` first) and installs the tarball into a fresh project. */
export function installPackedSdk(): { dir: string; tarball: string; files: string[]; cleanup(): void } {
  if (!existsSync(join(SDK_DIR, 'dist/index.js'))) throw new Error('Build the SDK first: pnpm run build');
  const dir = mkdtempSync(join(tmpdir(), 'hearth-sdk-consumer-'));
  const packDir = join(dir, 'pack');
  mkdirSync(packDir);
  execFileSync('pnpm', ['pack', '--pack-destination', packDir], { cwd: SDK_DIR, stdio: 'pipe' });
  const tarball = join(
    packDir,
    readdirSync(packDir).find((f) => f.endsWith('.tgz'))!,
  );
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
  const project = join(dir, 'app');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  // npm, as a user without pnpm would (tus-js-client comes from the registry or npm's cache).
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], {
    cwd: project,
    stdio: 'pipe',
    timeout: 240_000,
  });
  return { dir: project, tarball, files, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface LiveHearth {
  h: Harness;
  url: string;
  appId: string;
  publicKey: string;
  secretKey: string;
  adminToken: string;
  close(): Promise<void>;
}

/** A listening Hearth with an app and a public `todos` collection (`done` has a default). */
export async function startLiveHearth(): Promise<LiveHearth> {
  const h = await startHarness('sqlite');
  const ctx = await withAdminAndApp(h);
  await h.http
    .post(`/v1/admin/apps/${ctx.appId}/collections`)
    .set('Authorization', `Bearer ${ctx.adminToken}`)
    .send({
      name: 'todos',
      fields: [
        { name: 'title', type: 'string', required: true },
        { name: 'done', type: 'boolean', default: false },
        { name: 'tags', type: 'array', of: { type: 'string' } },
      ],
      rules: {
        list: { owner: '@auth.id' },
        get: { owner: '@auth.id' },
        create: 'authenticated',
        update: 'authenticated',
        delete: 'authenticated',
      },
    })
    .expect(201);
  const server: Server = h.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  // Realtime on the same server, as main.ts has it (the scenario subscribes).
  const detach = h.modules.realtime.attach!(server);
  const { port } = server.address() as AddressInfo;
  return {
    h,
    url: `http://127.0.0.1:${port}`,
    appId: ctx.appId,
    publicKey: ctx.publicKey,
    secretKey: ctx.secretKey,
    adminToken: ctx.adminToken,
    close: async () => {
      await detach();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await h.close();
    },
  };
}

/**
 * The same script for every runtime: sign up, create (leaving out the defaulted field), find,
 * typed error, and a realtime subscription that sees the next create (socket.io-client loaded lazily).
 */
export function scenarioSource(): string {
  return `
    const email = 'user-' + Math.random().toString(36).slice(2) + '@example.com';
    const hearth = createClient({ url: env.url, app: env.app, key: env.key });
    const user = await hearth.auth.signUp({ email, password: 'correct horse battery staple' });
    const todos = hearth.collection('todos');
    const todo = await todos.create({ title: 'Buy milk' });
    const page = await todos.find({ filter: { done: false }, sort: '-createdAt' });
    let error = null;
    try { await todos.get('nope'); } catch (e) { error = { isHearthError: e instanceof HearthError, status: e.status, code: e.code, requestId: typeof e.requestId }; }
    const seen = [];
    const unsubscribe = await todos.subscribe({ done: false }, (e) => seen.push(e.type + ':' + (e.document && e.document.title)));
    await todos.create({ title: 'Live' });
    for (let i = 0; i < 400 && !seen.length; i++) await new Promise((r) => setTimeout(r, 25));
    await unsubscribe();
    hearth.realtime.close();
    result = { email: user.email, done: todo.done, version: todo.version, found: page.items.length, error, live: seen[0] };
  `;
}
