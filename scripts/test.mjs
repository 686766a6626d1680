#!/usr/bin/env node
// The whole test suite: check that the programs the tests need are installed (before spending
// minutes on a build), build every package (the end-to-end tests run the built server and
// dashboard), type-check, lint, then run unit, integration, conformance and end-to-end suites with
// vitest. The test setup starts the servers the tests need (the MongoDB-wire test server from
// npm, redis-server from the system package) on free ports and stops them. Ends with one summary
// line: "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testPrerequisiteProblems } from './system-packages.mjs';
import { runExampleTests } from './test-examples.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const started = Date.now();

function step(title, cmd, cmdArgs, options = {}) {
  process.stdout.write(`\n▶ ${title}\n`);
  const t0 = Date.now();
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', ...options });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stdout.write(`✗ ${title} failed after ${secs}s\n`);
    return false;
  }
  process.stdout.write(`✓ ${title} (${secs}s)\n`);
  return true;
}

const problems = testPrerequisiteProblems();
if (problems.length > 0) {
  process.stdout.write(`\n✗ cannot run the tests yet\n${problems.map((p) => `  ${p}\n`).join('')}`);
  process.stdout.write('\ntests: 0 passed, 1 failed, 0 skipped\n');
  process.exit(1);
}

if (!args.includes('--no-build')) {
  if (!step('build (sdk, dashboard, server)', 'pnpm', ['run', 'build'])) process.exit(1);
  if (!step('type-check', 'pnpm', ['-r', 'run', 'typecheck'])) process.exit(1);
  if (!step('lint (eslint, prettier --check)', 'pnpm', ['run', 'lint'])) process.exit(1);
}

const reportDir = join(root, '.test-tmp');
mkdirSync(reportDir, { recursive: true });
const report = join(reportDir, 'vitest.json');
rmSync(report, { force: true });
const vitestArgs = [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...args.filter((a) => a !== '--no-build'),
];
const ok = step('tests (unit, integration, conformance, end-to-end)', 'pnpm', vitestArgs, {
  cwd: join(root, 'server'),
});

// The dashboard's browser tests (Playwright in chromium, against live servers the setup starts;
// the build above is reused). HEARTH_E2E_DOCUMENTS sets the data browser's seeded collection size.
const unitOk = step('dashboard unit tests (vitest)', 'pnpm', ['--filter', '@hearth/dashboard', 'run', 'test']);
const e2eReport = join(reportDir, 'playwright', 'report.json');
rmSync(e2eReport, { force: true });
const e2eOk = step('browser tests (dashboard, Playwright)', 'pnpm', ['exec', 'playwright', 'test'], {
  cwd: join(root, 'dashboard'),
  env: { ...process.env, HEARTH_E2E_NO_BUILD: '1' },
});
const e2e = existsSync(e2eReport) ? JSON.parse(readFileSync(e2eReport, 'utf8')).stats : null;

// The example apps' end-to-end tests (examples/*, each against a live built Hearth).
const examples = runExampleTests(step, root);

let summary = 'tests: 0 passed, 1 failed, 0 skipped';
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // Failed tests, plus files that failed before running any test (an import error, a crash).
  const brokenFiles = (r.testResults ?? []).filter(
    (f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0,
  ).length;
  const failed = (r.numFailedTests ?? 0) + brokenFiles + (ok || r.numFailedTests > 0 || brokenFiles > 0 ? 0 : 1);
  summary = `tests: ${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped`;
}
if (e2e || !e2eOk || !unitOk) {
  const m = /tests: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(summary);
  const [p, f, s] = m ? m.slice(1).map(Number) : [0, 1, 0];
  const ef = (e2e?.unexpected ?? 0) + (e2e?.flaky ?? 0) + (e2eOk || e2e?.unexpected ? 0 : 1) + (unitOk ? 0 : 1);
  summary = `tests: ${p + (e2e?.expected ?? 0)} passed, ${f + ef} failed, ${s + (e2e?.skipped ?? 0)} skipped`;
}
{
  const m = /tests: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(summary);
  const [p, f, s] = m ? m.slice(1).map(Number) : [0, 1, 0];
  summary = `tests: ${p + examples.passed} passed, ${f + examples.failed} failed, ${s + examples.skipped} skipped`;
}
process.stdout.write(`\nTotal time ${((Date.now() - started) / 1000).toFixed(0)}s\n${summary}\n`);
process.exit(ok && unitOk && e2eOk && examples.ok ? 0 : 1);
