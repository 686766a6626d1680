#!/usr/bin/env node
/**
 * The benchmark: `pnpm bench` (= node bench/run.mjs). Runs the port-level store benchmark
 * (bench/store.ts) on each engine and the HTTP document benchmark (bench/http-documents.ts),
 * each in its own process with tsx, and prints one table.
 *
 *   node bench/run.mjs [--docs 100000] [--ops 2000] [--concurrency 16] [--engines sqlite,mongodb]
 *                      [--http-docs 5000] [--http-ops 5000] [--no-http] [--jongodb-docs 2000]
 *                      [--jobs 20000] [--no-jobs]   (jobs/s end to end: bench/jobs.ts)
 *                      [--push-n 5000] [--no-push]   push deliveries per provider: bench/push.mjs
 *   node bench/run.mjs --peer parse [...]   side by side with Parse Server: bench/peer.mjs
 *   node bench/run.mjs --files [...]        uploads and downloads per file engine: bench/files.mjs
 *   --no-webhooks skips the webhook delivery benchmark (bench/webhooks.mjs)
 *
 * MongoDB: MONGODB_URL when set (e.g. a real mongod), else one MongoDB-wire test server
 * (jongodb, started here with server/test/servers/jongodb.ts and stopped by pid at the end),
 * shared by both benchmarks. See bench/README.md for what each number means.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** `pnpm bench --peer parse`: the side-by-side benchmark against Parse Server (bench/peer.mjs), in its own process. */
if (process.argv.includes('--peer')) {
  const child = spawn(process.execPath, [join(root, 'bench', 'peer.mjs'), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // peer.mjs stops its servers itself on SIGINT/SIGTERM; wait for it.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  process.exit(await new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)))));
}

/** `pnpm bench --files`: the file upload/download benchmark (bench/files.mjs), in its own process. */
if (process.argv.includes('--files')) {
  const child = spawn(process.execPath, [join(root, 'bench', 'files.mjs'), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  process.exit(await new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)))));
}

const serverDir = join(root, 'server');
const tsx = join(serverDir, 'node_modules', '.bin', 'tsx');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const DOCS = arg('docs', '100000');
const OPS = arg('ops', '2000');
const CONCURRENCY = arg('concurrency', '16');
const ENGINES = arg('engines', 'sqlite,mongodb').split(',');
const HTTP_DOCS = arg('http-docs', '5000');
const HTTP_OPS = arg('http-ops', '5000');
const HTTP = !process.argv.includes('--no-http');
const METRICS = arg('metrics', 'off');
const JOBS = arg('jobs', '20000');
const RUN_JOBS = !process.argv.includes('--no-jobs');
/**
 * jongodb (the test server) spends time linear in the collection size on every insert, so
 * 100,000 documents would take hours there: without MONGODB_URL the MongoDB runs use at most
 * this many documents (the table says how many each row used).
 */
const JONGODB_DOCS = arg('jongodb-docs', '2000');

/** Runs a tsx script in the server folder; resolves with its stdout (stderr is passed through). */
function runTsx(script, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [script, ...args], { cwd: serverDir, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve(out) : reject(new Error(`${script} failed (${signal ?? code}):\n${out}`)),
    );
  });
}

let jongodb = null;
const env = { ...process.env };
if (ENGINES.includes('mongodb') && !env.MONGODB_URL) {
  const requireFromServer = createRequire(join(serverDir, 'package.json'));
  const tsxDir = dirname(requireFromServer.resolve('tsx/package.json'));
  const { tsImport } = await import(pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href);
  const { startJongodb } = await tsImport(join(serverDir, 'test/servers/jongodb.ts'), import.meta.url);
  jongodb = await startJongodb();
  env.MONGODB_URL = jongodb.url;
  console.error(`jongodb (MongoDB-wire test server) on ${jongodb.url}, pid ${jongodb.pid}`);
}
const mongoLabel = jongodb ? 'mongodb (jongodb)' : 'mongodb';
/** Documents for one engine: capped on jongodb. */
const docsFor = (engine, n) =>
  engine === 'mongodb' && jongodb ? String(Math.min(Number(n), Number(JONGODB_DOCS))) : n;

