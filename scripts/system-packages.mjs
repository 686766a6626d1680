#!/usr/bin/env node
// The system packages the tests need, declared once: `pnpm test` (scripts/test.mjs) checks them
// before building and says what to install; .ci/run installs the missing ones
// (`node scripts/system-packages.mjs --missing` prints their Debian names). Add a row when a
// suite needs another binary (chromium for the browser tests).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');

export const SYSTEM_PACKAGES = [
  {
    debian: 'redis-server',
    why: 'the Redis suites run a real redis-server',
    // The test setup runs this binary (server/test/servers/redis.ts).
    binary: process.env.HEARTH_TEST_REDIS_SERVER || 'redis-server',
    override: 'HEARTH_TEST_REDIS_SERVER',
  },
  {
    debian: 'docker-compose',
    why: 'the deployment tests validate docker/compose*.yml with `docker-compose config`',
    binary: 'docker-compose',
    override: 'PATH',
  },
  {
    debian: 'chromium',
    why: "the dashboard's Playwright tests and the SDK's browser test run Debian's chromium",
    // dashboard/playwright.config.ts and server/test/sdk/package.test.ts launch this binary.
    binary: process.env.HEARTH_CHROMIUM || '/usr/bin/chromium',
    override: 'HEARTH_CHROMIUM',
  },
];

/** The rows whose binary does not run here. */
export function missingSystemPackages() {
  return SYSTEM_PACKAGES.filter((p) => {
    const probe = spawnSync(p.binary, ['--version'], { stdio: 'ignore' });
    return probe.error !== undefined || probe.status !== 0;
  });
}

/**
 * What is missing, as lines to print (empty when nothing is): the exact command to install it,
 * plus the npm-installed test servers that `pnpm install` did not bring (wrong platform, no install).
 */
export function testPrerequisiteProblems() {
  const problems = [];
  const missing = missingSystemPackages();
  if (missing.length > 0) {
    const names = missing.map((p) => p.debian).join(' ');
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    problems.push(
      `The tests need system packages that are not installed: ${missing.map((p) => `${p.debian} (${p.why})`).join(', ')}.`,
      `Install them (Debian/Ubuntu):  ${sudo}apt-get update && ${sudo}apt-get install -y ${names}`,
      `Elsewhere, install the same program (macOS: brew install redis) or point ${missing.map((p) => p.override).join(', ')} at its binary.`,
    );
  }
  const serverRequire = createRequire(join(root, 'server', 'package.json'));
  try {
    serverRequire.resolve('@jongodb/memory-server-bin-linux-x64-gnu/package.json');
  } catch {
    problems.push(
      'The MongoDB-wire test server (@jongodb/memory-server-bin-linux-x64-gnu) is not installed: run `pnpm install`.' +
        (process.platform !== 'linux' || process.arch !== 'x64'
          ? ` It exists for Linux x64 (glibc) only; this is ${process.platform} ${process.arch}, so run the tests in a Linux x64 machine or container.`
          : ''),
    );
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--missing')) {
  process.stdout.write(
    missingSystemPackages()
      .map((p) => p.debian)
      .join(' ') + '\n',
  );
}
