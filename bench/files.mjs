#!/usr/bin/env node
/**
 * The files benchmark: `pnpm bench --files` (= node bench/files.mjs). For each file engine (disk
 * in a temp folder, S3 on s3rver started here), a real Hearth server in a child process
 * (server/test/files/upload-server.ts: SQLite + that engine) takes multipart uploads of 1 MB and
 * 100 MB files one at a time and serves them back, then many small uploads at once. It prints
 * upload and download MB/s, the server's peak RSS after each case (process lifetime maximum),
 * and small uploads per second, without and with a quota (reservations in the ledger).
 *
 *   node bench/files.mjs [--engines disk,s3] [--small 400] [--concurrency 16] [--big 3] [--one 20]
 *
 * s3rver writes every object to its own folder through a koa server in another process: its
 * numbers are the test server's, not S3's.
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const serverDir = join(root, 'server');
const MB = 1024 * 1024;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const ENGINES = arg('engines', 'disk,s3').split(',');
const SMALL = Number(arg('small', '400'));
const CONCURRENCY = Number(arg('concurrency', '16'));
const BIG_RUNS = Number(arg('big', '3'));
const ONE_RUNS = Number(arg('one', '20'));

/** A 1×1 PNG: the sniffed type of every upload (the rest is filler). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

function startServer(args) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(serverDir, 'test/files/upload-server.ts'), ...args], {
    cwd: serverDir,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = [];
  const waiters = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  const next = async (prefix) => {
    for (;;) {
      const i = lines.findIndex((l) => l.startsWith(prefix));
      if (i >= 0) return lines.splice(i, 1)[0].slice(prefix.length).trim();
      await new Promise((r) => waiters.push(r));
    }
  };
  return {
    child,
    port: next('listening ').then(Number),
    rss: async () => {
      child.stdin.write('rss\n');
      return Number(await next('rss '));
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    },
  };
}

function json(port, method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Streams a multipart upload of `size` bytes (a PNG, then filler) without holding it; resolves with the file id. */
function upload(port, appId, key, size) {
  const boundary = 'hearthbench';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
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
        res.on('data', (d) => (text += d.toString()));
        res.on('end', () =>
          res.statusCode === 201
            ? resolve(JSON.parse(text).id)
            : reject(new Error(`upload ${res.statusCode}: ${text}`)),
        );
      },
    );
    req.on('error', reject);
    const filler = Buffer.alloc(MB, 0x5a);
    let sent = PNG.length;
    req.write(head);
    req.write(PNG);
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

function download(port, appId, key, id) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'GET',
        path: `/v1/apps/${appId}/files/${id}/content`,
        headers: { 'x-hearth-key': key },
      },
      (res) => {
        let n = 0;
        res.on('data', (d) => (n += d.length));
        res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`download ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  const out = await fn();
  return { out, seconds: Number(process.hrtime.bigint() - t) / 1e9 };
}

let s3rver = null;
if (ENGINES.includes('s3')) {
  const requireFromServer = createRequire(join(serverDir, 'package.json'));
  const tsxDir = dirname(requireFromServer.resolve('tsx/package.json'));
  const { tsImport } = await import(pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href);
  const { startS3rver } = await tsImport(join(serverDir, 'test/servers/s3rver.ts'), import.meta.url);
  s3rver = await startS3rver();
  console.error(`s3rver on ${s3rver.endpoint}, pid ${s3rver.pid}`);
}

const rows = [];
try {
  for (const engine of ENGINES) {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-files-'));
    const server = startServer(engine === 'disk' ? [dir, 'disk'] : [dir, 's3', s3rver.endpoint, s3rver.bucket]);
    try {
      const port = await server.port;
      const setup = await json(
        port,
        'POST',
        '/v1/admin/setup',
        {},
        { email: 'a@example.com', password: 'correct horse battery' },
      );
      const admin = { authorization: `Bearer ${setup.body.accessToken}` };
      const app = await json(port, 'POST', '/v1/admin/apps', admin, { name: 'Bench' });
      const appId = app.body.id;
      const key = app.body.keys.secret;
      await json(port, 'PATCH', `/v1/admin/apps/${appId}/files/settings`, admin, { maxFileSize: 200 * MB });
      await upload(port, appId, key, MB); // warm up
      for (const [label, size, runs] of [
        ['1 MB', MB, ONE_RUNS],
        ['100 MB', 100 * MB, BIG_RUNS],
      ]) {
        console.error(`${engine}: ${runs} × ${label} up and down…`);
        const ids = [];
        let up = 0;
        let down = 0;
        for (let i = 0; i < runs; i++) {
          const u = await timed(() => upload(port, appId, key, size));
          ids.push(u.out);
          up += u.seconds;
        }
        for (const id of ids) down += (await timed(() => download(port, appId, key, id))).seconds;
        rows.push({
          engine,
          test: `${label} files, one at a time`,
          n: runs,
          up: (size * runs) / MB / up,
          down: (size * runs) / MB / down,
          perSecond: null,
          rss: (await server.rss()) / MB,
        });
      }
      console.error(`${engine}: ${SMALL} small uploads, ${CONCURRENCY} at a time…`);
      let next = 0;
      const small = await timed(() =>
        Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next++ < SMALL) await upload(port, appId, key, 4096);
          }),
        ),
      );
      rows.push({
        engine,
        test: `4 KB files, ${CONCURRENCY} concurrent`,
        n: SMALL,
        up: null,
        down: null,
        perSecond: SMALL / small.seconds,
        rss: (await server.rss()) / MB,
      });
      // The same with a quota: every upload reserves its bytes first and trims them at the end.
      await json(port, 'PATCH', `/v1/admin/apps/${appId}/files/settings`, admin, { quotaBytes: 100 * 1024 * MB });
      console.error(`${engine}: ${SMALL} small uploads under a quota, ${CONCURRENCY} at a time…`);
      next = 0;
      const quoted = await timed(() =>
        Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next++ < SMALL) await upload(port, appId, key, 4096);
          }),
        ),
      );
      rows.push({
        engine,
        test: `4 KB files, ${CONCURRENCY} concurrent, with a quota`,
        n: SMALL,
        up: null,
        down: null,
        perSecond: SMALL / quoted.seconds,
        rss: (await server.rss()) / MB,
      });
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await s3rver?.stop();
}

const fixed = (x, digits) => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(digits));
console.log(`\nHearth files benchmark — node ${process.version}\n`);
console.log('| engine | test | files | upload MB/s | download MB/s | uploads/s | server peak RSS MB |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const engine = r.engine === 's3' ? 's3 (s3rver)' : r.engine;
  console.log(
    `| ${engine} | ${r.test} | ${r.n} | ${fixed(r.up, 0)} | ${fixed(r.down, 0)} | ${fixed(r.perSecond, 0)} | ${fixed(r.rss, 0)} |`,
  );
}
console.log('\nPeak RSS is the server process lifetime maximum, read after each row (so it only grows).');
