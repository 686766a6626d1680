#!/usr/bin/env node
/**
 * Realtime benchmark: one Hearth server process (main.ts on SQLite, default settings) and
 * socket.io-client subscribers in this process.
 *
 *   node bench/realtime.mjs [--subscribers 1000,10000] [--writes 5] [--sustained-writes 200]
 *                           [--client raw|socket.io] [--workers N] [--server-cpu-prof DIR] [--json]
 *
 * `--client raw` (default): minimal WebSocket + socket.io protocol clients on plain TCP sockets
 * (realtime/raw-client.mjs), so the clients' own decoding, which shares the machine's CPU with
 * the server, costs less; `--client socket.io`:
 * socket.io-client. `--workers N` (N > 1): the server runs WORKERS=N node:cluster workers with
 * REDIS_URL set to a redis-server this script starts (and stops by pid) on a free port; each
 * worker holds part of the sockets, document events cross workers through Redis.
 *
 * Measures, for each subscriber count:
 * - fan-out latency: one write (HTTP POST) → `change` at every subscriber, from the change's `at`
 *   (the commit time on the server) to its arrival here; p50/p99 over all deliveries of `--writes`
 *   writes made one after the other;
 * - sustained deliveries/s: `--sustained-writes` writes sent 8 at a time, every subscriber matching
 *   every write; deliveries counted until the last one arrived;
 * - memory per idle connection: the server's RSS growth over the connected, subscribed clients.
 * The clients share this machine (and one process) with the server, so on a small box the numbers
 * include the clients' own cost of receiving: they are upper bounds for the server's latency.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createServer } from 'node:net';
import { cpuSeconds } from './peer/procs.mjs';
import { connectRaw } from './realtime/raw-client.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const serverDir = join(root, 'server');
const requireFromServer = createRequire(join(serverDir, 'package.json'));
const { io } = requireFromServer('socket.io-client');
const tsxLoader = pathToFileURL(
  join(dirname(requireFromServer.resolve('tsx/package.json')), 'dist', 'loader.mjs'),
).href;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const COUNTS = arg('subscribers', '1000,10000').split(',').map(Number);
const WRITES = Number(arg('writes', '5'));
const SUSTAINED = Number(arg('sustained-writes', '200'));
const JSON_OUT = process.argv.includes('--json');
/** `--server-cpu-prof <dir>`: the server writes a V8 CPU profile there when it stops (bench/profile-summary.mjs reads it). */
const SERVER_PROF = arg('server-cpu-prof', '');
const CLIENT = arg('client', 'raw');
const WORKERS = Number(arg('workers', '1'));
if (!['raw', 'socket.io'].includes(CLIENT)) throw new Error('--client is raw or socket.io');
if (!(WORKERS >= 1)) throw new Error('--workers is a positive number');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A redis-server without persistence on a free port, in the foreground (stopped by its pid). */
async function startRedis() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d.toString()));
  for (let i = 0; i < 100 && !/Ready to accept connections/.test(out); i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited:\n${out}`);
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}
const log = (...a) => console.error(...a);

function startServer(redisUrl) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-rt-'));
  const prof = SERVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${SERVER_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', tsxLoader, join(serverDir, 'src', 'main.ts')], {
    cwd: serverDir,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATA_DIR: dir,
      DATA_RATE_LIMIT: '0',
      ...(redisUrl ? { REDIS_URL: redisUrl, WORKERS: String(WORKERS) } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d.toString()));
  const url = (async () => {
    for (let i = 0; i < 600; i++) {
      const m = /API\s+(http:\/\/\S+)\/v1/.exec(err);
      if (m) return m[1];
      if (child.exitCode !== null) throw new Error(`server exited:\n${err}`);
      await sleep(100);
    }
    throw new Error(`server did not start:\n${err}`);
  })();
  return {
    child,
    url,
    /** CPU seconds used so far (user + system) by the server and its workers, from /proc. */
    cpuSeconds: () => cpuSeconds(child.pid, { children: WORKERS > 1 }),
    rssKb: () => [child.pid, ...childPids(child.pid)].reduce((sum, pid) => sum + rssKbOf(pid), 0),
    stderrTail: () => err.slice(-2000),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function rssKbOf(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return 0;
  }
}

function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function api(url, method, path, body, headers = {}, retried = false) {
  let res;
  try {
    res = await globalThis.fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    // A kept-alive connection the server closed while idle (the subscribe phase is long): once more.
    if (retried) throw e;
    return api(url, method, path, body, headers, true);
  }
  const json = await res.json().catch(() => ({}));
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const redis = WORKERS > 1 ? await startRedis() : null;
const server = startServer(redis?.url);
const results = [];
const clients = [];
try {
  const url = await server.url;
  const setup = await api(url, 'POST', '/v1/admin/setup', {
    email: 'bench@example.com',
    password: 'correct horse battery',
  });
  const admin = { Authorization: `Bearer ${setup.accessToken}` };
  const app = await api(url, 'POST', '/v1/admin/apps', { name: 'Bench' }, admin);
  const pk = app.keys.public;
  const rules = { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' };
  await api(
    url,
    'POST',
    `/v1/admin/apps/${app.id}/collections`,
    {
      name: 'feed',
      fields: [
        { name: 'text', type: 'string' },
        { name: 'topic', type: 'string' },
      ],
      rules,
    },
    admin,
  );
  const write = (topic) =>
    api(url, 'POST', `/v1/apps/${app.id}/collections/feed/documents`, { text: 'hello', topic }, { 'X-Hearth-Key': pk });
  let onChange = () => {};
  const connectOne =
    CLIENT === 'raw'
      ? () => connectRaw(url, `/apps/${app.id}`, { key: pk }, (event, c) => event === 'change' && onChange(c))
      : () =>
          new Promise((resolve, reject) => {
            const s = io(`${url}/apps/${app.id}`, {
              transports: ['websocket'],
              forceNew: true,
              reconnection: false,
              auth: { key: pk },
            });
            s.once('connect', () => resolve(s));
            s.once('connect_error', reject);
            s.on('change', (c) => onChange(c));
          });
  const subscribeOne = (s) =>
    CLIENT === 'raw'
      ? s.emitWithAck('subscribe', { collection: 'feed', filter: { topic: 'news' } })
      : s.timeout(30_000).emitWithAck('subscribe', { collection: 'feed', filter: { topic: 'news' } });
  const rssBefore = server.rssKb();
  for (const target of COUNTS) {
    log(`realtime: connecting and subscribing up to ${target} clients…`);
    while (clients.length < target) {
      const batch = await Promise.all(Array.from({ length: Math.min(200, target - clients.length) }, connectOne));
      const answers = await Promise.all(batch.map(subscribeOne));
      const refused = answers.find((a) => a?.error);
      if (refused) throw new Error(`subscribe refused: ${JSON.stringify(refused)}`);
      clients.push(...batch);
    }
    await sleep(1000);
    const rssPerConnKb = (server.rssKb() - rssBefore) / clients.length;

    // Fan-out latency: writes one after the other, each waited for at every subscriber.
    const latencies = [];
    const latencyCpu0 = server.cpuSeconds();
    for (let i = 0; i < WRITES; i++) {
      let got = 0;
      const done = new Promise((resolve) => {
        onChange = (c) => {
          latencies.push(Date.now() - Date.parse(c.at));
          if (++got === clients.length) resolve();
        };
      });
      await write('news');
      await done;
    }
    latencies.sort((a, b) => a - b);
    // Server CPU per write (the HTTP write and its whole fan-out): unlike wall-clock latency, this
    // barely depends on how busy the machine is (/proc counts only the server's own CPU time).
    const serverCpuMsPerWrite = ((server.cpuSeconds() - latencyCpu0) * 1000) / WRITES;

    // Sustained: many writes, 8 in flight.
    let delivered = 0;
    const expected = SUSTAINED * clients.length;
    const allIn = new Promise((resolve) => {
      onChange = () => {
        if (++delivered === expected) resolve();
      };
    });
    const t0 = performance.now();
    const serverCpu0 = server.cpuSeconds();
    const clientCpu0 = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < SUSTAINED) {
          next++;
          await write('news');
        }
      }),
    );
    await Promise.race([allIn, sleep(300_000)]);
    const seconds = (performance.now() - t0) / 1000;
    const clientCpu = process.cpuUsage(clientCpu0);
    const serverCpuShare = (server.cpuSeconds() - serverCpu0) / seconds;
    const clientCpuShare = (clientCpu.user + clientCpu.system) / 1e6 / seconds;
    const row = {
      subscribers: clients.length,
      client: CLIENT,
      workers: WORKERS,
      deliveries: latencies.length,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      max: latencies.at(-1),
      serverCpuMsPerWrite,
      sustainedDeliveries: delivered,
      deliveriesPerSecond: delivered / seconds,
      rssPerConnectionKb: rssPerConnKb,
      /** Cores busy during the sustained phase: the server's, and this process's (the clients). */
      serverCores: serverCpuShare,
      /** Deliveries per second of server CPU: what one core would do if the server had it alone. */
      deliveriesPerServerCpuSecond: delivered / (server.cpuSeconds() - serverCpu0 || Number.NaN),
      clientCores: clientCpuShare,
      /** The machine's 1-minute load average when the row finished (2 cores: above 2 means queueing). */
      load: loadavg()[0],
    };
    results.push(row);
    log(`realtime: ${JSON.stringify(row)}`);
  }
} catch (e) {
  log(`realtime benchmark failed: ${e?.stack ?? e}\nserver stderr (tail):\n${server.stderrTail()}`);
  process.exitCode = 1;
} finally {
  for (const s of clients) s.disconnect();
  await server.stop();
  await redis?.stop();
}

if (JSON_OUT) {
  for (const r of results) console.log(JSON.stringify(r));
} else {
  console.log(
    '\n| subscribers | client | workers | fan-out p50 ms | p99 ms | max ms | server CPU ms per write | sustained deliveries/s | per server CPU-second | server RSS per connection | load |',
  );
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.subscribers} | ${r.client} | ${r.workers} | ${r.p50} | ${r.p99} | ${r.max} | ${r.serverCpuMsPerWrite.toFixed(0)} | ${Math.round(r.deliveriesPerSecond)} | ${Math.round(r.deliveriesPerServerCpuSecond)} | ${r.rssPerConnectionKb.toFixed(1)} KiB | ${r.load.toFixed(1)} |`,
    );
  }
  console.log(
    `\nClients (${CLIENT === 'raw' ? 'minimal protocol clients' : 'socket.io-client'}) run in the benchmark process on the same machine as the server (see bench/README.md).`,
  );
}
process.exit(process.exitCode ?? 0);
