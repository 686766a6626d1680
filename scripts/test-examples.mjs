// The examples' end-to-end tests, for scripts/test.mjs: every package in examples/ runs its own
// tests against a live Hearth (the built server): vitest where it has a vitest.config.ts,
// Playwright in Debian's chromium where it has a playwright.config.ts. An example with neither
// counts as a failure, so no example goes untested silently. Each run writes a JSON report to
// .test-tmp/examples/<name>.json; the counts are returned for the summary line.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export function runExampleTests(step, root) {
  const dir = join(root, 'examples');
  const reports = join(root, '.test-tmp', 'examples');
  mkdirSync(reports, { recursive: true });
  const totals = { ok: true, passed: 0, failed: 0, skipped: 0 };
  const names = readdirSync(dir).filter((n) => existsSync(join(dir, n, 'package.json')));
  for (const name of names) {
    const cwd = join(dir, name);
    const report = join(reports, `${name}.json`);
    rmSync(report, { force: true });
    let ran;
    if (existsSync(join(cwd, 'vitest.config.ts'))) {
      const args = ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
      ran = step(`example ${name} (vitest)`, 'pnpm', args, { cwd });
      const r = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : null;
      totals.passed += r?.numPassedTests ?? 0;
      totals.skipped += (r?.numPendingTests ?? 0) + (r?.numTodoTests ?? 0);
      totals.failed += r ? r.numFailedTests + (ran || r.numFailedTests > 0 ? 0 : 1) : 1;
    } else if (existsSync(join(cwd, 'playwright.config.ts'))) {
      ran = step(`example ${name} (Playwright)`, 'pnpm', ['exec', 'playwright', 'test'], {
        cwd,
        env: { ...process.env, HEARTH_E2E_NO_BUILD: '1', HEARTH_EXAMPLE_REPORT: report },
      });
      const s = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')).stats : null;
      totals.passed += s?.expected ?? 0;
      totals.skipped += s?.skipped ?? 0;
      totals.failed += s ? s.unexpected + s.flaky + (ran || s.unexpected ? 0 : 1) : 1;
    } else {
      process.stdout.write(`\n✗ example ${name} has no tests (add a vitest.config.ts or playwright.config.ts)\n`);
      ran = false;
      totals.failed += 1;
    }
    totals.ok &&= ran;
  }
  return totals;
}
