/**
 * A private PostgreSQL cluster for Parse Server: the server binaries from Debian's packages
 * (installed with apt-get when missing, which needs root), `initdb` into a fresh temporary folder,
 * `postgres` on a free 127.0.0.1 port with no Unix socket, stopped by its pid (SIGINT: fast
 * shutdown) and the folder removed by shutdown() at the end. As root the cluster runs as the `postgres` system
 * user (PostgreSQL refuses to run as root).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addCleanup, commandExists, freePort, run, startProcess, waitUntil } from './procs.mjs';

/** The newest /usr/lib/postgresql/<major>/bin holding a server, or null. */
function findBinDir() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0], 'bin') : null;
}

export async function ensurePostgres() {
  let bin = findBinDir();
  if (bin) return bin;
  if (process.getuid() !== 0) {
    throw new Error('PostgreSQL is not installed: run `apt-get install -y postgresql` as root, or run this as root.');
  }
  if (!commandExists('apt-get')) throw new Error('PostgreSQL is not installed and apt-get is not available.');
  console.error("installing PostgreSQL from Debian's packages (apt-get)…");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env });
  await run('apt-get', ['install', '-y', '-qq', 'postgresql'], { env });
  bin = findBinDir();
  if (!bin) throw new Error('apt-get installed postgresql, but no server binary is under /usr/lib/postgresql/*/bin');
  return bin;
}

/** uid and gid of the `postgres` system user (created by Debian's package). */
function postgresUser() {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no `postgres` user to run PostgreSQL as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Starts the cluster (stopped and removed by shutdown()); `{url, pid, version, fsync, sql}`. `fsync: false` (the default of the
 * benchmark) acknowledges a commit once it is written to the OS, not yet flushed to disk: the
 * guarantee Hearth's SQLite engine gives (WAL, synchronous=NORMAL). `logDir` gets postgres.log.
 */
export async function startPostgres({ logDir, fsync = false }) {
  const bin = await ensurePostgres();
  const user = process.getuid() === 0 ? postgresUser() : {};
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-pg-'));
  if (user.uid !== undefined) chownSync(dataDir, user.uid, user.gid);
  const asUser = { uid: user.uid, gid: user.gid, env: { PATH: process.env.PATH, LANG: 'C' }, cwd: dataDir };
  await run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale'], {
    ...asUser,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const port = await freePort();
  const proc = startProcess(
    'postgres',
    join(bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      `fsync=${fsync ? 'on' : 'off'}`,
      '-c',
      'max_connections=200',
    ],
    { ...asUser, logFile: join(logDir, 'postgres.log'), stopSignal: 'SIGINT', graceMs: 20_000 },
  );
  addCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
  try {
    await waitUntil(proc, 'connections', async () => {
      await run(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      return true;
    });
    await run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'parse'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" → "15.18"
  const version = /\) (\S+)/.exec(execFileSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }))?.[1];
  return {
    url: `postgres://postgres@127.0.0.1:${port}/parse`,
    pid: proc.pid,
    version,
    fsync,
    /** Runs one SQL command in the `parse` database (psql). */
    sql: (command) =>
      run(
        join(bin, 'psql'),
        ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'parse', '-c', command],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      ),
  };
}
