import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitWithin, runMain, type MainProcess } from '../support/main-process.js';

/**
 * WORKERS=2 (http/cluster.ts): two node:cluster workers behind one port, sharing the SQLite file.
 * A collection and documents written through one worker are read through either; SIGTERM to the
 * primary stops both workers and exits 0; a worker that cannot start stops the start with its code.
 */
const dirs: string[] = [];
const running: MainProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((m) => m.stop(2_000)));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function json(url: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', connection: 'close', ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
}

describe('WORKERS=2', () => {
  it('serves one API from two processes on one SQLite file, and stops them together', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-workers-'));
    dirs.push(dataDir);
    const main = runMain({ DATA_DIR: dataDir, WORKERS: '2', DATA_RATE_LIMIT: '0' });
    running.push(main);
    const url = await main.url(60_000);
    const listening = () =>
      main
        .stdout()
        .split('\n')
        .filter((l) => l.includes('is listening')).length;
    for (let t = 0; listening() < 2 && t < 600; t++) await new Promise((r) => setTimeout(r, 100));
    expect(listening()).toBe(2);
    const setup = await json(
      url,
      'POST',
      '/v1/admin/setup',
      {},
      { email: 'a@example.com', password: 'a long password here' },
    );
    expect(setup.status).toBe(201);
    const admin = { authorization: `Bearer ${String(setup.body.accessToken)}` };
    const app = await json(url, 'POST', '/v1/admin/apps', admin, { name: 'two' });
    const appId = String(app.body.id);
    const pk = { 'x-hearth-key': String((app.body.keys as { public: string }).public) };
    const created = await json(url, 'POST', `/v1/admin/apps/${appId}/collections`, admin, {
      name: 'notes',
      fields: [
        { name: 'text', type: 'string' },
        { name: 'tags', type: 'array' },
      ],
      rules: { create: 'public', list: 'public', get: 'public', update: 'public', delete: null },
    });
    expect(created.status).toBe(201);
    // New connections each time (connection: close), handed out round-robin over the workers.
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const doc = await json(url, 'POST', `/v1/apps/${appId}/collections/notes/documents`, pk, {
        text: `n${i}`,
        tags: [`t${i % 2}`],
      });
      expect(doc.status).toBe(201);
      ids.push(String(doc.body.id));
    }
    for (const id of ids) {
      expect((await json(url, 'GET', `/v1/apps/${appId}/collections/notes/documents/${id}`, pk)).status).toBe(200);
    }
    for (let i = 0; i < 4; i++) {
      const list = await json(
        url,
        'GET',
        `/v1/apps/${appId}/collections/notes/documents?filter=${encodeURIComponent('{"tags":"t1"}')}&count=exact`,
        pk,
      );
      expect(list.body.count).toBe(3);
    }
    expect(await main.stop(20_000)).toBe(0);
  }, 120_000);

  it('workers that cannot start (a busy port) stop the start with their exit code', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    try {
      const dataDir = mkdtempSync(join(tmpdir(), 'hearth-workers-'));
      dirs.push(dataDir);
      const port = (busy.address() as AddressInfo).port;
      const main = runMain({ DATA_DIR: dataDir, WORKERS: '2', PORT: String(port) });
      running.push(main);
      expect(await exitWithin(main, 60_000)).toBe(1);
      expect(main.stderr()).toContain(String(port));
    } finally {
      busy.close();
    }
  }, 90_000);
});
