import { defineConfig } from '@playwright/test';

/**
 * Browser tests in a real Chromium against live servers started by e2e/global-setup.ts. The
 * browser is Debian's /usr/bin/chromium (never a downloaded one); HEARTH_CHROMIUM points
 * elsewhere (e.g. Playwright's own browser on a laptop).
 */
const env = process.env;
export default defineConfig({
  testDir: './e2e',
  outputDir: '../.test-tmp/playwright/results',
  globalSetup: './e2e/global-setup.ts',
  globalTeardown: './e2e/global-teardown.ts',
  timeout: 300_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: '../.test-tmp/playwright/report.json' }]],
  use: {
    viewport: { width: 1440, height: 900 },
    // An action that cannot find its element fails fast instead of waiting out the test.
    actionTimeout: 20_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: env.HEARTH_CHROMIUM || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
