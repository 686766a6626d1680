#!/usr/bin/env node
/**
 * Top self-time functions of a V8 CPU profile (`node --cpu-prof`), optionally only the samples
 * of one measurement of a `--peer parse` run (its JSON has each measurement's window):
 *
 *   node bench/profile-summary.mjs <file.cpuprofile> [--report run.json --workload list [--server hearth]] [--top 25]
 *
 * Prints, per function (name, file:line), its self time as a % of the busy (non-idle) samples,
 * and the same grouped by package / source folder, so a before/after pair can be compared.
 */
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? fallback : argv[i + 1];
};
const file = argv[0];
if (!file || file.startsWith('--')) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--report run.json --workload id] [--top N]');
  process.exit(2);
}
const top = Number(opt('top', '25'));
const profile = JSON.parse(readFileSync(file, 'utf8'));

let window = null;
if (opt('report')) {
  const report = JSON.parse(readFileSync(opt('report'), 'utf8'));
  const server = opt('server', 'hearth');
  const workload = opt('workload');
  const conns = opt('connections');
  const row = report.rows.find((r) => r.workload === workload && (!conns || r.connections === Number(conns)));
  if (!row?.[server]?.window) throw new Error(`no window for ${server} ${workload} in ${opt('report')}`);
  window = row[server].window;
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
let t = profile.startTime;
let busy = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i];
  if (window && (t < window.fromUs || t > window.toUs)) continue;
  const node = byId.get(profile.samples[i]);
  const name = node.callFrame.functionName;
  if (name === '(idle)' || name === '(program)') {
    idle++;
    continue;
  }
  busy++;
  self.set(node.id, (self.get(node.id) ?? 0) + 1);
}

const where = (cf) => {
  const url = cf.url.replace(/^file:\/\//, '');
  const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return { group: m[1], at: `${m[1]}${url.slice(url.lastIndexOf('/'))}:${cf.lineNumber + 1}` };
  const src = /\/(src|dist)\/(.*)$/.exec(url);
  if (src)
    return { group: `hearth ${src[2].split('/').slice(0, -1).join('/') || '.'}`, at: `${src[2]}:${cf.lineNumber + 1}` };
  if (url.startsWith('node:')) return { group: 'node core', at: `${url}:${cf.lineNumber + 1}` };
  return { group: url ? 'other' : '(native / vm)', at: url ? `${url}:${cf.lineNumber + 1}` : '' };
};

const fns = new Map();
const groups = new Map();
for (const [id, n] of self) {
  const cf = byId.get(id).callFrame;
  const w = where(cf);
  const key = `${cf.functionName || '(anonymous)'}  ${w.at}`;
  fns.set(key, (fns.get(key) ?? 0) + n);
  groups.set(w.group, (groups.get(w.group) ?? 0) + n);
}
const pct = (n) => `${((n / busy) * 100).toFixed(1).padStart(5)}%`;
console.log(`${busy} busy samples${window ? ' in the window' : ''} (${idle} idle)`);
console.log('\nself time by function:');
for (const [k, n] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(n)}  ${k}`);
console.log('\nself time by package / folder:');
for (const [k, n] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(n)}  ${k}`);
