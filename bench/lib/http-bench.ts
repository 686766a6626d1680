/**
 * What the HTTP benchmarks share: options, a real Hearth server on a loopback port for one
 * engine (SQLite in a temp dir; MongoDB on MONGODB_URL or a jongodb started here), a keep-alive
 * JSON client, a fixed-concurrency measuring loop and the result table.
 * Bare imports (pino) are resolved from the server package, where they are installed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../../server/src/app.js';
import { composeEngines } from '../../server/src/engines/compose.js';
import type { Ports } from '../../server/src/ports/index.js';
import { startJongodb } from '../../server/test/servers/jongodb.js';

const requireFromServer = createRequire(new URL('../../server/package.json', import.meta.url));
const { pino } = requireFromServer('pino') as typeof import('pino');

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

export const CONCURRENCY = Number(arg('concurrency', '16'));
export const ENGINES = arg('engines', 'sqlite,mongodb').split(',');
/** `--metrics on`: serve /metrics and instrument the store, as a default deployment does. */
export const METRICS = arg('metrics', 'off') === 'on';

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- benchmark replies are read loosely
export interface Reply<B = any> {
  status: number;
  body: B;
}

export interface BenchServer {
  port: number;
  call(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply>;
  /** Setup + one app: the admin's headers, the app id and its public-key headers. */
  adminAndApp(): Promise<{ admin: Record<string, string>; appId: string; pk: Record<string, string> }>;
  close(): Promise<void>;
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

export async function startBenchServer(engine: string): Promise<BenchServer> {
  const logger = pino({ level: 'silent' });
  const mailFrom = 'Hearth <bench@localhost>';
  let ports: Ports;
  let cleanup: () => Promise<void>;
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-'));
    ports = await composeEngines({ dataDir: dir, mongodbDb: 'unused', mailFrom, logger });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const external = process.env.MONGODB_URL;
    const mongo = external ? null : await startJongodb();
    ports = await composeEngines({
      dataDir: tmpdir(),
      mongodbUrl: external ?? mongo!.url,
      mongodbDb: `bench_${Date.now()}`,
      mailFrom,
      logger,
    });
    cleanup = async () => {
      await mongo?.stop();
    };
  }
  const { app } = await buildApp(ports, {
    logger,
    secret: 'bench-secret-0123456789-0123456789-abcdef',
    version: 'bench',
    publicUrl: 'http://127.0.0.1',
    dashboardDir: null,
    metrics: METRICS,
    // The load generator is one client IP with a public key: the data-route limit would cap it.
    dataRateLimits: { perIpPerMinute: 0, perAppPerMinute: 0 },
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const bound = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    call(port, method, path, headers, body);
  return {
    port,
    call: bound,
    adminAndApp: async () => {
      const setup = await bound(
        'POST',
        '/v1/admin/setup',
        {},
        { email: 'bench@example.com', password: 'a long bench password' },
      );
      const admin = { authorization: `Bearer ${setup.body.accessToken}` };
      const created = await bound('POST', '/v1/admin/apps', admin, { name: 'bench' });
      return { admin, appId: created.body.id as string, pk: { 'x-hearth-key': created.body.keys.public as string } };
    },
    close: async () => {
      await new Promise((r) => server.close(r));
      await ports.close();
      await cleanup();
    },
  };
}

export interface Result {
  engine: string;
  op: string;
  n: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `run(i)` for i < n with CONCURRENCY callers; throughput and latency percentiles. */
export async function measure(
  engine: string,
  op: string,
  n: number,
  run: (i: number) => Promise<void>,
): Promise<Result> {
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

/** Runs the benchmark on every engine of --engines and prints one Markdown table. */
export async function runAndPrint(title: string, perEngine: (engine: string) => Promise<Result[]>): Promise<void> {
  const all: Result[] = [];
  for (const engine of ENGINES) all.push(...(await perEngine(engine)));
  agent.destroy();
  console.log(`\n${title} — node ${process.version}, concurrency ${CONCURRENCY}\n`);
  console.log('| engine | operation | requests | req/s | p50 ms | p99 ms |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of all) {
    console.log(
      `| ${r.engine} | ${r.op} | ${r.n} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`,
    );
  }
}
