import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PNG } from './support.js';

/**
 * Memory stays flat for a large upload: a real server in a child process takes a 200 MB file
 * (the app's limit raised to 300 MB) and its peak RSS grows by far less than the file, on the
 * disk engine and on the S3 engine (multipart, parts of 8 MiB, two in flight).
 */
const here = dirname(fileURLToPath(import.meta.url));
const MB = 1024 * 1024;

class ServerProcess {
  private lines: string[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        for (const w of this.waiters.splice(0)) w();
      }
    });
  }
  async next(prefix: string): Promise<string> {
    for (;;) {
      const i = this.lines.findIndex((l) => l.startsWith(prefix));
      if (i >= 0) return this.lines.splice(i, 1)[0]!.slice(prefix.length).trim();
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  async rss(): Promise<number> {
    this.child.stdin.write('rss\n');
    return Number(await this.next('rss '));
  }
}

function json(port: number, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Streams a multipart upload of `size` bytes (a PNG header, then filler) without holding it. */
function streamUpload(port: number, appId: string, key: string, size: number) {
  const boundary = 'hearthboundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/v1/apps/${appId}/files`,
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + size + tail.length),
          'x-hearth-key': key,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    const filler = Buffer.alloc(MB, 0x5a);
    let sent = 0;
    req.write(head);
    req.write(PNG);
    sent += PNG.length;
    const pump = () => {
      while (sent < size) {
        const n = Math.min(MB, size - sent);
        sent += n;
        if (!req.write(n === MB ? filler : filler.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}

for (const engine of ['disk', 's3'] as const) {
  describe(`a 200 MB upload keeps memory flat [${engine}]`, () => {
    let server: ServerProcess;
    let dir: string;
    let port: number;
    let appId: string;
    let key: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hearth-stream-'));
      const s3 = inject('s3');
      const args = engine === 'disk' ? [dir, 'disk'] : [dir, 's3', s3.endpoint, s3.bucket];
      const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'upload-server.ts'), ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      server = new ServerProcess(child);
      port = Number(await server.next('listening '));
      const setup = await json(
        port,
        'POST',
        '/v1/admin/setup',
        {},
        { email: 'a@example.com', password: 'correct horse battery' },
      );
      const admin = { authorization: `Bearer ${String(setup.body.accessToken)}` };
      const app = await json(port, 'POST', '/v1/admin/apps', admin, { name: 'Big' });
      appId = String(app.body.id);
      key = String((app.body.keys as { secret: string }).secret);
      const patched = await json(port, 'PATCH', `/v1/admin/apps/${appId}/files/settings`, admin, {
        maxFileSize: 300 * MB,
      });
      expect(patched.status).toBe(200);
    }, 60_000);
    afterAll(async () => {
      if (server?.child.pid && server.child.exitCode === null) {
        const exited = new Promise((r) => server.child.once('exit', r));
        process.kill(server.child.pid, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('peak RSS grows by less than 80 MB while 200 MB stream through', async () => {
      // warm up: every code path loaded, buffers allocated
      expect((await streamUpload(port, appId, key, 20 * MB)).status).toBe(201);
      const before = await server.rss();
      const res = await streamUpload(port, appId, key, 200 * MB);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.size).toBe(200 * MB);
      const after = await server.rss();
      const seen = `peak RSS ${Math.round(before / MB)} MB before, ${Math.round(after / MB)} MB after`;
      expect(after - before, seen).toBeLessThan(80 * MB);
    }, 180_000);
  });
}