const rows = [];
/** Lines printed under the table (realtime memory per connection and the machine's load). */
const realtimeNotes = [];
try {
  for (const engine of ENGINES) {
    console.error(`store benchmark: ${engine}, ${docsFor(engine, DOCS)} documents…`);
    const out = await runTsx(
      join(root, 'bench/store.ts'),
      ['--engine', engine, '--docs', docsFor(engine, DOCS), '--ops', OPS, '--concurrency', CONCURRENCY, '--json'],
      env,
    );
    for (const line of out.split('\n')) {
      if (!line.startsWith('{')) continue;
      const r = JSON.parse(line);
      rows.push({ ...r, layer: 'store', engine: r.engine === 'mongodb' ? mongoLabel : r.engine });
    }
  }
  const httpBenchmarks = [
    { script: 'bench/http-documents.ts', args: (docs) => ['--docs', docs, '--ops', HTTP_OPS] },
    // Sign-ups and logins cost an argon2id hash each (by design), so fewer of them.
    { script: 'bench/http-auth.ts', args: () => ['--users', '200', '--ops', HTTP_OPS] },
  ];
  for (const engine of HTTP ? ENGINES : []) {
    const docs = docsFor(engine, HTTP_DOCS);
    for (const bench of httpBenchmarks) {
      console.error(`HTTP benchmark ${bench.script}: ${engine}, ${HTTP_OPS} requests per operation…`);
      const out = await runTsx(
        join(root, bench.script),
        [...bench.args(docs), '--concurrency', CONCURRENCY, '--engines', engine, '--metrics', METRICS],
        env,
      );
      // its table: | engine | operation | requests | req/s | p50 ms | p99 ms |
      for (const line of out.split('\n')) {
        const cells = line.split('|').map((c) => c.trim());
        if (cells.length !== 8 || cells[1] !== engine) continue;
        rows.push({
          layer: 'http',
          engine: engine === 'mongodb' ? mongoLabel : engine,
          docs: bench.script.includes('documents') ? Number(docs) : '—',
          op: cells[2],
          n: Number(cells[3]),
          perSecond: Number(cells[4]),
          p50: Number(cells[5]),
          p99: Number(cells[6]),
        });
      }
    }
  }
  // Realtime (bench/realtime.mjs): fan-out latency and deliveries/s, one server on SQLite.
  if (!process.argv.includes('--no-realtime')) {
    console.error('realtime benchmark: fan-out to 1,000 and 10,000 subscribers…');
    const out = await new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          join(root, 'bench/realtime.mjs'),
          '--json',
          '--subscribers',
          arg('realtime-subscribers', '1000,10000'),
          '--workers',
          arg('realtime-workers', '1'),
        ],
        { env, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let text = '';
      child.stdout.on('data', (c) => (text += c.toString()));
      child.once('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`bench/realtime.mjs failed (${code})`)),
      );
    });
    for (const line of out.split('\n').filter((l) => l.startsWith('{'))) {
      const r = JSON.parse(line);
      rows.push({
        layer: 'realtime',
        engine: 'sqlite',
        docs: '—',
        op: `fan-out to ${r.subscribers} (commit→client${r.workers > 1 ? `, ${r.workers} workers` : ''})`,
        n: r.sustainedDeliveries,
        perSecond: r.deliveriesPerSecond,
        p50: r.p50,
        p99: r.p99,
      });
      realtimeNotes.push(
        `realtime, ${r.subscribers} subscribers: server RSS ${r.rssPerConnectionKb.toFixed(1)} KiB per idle connection; load average ${r.load.toFixed(1)} on this machine.`,
      );
    }
  }
  // Jobs end to end with a no-op handler: the embedded queue, and bull on REDIS_URL or a redis-server started here.
  let redis = null;
  try {
    for (const engine of RUN_JOBS ? ['sqlite', 'bull'] : []) {
      const jobsEnv = { ...env };
      if (engine === 'bull' && !jobsEnv.REDIS_URL) {
        const requireFromServer = createRequire(join(serverDir, 'package.json'));
        const tsxDir = dirname(requireFromServer.resolve('tsx/package.json'));
        const { tsImport } = await import(pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href);
        const { startRedis } = await tsImport(join(serverDir, 'test/servers/redis.ts'), import.meta.url);
        redis = await startRedis();
        jobsEnv.REDIS_URL = redis.url;
        console.error(`redis-server on ${redis.url}, pid ${redis.pid}`);
      }
      console.error(`jobs benchmark: ${engine}, ${JOBS} jobs…`);
      const out = await runTsx(join(root, 'bench/jobs.ts'), ['--engine', engine, '--jobs', JOBS, '--json'], jobsEnv);
      for (const line of out.split('\n')) if (line.startsWith('{')) rows.push(JSON.parse(line));
    }
  } finally {
    await redis?.stop();
  }
  // Webhook deliveries per second to a local receiver (SQLite store, embedded queue).
  if (!process.argv.includes('--no-webhooks')) {
    console.error('webhook benchmark: deliveries to a local receiver…');
    const out = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, 'bench/webhooks.mjs'), '--json'], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (c) => (text += c.toString()));
      child.once('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`bench/webhooks.mjs failed (${code})`)),
      );
    });
    for (const line of out.split('\n')) if (line.startsWith('{')) rows.push(JSON.parse(line));
  }
  // Push deliveries per provider against the local protocol servers (bench/push.mjs).
  if (!process.argv.includes('--no-push')) {
    console.error('push benchmark: deliveries per provider against the local protocol servers…');
    const out = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, 'bench/push.mjs'), '--json', '--n', arg('push-n', '5000')], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (c) => (text += c.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`bench/push.mjs failed (${code})`))));
    });
    for (const line of out.split('\n')) {
      if (!line.startsWith('{')) continue;
      const r = JSON.parse(line);
      rows.push({
        layer: 'push',
        engine: '—',
        docs: '—',
        op: `deliver (${r.provider})`,
        n: r.n,
        perSecond: r.perSecond,
        p50: r.p50,
        p99: r.p99,
      });
    }
  }
} finally {
  await jongodb?.stop();
}

const fixed = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
console.log(`\nHearth benchmark — node ${process.version}, ${CONCURRENCY} concurrent callers\n`);
console.log('| layer | engine | documents | operation | calls | calls/s | p50 ms | p99 ms |');
console.log('|---|---|---:|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.layer} | ${r.engine} | ${r.docs} | ${r.op} | ${r.n} | ${fixed(r.perSecond, 0)} | ${fixed(r.p50, 3)} | ${fixed(r.p99, 3)} |`,
  );
}
console.log(
  '\nstore: calls/s with the concurrent callers, p50/p99 from calls made one at a time; http: all with the concurrent callers; jobs: jobs/s from the first add to the last job done, p50/p99 the wait from add to the handler starting.',
);
for (const note of realtimeNotes) console.log(note);
