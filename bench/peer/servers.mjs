/**
 * The three servers of a run, each its own process on a free 127.0.0.1 port, started with the
 * Node running this script and stopped by pid (procs.mjs): express's hello world (the ceiling),
 * Hearth as production starts it (`node server/dist/main.js`, DATA_DIR in the run's folder), and
 * Parse Server on the private PostgreSQL cluster.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installBetterSqlite } from './installs.mjs';
import { freePort, httpAnswers, run, startProcess, waitUntil } from './procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = dirname(dirname(here));
const SERVER = join(ROOT, 'server');

/** Only what the servers need from the environment: no MONGODB_URL, REDIS_URL… leaking in. */
function baseEnv() {
  return { PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', NODE_ENV: 'production' };
}

function profileArgs(profileDir, name) {
  if (!profileDir) return [];
  const dir = join(profileDir, name);
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

export async function startHello({ runDir }) {
  const port = await freePort();
  const proc = startProcess('express hello world', process.execPath, [join(here, 'hello-server.mjs'), String(port)], {
    env: baseEnv(),
    cwd: runDir,
    logFile: join(runDir, 'hello.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(proc, 'HTTP', () => httpAnswers(url));
  return { name: 'express', url, pid: proc.pid };
}

/** Newest modification time of the files under dir (recursively). */
function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds server/dist (tsc) when it is missing or older than server/src. */
export async function ensureHearthBuild() {
  const main = join(SERVER, 'dist', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newest(join(SERVER, 'src'))) return;
  console.error('building the server (tsc -p server/tsconfig.build.json)…');
  await run(process.execPath, [join(SERVER, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: SERVER,
  });
}

function sqliteLoads(cwd) {
  try {
    execFileSync(process.execPath, ['-e', "require('better-sqlite3')(':memory:').close()"], { cwd, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The server folder to run: the worktree's own, or, when its better-sqlite3 was built for another
 * Node (e.g. the worktree is built for Node 20 and this runs on Node 24), a copy in the run's
 * folder: dist and package.json copied, every dependency linked to the worktree's except
 * better-sqlite3, which comes from the cache, built for this Node. The worktree is not touched.
 */
async function serverDirFor(runDir) {
  if (sqliteLoads(SERVER)) return SERVER;
  const version = JSON.parse(readFileSync(join(SERVER, 'package.json'), 'utf8')).dependencies['better-sqlite3'];
  console.error(
    `server/node_modules/better-sqlite3 is not built for Node ${process.version}: using a copy of the server`,
  );
  const sqlite = await installBetterSqlite(version);
  const copy = join(runDir, 'server');
  mkdirSync(join(copy, 'node_modules'), { recursive: true });
  cpSync(join(SERVER, 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join(SERVER, 'package.json'), join(copy, 'package.json'));
  for (const name of readdirSync(join(SERVER, 'node_modules'))) {
    if (name.startsWith('.') || name === 'better-sqlite3') continue;
    symlinkSync(realpathSync(join(SERVER, 'node_modules', name)), join(copy, 'node_modules', name));
  }
  symlinkSync(sqlite, join(copy, 'node_modules', 'better-sqlite3'));
  if (!sqliteLoads(copy)) throw new Error(`better-sqlite3 from ${sqlite} does not load on Node ${process.version}`);
  return copy;
}

export async function startHearth({ runDir, profileDir, workers = 1 }) {
  await ensureHearthBuild();
  const serverDir = await serverDirFor(runDir);
  const port = await freePort();
  const dataDir = join(runDir, 'hearth-data');
  mkdirSync(dataDir, { recursive: true });
  const proc = startProcess(
    'hearth',
    process.execPath,
    [...profileArgs(profileDir, 'hearth'), join(serverDir, 'dist', 'main.js')],
    {
      env: {
        ...baseEnv(),
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: dataDir,
        DASHBOARD_DIR: join(ROOT, 'dashboard', 'dist'),
        // The load generator is one client IP with a public key; Parse has no such limit either.
        DATA_RATE_LIMIT: '0',
        WORKERS: String(workers),
      },
      cwd: runDir,
      logFile: join(runDir, 'hearth.log'),
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(proc, 'HTTP', () => httpAnswers(`${url}/healthz`));
  return { name: 'hearth', url, pid: proc.pid, copied: serverDir !== SERVER, cluster: workers > 1 };
}

export const PARSE_KEYS = {
  appId: 'hearth-bench',
  masterKey: 'bench-master-key-0123456789',
  restKey: 'bench-rest-key',
};

export async function startParse({ runDir, parseDir, databaseUri, profileDir }) {
  const port = await freePort();
  const logsDir = join(runDir, 'parse-logs');
  mkdirSync(logsDir, { recursive: true });
  const proc = startProcess(
    'parse-server',
    process.execPath,
    [...profileArgs(profileDir, 'parse'), join(here, 'parse-server.mjs')],
    {
      env: {
        ...baseEnv(),
        PARSE_DIR: parseDir,
        PARSE_APP_ID: PARSE_KEYS.appId,
        PARSE_MASTER_KEY: PARSE_KEYS.masterKey,
        PARSE_REST_KEY: PARSE_KEYS.restKey,
        PARSE_DATABASE_URI: databaseUri,
        PARSE_PORT: String(port),
        PARSE_LOGS_DIR: logsDir,
      },
      cwd: runDir,
      logFile: join(runDir, 'parse.log'),
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(proc, 'HTTP', () => httpAnswers(`${url}/parse/health`));
  return { name: 'parse', url, pid: proc.pid };
}
