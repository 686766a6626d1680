/**
 * The workloads, the same for both servers (each server's API module says which request each
 * one sends), and one measurement: a probe request checked by hand, a warm-up, then autocannon
 * for --duration seconds while the server's CPU time and peak RSS are read from /proc.
 */
import autocannon from 'autocannon';
import { send } from './http.mjs';
import { cpuSeconds, peakRssMiB, resetPeakRss } from './procs.mjs';

/** In table order. `request` names the entry of the server API's `requests`. */
export const WORKLOADS = [
  { id: 'create', title: 'create (public key)', request: 'create' },
  { id: 'create-owned', title: 'create, signed-in user (owner rules / ACL)', request: 'createOwned' },
  { id: 'list', title: 'filtered list {category} sort -score, 20', request: 'list', list: true },
  { id: 'list-count', title: 'filtered list + exact count', request: 'listCount', list: true, count: true },
  { id: 'get', title: 'get by id (random)', request: 'get' },
  { id: 'update', title: 'update $inc (Parse: Increment)', request: 'update' },
  { id: 'list-owned', title: 'filtered list, signed-in user (owner rules / ACL)', request: 'listOwned', list: true },
  { id: 'get-owned', title: 'get by id, signed-in user (owner rules / ACL)', request: 'getOwned' },
];

/** Reads first, on exactly the seeded documents; then the update; the creates last. */
export const RUN_ORDER = ['list', 'list-count', 'get', 'list-owned', 'get-owned', 'update', 'create', 'create-owned'];

/**
 * Requests through the runner's client before the load: each must succeed (and a count must
 * come back), and a list workload must return items at least once in 20 tries (a signed-in
 * user's list of one category may be empty when few documents are seeded).
 */
export async function probe(target, workload) {
  let found = !workload.list;
  for (let i = 0; i < 20; i++) {
    const req = target.requests[workload.request]();
    const res = await send(target.url, req);
    const fail = (why) => {
      throw new Error(
        `${target.name}, ${workload.id}: ${req.method} ${req.path} ${why}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
      );
    };
    if (res.status < 200 || res.status > 299) fail('failed');
    if (workload.count && typeof res.body?.count !== 'number') fail('returned no count');
    if (workload.list && target.items(res.body)?.length > 0) found = true;
    if (found && i >= 2) return;
  }
  throw new Error(`${target.name}, ${workload.id}: 20 requests, all returned no items`);
}

/**
 * One autocannon run. Its own latency histogram has 1 ms resolution, so the latency of every
 * 2xx response is also kept here (autocannon measures it with hrtime) for exact percentiles.
 */
function load(url, next, connections, duration) {
  const latencies = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, connections, duration, requests: [{ setupRequest: (req) => ({ ...req, ...next() }) }] },
      (err, result) => (err ? reject(err) : resolve({ result, latencies: Float64Array.from(latencies).sort() })),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] : NaN;

/**
 * Loads `server` ({url, pid, dbPid?}) with requests from `next()`; returns req/s, latency
 * percentiles, the server's CPU (% of one core; the database's separately) and peak RSS.
 */
export async function measure(server, next, { connections, duration, warmup }) {
  if (warmup > 0) await load(server.url, next, connections, warmup);
  const rssReset = resetPeakRss(server.pid);
  // With node:cluster workers (WORKERS > 1) the primary's children do the work.
  const serverCpu = () => cpuSeconds(server.pid, { children: Boolean(server.cluster) });
  const cpu0 = serverCpu();
  const db0 = server.dbPid ? cpuSeconds(server.dbPid, { children: true }) : NaN;
  const client0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const { result: r, latencies } = await load(server.url, next, connections, duration);
  const t1 = process.hrtime.bigint();
  const seconds = Number(t1 - t0) / 1e9;
  const client = process.cpuUsage(client0);
  const failed = Object.entries(r.statusCodeStats ?? {}).filter(([code]) => !code.startsWith('2'));
  return {
    connections,
    seconds: r.duration,
    requests: r.requests.total,
    perSecond: r.requests.average,
    p50: percentile(latencies, 0.5),
    p90: percentile(latencies, 0.9),
    p99: percentile(latencies, 0.99),
    max: percentile(latencies, 1),
    non2xx: r.non2xx,
    statusCodes: Object.fromEntries(failed.map(([code, s]) => [code, s.count])),
    errors: r.errors,
    timeouts: r.timeouts,
    cpuPercent: ((serverCpu() - cpu0) / seconds) * 100,
    // Server CPU time per request (ms): much less sensitive to other load than req/s.
    cpuMsPerRequest: ((serverCpu() - cpu0) * 1000) / Math.max(1, r.requests.total),
    dbCpuPercent: server.dbPid ? ((cpuSeconds(server.dbPid, { children: true }) - db0) / seconds) * 100 : null,
    clientCpuPercent: ((client.user + client.system) / 1e6 / seconds) * 100,
    peakRssMiB: peakRssMiB(server.pid),
    peakRssSince: rssReset ? 'measurement' : 'process start',
    // The measurement on the monotonic clock in µs (a V8 CPU profile's clock): profile-summary.mjs
    // picks this window out of a whole-run profile.
    window: { fromUs: Number(t0 / 1000n), toUs: Number(t1 / 1000n) },
  };
}
