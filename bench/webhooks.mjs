#!/usr/bin/env node
/**
 * Webhook delivery benchmark: deliveries per second from a document event to a local
 * receiver's 204, end to end through the real parts: the event bus, the delivery log in the
 * store, the embedded job queue (SQLite), the signed POST through the outbound guard (loopback
 * allowed explicitly), over keep-alive connections. Also the event → receipt latency.
 *
 *   node bench/webhooks.mjs [--deliveries 2000] [--json]
 *
 * Part of `pnpm bench` (bench/run.mjs). Runs the server's TypeScript through tsx's API.
 */
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setImmediate, setTimeout } from 'node:timers';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const serverDir = join(root, 'server');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const N = Number(arg('deliveries', '2000'));
const JSON_OUT = process.argv.includes('--json');

const requireFromServer = createRequire(join(serverDir, 'package.json'));
const tsxDir = dirname(requireFromServer.resolve('tsx/package.json'));
const { tsImport } = await import(pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href);
const load = (path) => tsImport(join(serverDir, path), import.meta.url);
const { composeEngines } = await load('src/engines/compose.ts');
const { buildApp } = await load('src/app.ts');
const { pino } = requireFromServer('pino');

const received = new Map(); // document id → receipt time
let done;
const allReceived = new Promise((resolve) => (done = resolve));
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    received.set(body.data.document.id, performance.now());
    res.writeHead(204).end();
    if (received.size === N) done();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-webhooks-'));
const logger = pino({ level: 'silent' });
const ports = await composeEngines({ dataDir: dir, mongodbDb: 'unused', mailFrom: 'Hearth <bench@localhost>', logger });
const built = await buildApp(ports, {
  logger,
  secret: 'bench-secret-0123456789-0123456789-abcdef',
  version: 'bench',
  publicUrl: 'http://127.0.0.1',
  dashboardDir: null,
  metrics: false,
  outbound: { allowPrivate: false, allowCidrs: ['127.0.0.1/32'] },
});
const server = http.createServer(built.app);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
async function call(method, path, token, body) {
  const res = await globalThis.fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

try {
  const admin = (
    await call('POST', '/v1/admin/setup', null, { email: 'bench@example.com', password: 'bench password 123' })
  ).accessToken;
  const appId = (await call('POST', '/v1/admin/apps', admin, { name: 'Bench' })).id;
  await call('POST', `/v1/admin/apps/${appId}/collections`, admin, {
    name: 'items',
    fields: [
      { name: 'title', type: 'string' },
      { name: 'note', type: 'string', hidden: true },
    ],
  });
  await call('POST', `/v1/admin/apps/${appId}/webhooks`, admin, {
    url: receiverUrl,
    events: ['documents.create:items'],
  });

  // Events as the collections module emits them after a commit (the write itself is the store
  // benchmark's subject): each becomes a delivery record, a job, a signed POST.
  const emitted = new Map();
  const started = performance.now();
  const at = new Date().toISOString();
  for (let i = 0; i < N; i++) {
    const id = `doc${i}`;
    emitted.set(id, performance.now());
    built.modules.collections.events.emit({
      type: 'documents.create',
      appId,
      collection: 'items',
      before: null,
      after: { id, createdAt: at, updatedAt: at, owner: null, version: 1, title: `item ${i}`, note: 'hidden' },
    });
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  const timeout = setTimeout(() => {
    console.error(`only ${received.size} of ${N} deliveries arrived within 120 s`);
    process.exit(1);
  }, 120_000);
  await allReceived;
  clearTimeout(timeout);
  const seconds = (performance.now() - started) / 1000;
  const latencies = [...received].map(([id, t]) => t - emitted.get(id)).sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  const row = {
    layer: 'webhooks',
    engine: `sqlite, ${ports.engines.jobs} queue`,
    docs: '—',
    op: 'event → delivered (204)',
    n: N,
    perSecond: N / seconds,
    p50: pct(50),
    p99: pct(99),
  };
  if (JSON_OUT) console.log(JSON.stringify(row));
  else {
    console.log(`\nWebhook deliveries — node ${process.version}\n`);
    console.log('| engine | operation | deliveries | deliveries/s | p50 ms | p99 ms |');
    console.log('|---|---|---:|---:|---:|---:|');
    console.log(
      `| ${row.engine} | ${row.op} | ${N} | ${row.perSecond.toFixed(0)} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} |`,
    );
    console.log('\np50/p99: from the event to its receipt, with every event emitted at once (queueing included).');
  }
} finally {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await ports.close();
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
  rmSync(dir, { recursive: true, force: true });
}
