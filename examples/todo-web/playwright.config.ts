import { defineConfig } from '@playwright/test';

/**
 * The todo app in a real Chromium (Debian's /usr/bin/chromium; HEARTH_CHROMIUM points
 * elsewhere) against a live Hearth and the app's Vite dev server, both started by
 * e2e/global-setup.ts.
 */
const env = process.env;
export default defineConfig({
  testDir: './e2e',
  outputDir: '../../.test-tmp/examples/todo-web-results',
  globalSetup: './e2e/global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 20_000 },
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: env.HEARTH_EXAMPLE_REPORT || '../../.test-tmp/examples/todo-web.json' }]],
  use: {
    actionTimeout: 10_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: env.HEARTH_CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    },
  },
});
