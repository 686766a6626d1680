/**
 * HTTP benchmark of app-user auth, on each engine: sign-ups and logins per second (both are
 * dominated by argon2id at OWASP parameters, on purpose), refreshes per second, and
 * authenticated requests per second (GET /auth/me: JWT verification + live session + user
 * lookups) next to the same server answering a key-only request (GET /v1/apps/{app}), so the
 * token verification cost reads off the difference. A real server on a loopback port, keep-alive
 * clients at a fixed concurrency; prints one table.
 *
 *   cd server && npx tsx ../bench/http-auth.ts [--users 200] [--ops 5000] [--concurrency 16] [--engines sqlite,mongodb]
 *
 * MongoDB: uses MONGODB_URL when set, else starts the MongoDB-wire test server (jongodb).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
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
const USERS = Number(arg('users', '200'));
const OPS = Number(arg('ops', '5000'));
const CONCURRENCY = Number(arg('concurrency', '16'));
const ENGINES = arg('engines', 'sqlite,mongodb').split(',');
const PASSWORD = 'a long enough bench password 1!';

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

interface Reply {
  status: number;
  body: { id: string; accessToken: string; refreshToken: string; keys: { public: string }; user: { id: string } };
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
    const appId = created.body.id;
    const pk = { 'x-hearth-key': created.body.keys.public };
    // One client IP makes every request here: lift the per-IP limit for the benchmark.
    const patched = await call(port, 'PATCH', `/v1/admin/apps/${appId}/auth/settings`, admin, {
      ipRequestsPer15Min: 100_000,
    });
    if (patched.status !== 200) throw new Error(`settings: ${JSON.stringify(patched.body)}`);
    const auth = `/v1/apps/${appId}/auth`;
    const tokens: string[] = [];
    const refresh: string[] = [];
    const results: Result[] = [];
    results.push(
      await measure(engine, 'sign-up (argon2id hash)', USERS, async (i) => {
        const res = await call(port, 'POST', `${auth}/signup`, pk, {
          email: `user${i}@example.com`,
          password: PASSWORD,
        });
        if (res.status !== 201) throw new Error(`signup ${res.status} ${JSON.stringify(res.body)}`);
      }),
    );
    results.push(
      await measure(engine, 'login (argon2id verify)', USERS, async (i) => {
        const res = await call(port, 'POST', `${auth}/login`, pk, {
          email: `user${i}@example.com`,
          password: PASSWORD,
        });
        if (res.status !== 200) throw new Error(`login ${res.status} ${JSON.stringify(res.body)}`);
        tokens.push(res.body.accessToken);
        refresh[i] = res.body.refreshToken;
      }),
    );
    // i and i + USERS are never in flight together (USERS > concurrency): one refresh per user at a time.
    results.push(
      await measure(engine, 'refresh (rotate)', Math.min(OPS, USERS * 10), async (i) => {
        const u = i % USERS;
        const res = await call(port, 'POST', `${auth}/refresh`, pk, { refreshToken: refresh[u] });
        if (res.status !== 200) throw new Error(`refresh ${res.status} ${JSON.stringify(res.body)}`);
        refresh[u] = res.body.refreshToken;
        tokens[u] = res.body.accessToken;
      }),
    );
    results.push(
      await measure(engine, 'key only: GET /v1/apps/{app}', OPS, async () => {
        const res = await call(port, 'GET', `/v1/apps/${appId}`, pk);
        if (res.status !== 200) throw new Error(`app ${res.status}`);
      }),
    );
    results.push(
      await measure(engine, 'authenticated: GET /auth/me', OPS, async (i) => {
        const res = await call(port, 'GET', `${auth}/me`, {
          ...pk,
          authorization: `Bearer ${tokens[i % tokens.length]}`,
        });
        if (res.status !== 200) throw new Error(`me ${res.status} ${JSON.stringify(res.body)}`);
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
console.log(`\nHTTP auth — node ${process.version}, concurrency ${CONCURRENCY}, ${USERS} users\n`);
console.log('| engine | operation | requests | req/s | p50 ms | p99 ms |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of all) {
  console.log(
    `| ${r.engine} | ${r.op} | ${r.n} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`,
  );
}
