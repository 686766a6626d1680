#!/usr/bin/env node
/**
 * Hearth side by side with Parse Server: `pnpm bench --peer parse` (= node bench/peer.mjs).
 *
 * Installs Parse Server from the npm registry into a cache folder outside the repository, starts
 * a private PostgreSQL cluster (Debian's packages, installed when missing), Parse Server, Hearth
 * (`node server/dist/main.js`) and express's hello world (the ceiling), each its own process on
 * 127.0.0.1 stopped by pid; seeds the same data through each API; loads both with the same
 * workloads (autocannon, in this process: never in a server's) and prints one Markdown table,
 * also written as JSON to bench/results/. With --node24 everything runs on Node 24 from the npm
 * registry. Options: bench/peer/options.mjs; what the numbers mean: bench/README.md.
 * Never part of the test run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hearthApi } from './peer/hearth-api.mjs';
import { closeClient } from './peer/http.mjs';
import { installNode, installParse } from './peer/installs.mjs';
import { HELP, parseOptions } from './peer/options.mjs';
import { parseApi } from './peer/parse-api.mjs';
import { startPostgres } from './peer/postgres.mjs';
import { addCleanup, shutdown, stopOnSignals } from './peer/procs.mjs';
import { heading, markdownTable, notes, writeJson } from './peer/report.mjs';
import { ROOT, startHearth, startHello, startParse } from './peer/servers.mjs';
import { measure, probe, RUN_ORDER, WORKLOADS } from './peer/workloads.mjs';

const NODE24 = '24.22.3';

if (process.argv.includes('--help')) {
  console.log(HELP);
  process.exit(0);
}
let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  console.error(`${err.message}\n\n${HELP}`);
  process.exit(2);
}

/** --node24 on another Node: install Node 24 and run this same script on it. */
if (options.node24 && process.versions.node.split('.')[0] !== '24') {
  const nodeDir = await installNode(NODE24);
  const child = spawn(join(nodeDir, 'bin', 'node'), [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`, npm_config_nodedir: nodeDir },
  });
  // The child stops its servers itself on SIGINT/SIGTERM; this process waits for it.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
} else {
  await main().catch((err) => {
    console.error(`\npeer benchmark failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  });
}

function gitCommit() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'server'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha}+changes` : sha;
  } catch {
    return 'unknown';
  }
}

/** Seeds one server, printing progress every 10%. */
async function seed(target) {
  const total = options.docs * 2;
  let shown = 0;
  const started = Date.now();
  await target.seed({
    docCount: options.docs,
    concurrency: options.seedConcurrency,
    onProgress: (i) => {
      const tenth = Math.floor((i * 10) / total);
      if (tenth > shown) {
        shown = tenth;
        process.stderr.write(` ${tenth * 10}%`);
      }
    },
  });
  console.error(` — ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function main() {
  for (const id of options.workloads ?? []) {
    if (!RUN_ORDER.includes(id)) throw new Error(`unknown workload ${id}; the workloads are ${RUN_ORDER.join(', ')}`);
  }
  const chosen = RUN_ORDER.filter((id) => !options.workloads || options.workloads.includes(id));
  const loadBefore = os.loadavg();
  if (loadBefore[0] > 1.5) {
    console.error(
      `warning: the 1-minute load average is ${loadBefore[0].toFixed(2)}: other work shares the CPU, so these numbers are not a measurement of the servers.`,
    );
  }
  stopOnSignals();
  const date = new Date().toISOString();
  const runDir = mkdtempSync(join(os.tmpdir(), 'hearth-bench-run-'));
  if (!options.keep) addCleanup(() => rmSync(runDir, { recursive: true, force: true }));
  const profileDir = options.cpuProf ? join(ROOT, 'bench', 'results', 'profiles', date.replace(/[:.]/g, '-')) : null;
  try {
    const parseDir = options.hearthOnly ? null : await installParse(options.parseVersion);
    const pg = options.hearthOnly ? null : await startPostgres({ logDir: runDir, fsync: options.pgFsync });
    if (pg) console.error(`PostgreSQL ${pg.version} on ${pg.url} (pid ${pg.pid}, fsync ${pg.fsync ? 'on' : 'off'})`);
    const hello = await startHello({ runDir });
    const hearthServer = await startHearth({ runDir, profileDir, workers: options.workers });
    const parseServer = pg ? await startParse({ runDir, parseDir, databaseUri: pg.url, profileDir }) : null;
    console.error(
      `node ${process.version}: express hello world pid ${hello.pid}, Hearth pid ${hearthServer.pid}${hearthServer.copied ? ' (server copy with better-sqlite3 for this Node)' : ''}${parseServer ? `, Parse Server ${options.parseVersion} pid ${parseServer.pid}` : ''}`,
    );
    const targets = [hearthApi(hearthServer)];
    if (parseServer) targets.push(parseApi({ ...parseServer, dbPid: pg.pid }));

    for (const target of targets) {
      console.error(`${target.name}: setup and ${options.users} users…`);
      await target.setup({ userCount: options.users });
      process.stderr.write(`${target.name}: seeding 2 × ${options.docs} documents…`);
      await seed(target);
    }
    // Statistics now, so autovacuum's analyze does not start in the middle of a measurement.
    if (pg) await pg.sql('VACUUM ANALYZE');

    const measureOptions = (connections) => ({ connections, duration: options.duration, warmup: options.warmup });
    const ceiling = {};
    for (const c of options.connections) {
      console.error(`express hello world, ${c} connections…`);
      ceiling[c] = await measure(hello, () => ({ method: 'GET', path: '/' }), measureOptions(c));
    }
    const rows = [];
    for (const id of chosen) {
      const workload = WORKLOADS.find((w) => w.id === id);
      for (const target of targets) await probe(target, workload);
      for (const c of options.connections) {
        const row = { workload: id, connections: c };
        for (const target of targets) {
          console.error(`${workload.title}: ${target.name}, ${c} connections…`);
          row[target.name] = await measure(target, target.requests[workload.request], measureOptions(c));
        }
        rows.push(row);
      }
    }

    const report = {
      date,
      node: process.version,
      machine: {
        platform: `${os.type()} ${os.release()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memGiB: Math.round(os.totalmem() / 2 ** 30),
        loadBefore,
        loadAfter: os.loadavg(),
      },
      hearth: { commit: gitCommit(), serverCopy: hearthServer.copied },
      parse: pg ? { version: options.parseVersion, postgres: pg.version, pgFsync: pg.fsync } : null,
      options,
      ceiling,
      rows,
    };
    console.log(`\n${heading(report)}\n\n${markdownTable(report)}\n\n${notes(report)}\n`);
    console.log(`JSON: ${writeJson(ROOT, report)}`);
    if (profileDir) console.log(`CPU profiles: ${profileDir}`);
    if (options.keep) console.log(`logs and data: ${runDir}`);
  } finally {
    closeClient();
    await shutdown();
  }
}
