import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, type TestInfo } from '@playwright/test';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, STATE_FILE, type E2EState } from './servers';

/** What the browser tests share: the servers' state, accessibility checks, screenshots, no outside requests. */
export const state = (): E2EState => JSON.parse(readFileSync(STATE_FILE, 'utf8')) as E2EState;

/** Fails on any serious or critical axe violation on the page as it is now. */
export async function expectAccessible(page: Page, name: string, exclude: string[] = []): Promise<void> {
  // Check the page at rest: the pointer off every control (a just-clicked button is still hovered)
  // and colour transitions finished, so axe measures the colours a reader sees, not a mid-fade.
  await page.mouse.move(0, 0);
  await page
    .evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))))
    .catch(() => undefined);
  const builder = new AxeBuilder({ page });
  for (const selector of exclude) builder.exclude(selector);
  const result = await builder.analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = bad.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} — ${v.nodes
        .map((n) => `${n.target.join(' ')} ${n.html.slice(0, 160)}`)
        .slice(0, 3)
        .join(' | ')}`,
  );
  expect.soft(summary, `accessibility of ${name}`).toEqual([]);
}

const DOC_SHOTS = new Set([
  'apps',
  'app-overview',
  'schema-diff',
  'data-browser',
  'data-browser-million',
  'playground',
  'files',
  'settings',
]);
// The operations pages (ops.spec.ts).
for (const name of ['jobs', 'job-completed', 'webhook-deliveries', 'webhook-disabled', 'schedule-runs', 'realtime']) {
  DOC_SHOTS.add(name);
}

/**
 * Saves a full-page screenshot with the test results; with HEARTH_UPDATE_DOC_SCREENSHOTS=1 the
 * main screens are also copied to docs/images/dashboard/ (for docs/dashboard.md and the README).
 */
export async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  const file = info.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  await info.attach(name, { path: file, contentType: 'image/png' });
  if (process.env.HEARTH_UPDATE_DOC_SCREENSHOTS === '1' && DOC_SHOTS.has(name)) {
    const dir = join(ROOT, 'docs', 'images', 'dashboard');
    mkdirSync(dir, { recursive: true });
    copyFileSync(file, join(dir, `${name}.png`));
  }
}

/** Every page is checked: accessible and photographed. */
export async function checkPage(page: Page, info: TestInfo, name: string, exclude: string[] = []): Promise<void> {
  await expectAccessible(page, name, exclude);
  await shot(page, info, name);
}

/** Refuses (and records) any request that leaves 127.0.0.1: the dashboard must work offline. */
export async function onlyLocal(page: Page): Promise<string[]> {
  const outside: string[] = [];
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    outside.push(url.href);
    return route.abort();
  });
  return outside;
}

export async function signIn(page: Page, base: string, admin: { email: string; password: string }): Promise<void> {
  await page.goto(`${base}/dashboard/login`);
  await page.getByLabel(/^Email/).fill(admin.email);
  await page.getByLabel(/^Password/).fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Apps' })).toBeVisible();
}
