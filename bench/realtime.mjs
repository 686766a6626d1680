#!/usr/bin/env node
/**
 * Realtime benchmark: one Hearth server process (main.ts on SQLite, default settings) and
 * socket.io-client subscribers in this process.
 *
 *   node bench/realtime.mjs [--subscribers 1000,10000] [--writes 5] [--sustained-writes 200] [--json]
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
const log = (...a) => console.error(...a);

function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-rt-'));
  const child = spawn(process.execPath, ['--import', tsxLoader, join(serverDir, 'src', 'main.ts')], {
    cwd: serverDir,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATA_DIR: dir,
      DATA_RATE_LIMIT: '0',
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
    /** CPU seconds used so far (user + system), from /proc. */
    cpuSeconds: () => {
      const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    },
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]),
    stderrTail: () => err.slice(-2000),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
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

const server = startServer();
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
  const connectOne = () =>
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
  const rssBefore = server.rssKb();
  for (const target of COUNTS) {
    log(`realtime: connecting and subscribing up to ${target} clients…`);
    while (clients.length < target) {
      const batch = await Promise.all(Array.from({ length: Math.min(200, target - clients.length) }, connectOne));
      await Promise.all(
        batch.map((s) => s.timeout(30_000).emitWithAck('subscribe', { collection: 'feed', filter: { topic: 'news' } })),
      );
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
}

if (JSON_OUT) {
  for (const r of results) console.log(JSON.stringify(r));
} else {
  console.log(
    '\n| subscribers | fan-out p50 ms | p99 ms | max ms | server CPU ms per write | sustained deliveries/s | per server CPU-second | server RSS per connection | load |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.subscribers} | ${r.p50} | ${r.p99} | ${r.max} | ${r.serverCpuMsPerWrite.toFixed(0)} | ${Math.round(r.deliveriesPerSecond)} | ${Math.round(r.deliveriesPerServerCpuSecond)} | ${r.rssPerConnectionKb.toFixed(1)} KiB | ${r.load.toFixed(1)} |`,
    );
  }
  console.log('\nClients run in the benchmark process on the same machine as the server (see bench/README.md).');
}
process.exit(process.exitCode ?? 0);
