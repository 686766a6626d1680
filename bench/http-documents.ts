/**
 * HTTP benchmark of the document API, on each engine: create, get by id, filtered list (an
 * indexed equality + sort + limit 20 with a read rule ANDed in). A real server on a loopback port,
 * driven by keep-alive HTTP clients at a fixed concurrency; prints one table.
 *
 *   cd server && npx tsx ../bench/http-documents.ts [--docs 5000] [--ops 5000] [--concurrency 16] [--engines sqlite,mongodb]
 *
 * MongoDB: uses MONGODB_URL when set, else starts the MongoDB-wire test server (jongodb).
 * Bare imports (pino) are resolved from the server package, where they are installed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../server/src/app.js';
import { createDocumentStore } from '../server/src/engines/registry.js';
import type { DocumentStore } from '../server/src/ports/document-store.js';
import { startJongodb } from '../server/test/servers/jongodb.js';

const requireFromServer = createRequire(new URL('../server/package.json', import.meta.url));
const { pino } = requireFromServer('pino') as typeof import('pino');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const DOCS = Number(arg('docs', '5000'));
const OPS = Number(arg('ops', '5000'));
const CONCURRENCY = Number(arg('concurrency', '16'));
const ENGINES = arg('engines', 'sqlite,mongodb').split(',');

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

interface Reply {
  status: number;
  body: { id: string; accessToken: string; keys: { public: string }; items: unknown[] };
}

function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: {
          ...headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

interface Result {
  engine: string;
  op: string;
  n: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function measure(engine: string, op: string, n: number, run: (i: number) => Promise<void>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await run(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!;
  return { engine, op, n, perSecond: n / seconds, p50: pct(0.5), p99: pct(0.99) };
}

async function benchEngine(engine: string): Promise<Result[]> {
  let store: DocumentStore;
  let cleanup: () => Promise<void>;
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-'));
    store = await createDocumentStore({ dataDir: dir, mongodbDb: 'unused' });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const external = process.env.MONGODB_URL;
    const server = external ? null : await startJongodb();
    store = await createDocumentStore({
      dataDir: tmpdir(),
      mongodbUrl: external ?? server!.url,
      mongodbDb: `bench_${Date.now()}`,
    });
    cleanup = async () => {
      await server?.stop();
    };
  }
  const { app } = await buildApp({
    store,
    logger: pino({ level: 'silent' }),
    secret: 'bench-secret-0123456789-0123456789-abcdef',
    version: 'bench',
    publicUrl: 'http://127.0.0.1',
    dashboardDir: null,
    metrics: false,
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const setup = await call(
      port,
      'POST',
      '/v1/admin/setup',
      {},
      { email: 'bench@example.com', password: 'a long bench password' },
    );
    const admin = { authorization: `Bearer ${setup.body.accessToken}` };
    const created = await call(port, 'POST', '/v1/admin/apps', admin, { name: 'bench' });
    const appId = created.body.id as string;
    const pk = { 'x-hearth-key': created.body.keys.public as string };
    const col = await call(port, 'POST', `/v1/admin/apps/${appId}/collections`, admin, {
      name: 'items',
      fields: [
        { name: 'title', type: 'string', required: true },
        { name: 'n', type: 'integer' },
        { name: 'tag', type: 'string' },
        { name: 'visible', type: 'boolean', default: true },
      ],
      indexes: [{ name: 'by_tag_n', fields: ['tag', '-n'] }],
      rules: { create: 'public', get: { visible: true }, list: { visible: true }, update: null, delete: null },
    });
    if (col.status !== 201) throw new Error(`collection: ${JSON.stringify(col.body)}`);
    const base = `/v1/apps/${appId}/collections/items/documents`;
    const ids: string[] = [];
    const results: Result[] = [];
    results.push(
      await measure(engine, 'create', DOCS, async (i) => {
        const res = await call(port, 'POST', base, pk, { title: `item ${i}`, n: i, tag: `t${i % 50}` });
        if (res.status !== 201) throw new Error(`create ${res.status} ${JSON.stringify(res.body)}`);
        ids.push(res.body.id);
      }),
    );
    results.push(
      await measure(engine, 'get by id', OPS, async (i) => {
        const res = await call(port, 'GET', `${base}/${ids[(i * 7919) % ids.length]}`, pk);
        if (res.status !== 200) throw new Error(`get ${res.status}`);
      }),
    );
    results.push(
      await measure(engine, 'filtered list (20)', OPS, async (i) => {
        const filter = encodeURIComponent(JSON.stringify({ tag: `t${i % 50}` }));
        const res = await call(port, 'GET', `${base}?filter=${filter}&sort=-n&limit=20`, pk);
        if (res.status !== 200 || res.body.items.length === 0) throw new Error(`list ${res.status}`);
      }),
    );
    return results;
  } finally {
    await new Promise((r) => server.close(r));
    await store.close();
    await cleanup();
  }
}

const all: Result[] = [];
for (const engine of ENGINES) all.push(...(await benchEngine(engine)));
agent.destroy();
console.log(`\nHTTP document API — node ${process.version}, concurrency ${CONCURRENCY}, ${DOCS} docs\n`);
console.log('| engine | operation | requests | req/s | p50 ms | p99 ms |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of all) {
  console.log(
    `| ${r.engine} | ${r.op} | ${r.n} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`,
  );
}
