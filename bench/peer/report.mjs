/**
 * The result: one Markdown table (each workload at each connection count: both servers' req/s,
 * p50, p99, CPU and peak RSS, the Hearth/Parse ratio, and each server as a fraction of express's
 * hello-world ceiling on the same Node) and the same data as JSON in bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKLOADS } from './workloads.mjs';

const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const ms = (x) => (Number.isFinite(x) ? x.toFixed(2) : '—');
const pct = (x) => (Number.isFinite(x) ? `${Math.round(x)}%` : '—');
const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');

/** req/s, with the count of failed requests when there were any (they are not in req/s). */
function rate(r) {
  if (!r) return '—';
  const failed = r.non2xx + r.errors;
  return failed > 0 ? `${int(r.perSecond)} (${int(failed)} failed!)` : int(r.perSecond);
}

function cpu(r) {
  if (!r) return '—';
  return r.dbCpuPercent === null ? pct(r.cpuPercent) : `${pct(r.cpuPercent)} + pg ${pct(r.dbCpuPercent)}`;
}

/** Server CPU per request in ms (Parse: its Node process; PostgreSQL's share is in CPU). */
function cpuMs(r) {
  return r && Number.isFinite(r.cpuMsPerRequest) ? r.cpuMsPerRequest.toFixed(3) : '—';
}

export function markdownTable(report) {
  const lines = [
    '| workload | conns | Hearth req/s | p50 ms | p99 ms | CPU | CPU ms/req | RSS MiB | Parse req/s | p50 ms | p99 ms | CPU | CPU ms/req | RSS MiB | Hearth/Parse | Hearth/ceiling | Parse/ceiling |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of report.options.connections) {
    const e = report.ceiling[c];
    if (!e) continue;
    lines.push(
      `| express hello world (ceiling) | ${c} | ${rate(e)} | ${ms(e.p50)} | ${ms(e.p99)} | ${pct(e.cpuPercent)} | ${cpuMs(e)} | ${int(e.peakRssMiB)} | | | | | | | | 100% | 100% |`,
    );
  }
  for (const w of WORKLOADS) {
    for (const c of report.options.connections) {
      const row = report.rows.find((r) => r.workload === w.id && r.connections === c);
      if (!row) continue;
      const { hearth: h, parse: p } = row;
      const ceiling = report.ceiling[c]?.perSecond;
      lines.push(
        [
          '',
          w.title,
          c,
          rate(h),
          ms(h?.p50),
          ms(h?.p99),
          cpu(h),
          cpuMs(h),
          int(h?.peakRssMiB),
          rate(p),
          ms(p?.p50),
          ms(p?.p99),
          cpu(p),
          cpuMs(p),
          int(p?.peakRssMiB),
          times(h?.perSecond / p?.perSecond),
          pct((h?.perSecond / ceiling) * 100),
          pct((p?.perSecond / ceiling) * 100),
          '',
        ]
          .join(' | ')
          .trim(),
      );
    }
  }
  return lines.join('\n');
}

/** What to know when reading the table: the client's CPU (it shares the machine) and failures. */
export function notes(report) {
  const all = [...Object.values(report.ceiling), ...report.rows.flatMap((r) => [r.hearth, r.parse])].filter(Boolean);
  const client = Math.max(...all.map((r) => r.clientCpuPercent));
  const lines = [
    `CPU: % of one core used by the server process during the measurement (Parse: + its PostgreSQL backends); RSS: peak resident set size (VmHWM) during the measurement; the client (autocannon, one process) used up to ${pct(client)} of a core.`,
  ];
  if (client > 90)
    lines.push('The client was near a full core in some runs: those rows may measure the client, not the server.');
  if (all.some((r) => r.non2xx + r.errors > 0))
    lines.push('Some requests failed (see "failed!"): the JSON file lists the status codes.');
  return lines.join('\n');
}

const workers = (report) => (report.options.workers > 1 ? `, ${report.options.workers} workers` : '');

export function heading(report) {
  const m = report.machine;
  return [
    report.parse
      ? `Hearth (${report.hearth.commit}${workers(report)}) vs Parse Server ${report.parse.version} on PostgreSQL ${report.parse.postgres} (fsync ${report.parse.pgFsync ? 'on' : 'off'}),`
      : `Hearth (${report.hearth.commit}${workers(report)}) alone (--hearth-only),`,
    `node ${report.node}, ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB; ${report.options.docs.toLocaleString('en-US')} documents per collection,`,
    `${report.options.users} users, ${report.options.duration} s per measurement after ${report.options.warmup} s of warm-up;`,
    `load average before ${m.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${m.loadAfter.map((l) => l.toFixed(2)).join(' ')}.`,
  ].join('\n');
}

export function writeJson(root, report) {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = report.date.replace(/[:.]/g, '-');
  const file = join(dir, `peer-parse-${stamp}-node${report.node.replace(/^v/, '')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}
