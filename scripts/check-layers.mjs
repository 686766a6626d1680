#!/usr/bin/env node
// The layer check of the lint step: dependency-cruiser validates the import rules of
// .dependency-cruiser.cjs (directions between layers, modules only through their index.ts, no
// file-level cycles), then this script collapses the graph to folders (modules/<name>, engines/<name>,
// http, ports, lib, config, and root files) and refuses any cycle between them.
//
//   node scripts/check-layers.mjs [--root DIR]   (DIR holds server/src; default: this repository)
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--root');
const root = i > 0 ? resolve(process.argv[i + 1]) : repo;
const depcruise = join(repo, 'node_modules', '.bin', 'depcruise');

const run = spawnSync(
  depcruise,
  ['server/src', '--config', join(repo, '.dependency-cruiser.cjs'), '--output-type', 'json'],
  { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
);
if (run.error || !run.stdout) {
  process.stderr.write(`layers: dependency-cruiser did not run: ${run.error?.message ?? run.stderr}\n`);
  process.exit(2);
}
const result = JSON.parse(run.stdout);
const problems = [];
for (const v of result.summary.violations) {
  const via = v.cycle ? ` (cycle: ${[v.from, ...v.cycle.map((c) => c.name ?? c)].join(' → ')})` : '';
  problems.push(`${v.rule.name}: ${v.from} → ${v.to}${via}`);
}

// Folder-level cycles.
const folderOf = (file) => {
  const rel = file.replace(/^server\/src\//, '');
  const parts = rel.split('/');
  if (parts.length === 1) return rel; // main.ts, app.ts, errors.ts, principals.ts
  if ((parts[0] === 'modules' || parts[0] === 'engines') && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  return parts[0];
};
const edges = new Map();
for (const m of result.modules) {
  if (!m.source.startsWith('server/src/')) continue;
  const from = folderOf(m.source);
  for (const d of m.dependencies) {
    if (!d.resolved.startsWith('server/src/')) continue;
    const to = folderOf(d.resolved);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
  }
}
// Tarjan's strongly connected components: any component of more than one folder is a cycle.
let index = 0;
const stack = [];
const state = new Map();
const components = [];
const visit = (v) => {
  state.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v) ?? []) {
    if (!state.has(w)) {
      visit(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) {
      state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
    }
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) components.push(component.sort());
  }
};
for (const v of edges.keys()) if (!state.has(v)) visit(v);
for (const c of components) problems.push(`no-folder-cycles: ${c.join(' ⇄ ')} import each other`);

if (problems.length) {
  process.stderr.write(`layers: ${problems.length} violation(s) (see .dependency-cruiser.cjs, docs/architecture.md)\n`);
  for (const p of problems) process.stderr.write(`  ✗ ${p}\n`);
  process.exit(1);
}
process.stdout.write(
  `layers: ok (${result.summary.totalCruised} files, ${result.summary.totalDependenciesCruised} imports, ${edges.size} folders, no cycles)\n`,
);
