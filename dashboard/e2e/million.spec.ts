import { expect, test } from '@playwright/test';
import { checkPage, signIn, state } from './kit';

/**
 * The data browser on a collection seeded with HEARTH_E2E_DOCUMENTS documents (default
 * 1,000,000): the first page shows in under a second and scrolling loads cursor pages as
 * needed — never the whole collection, and only the rows in view are in the DOM.
 */
test('data browser stays fast on a million documents', async ({ page }, info) => {
  const { big, admin } = state();
  info.annotations.push({
    type: 'seed',
    description: `${big.documents} documents seeded in ${big.seedSeconds.toFixed(1)} s`,
  });
  await signIn(page, big.url, admin);
  const url = `${big.url}/dashboard/apps/${big.appId}/collections/${big.collection}/data`;
  // Warm the page's code once (the browser caches it), then time what an admin does: open the
  // collection's data from the collections page, until the first rows are on screen.
  await page.goto(url);
  await expect(page.getByTestId('row').first()).toBeVisible({ timeout: 30_000 });
  await page.goto(`${big.url}/dashboard/apps/${big.appId}/collections`);
  const link = page.getByRole('link', { name: 'Data', exact: true });
  await expect(link).toBeVisible();
  const t0 = Date.now();
  await link.click();
  await expect(page.getByTestId('row').first()).toBeVisible();
  const firstPageMs = Date.now() - t0;
  info.annotations.push({ type: 'first page', description: `${firstPageMs} ms` });
  expect(firstPageMs).toBeLessThan(1000);
  await expect(page.getByTestId('doc-count')).toContainText(big.documents.toLocaleString('en-US'));
  await expect(page.getByTestId('loaded-count')).toHaveText('100 loaded');
  await checkPage(page, info, 'data-browser-million');

  const grid = page.getByTestId('grid');
  for (let i = 0; i < 5; i++) {
    await grid.evaluate((el) => el.scrollBy(0, el.clientHeight * 3));
    await page.waitForTimeout(150);
  }
  await expect(page.getByTestId('loaded-count')).not.toHaveText('100 loaded');
  const loaded = Number((await page.getByTestId('loaded-count').textContent())!.replace(/\D/g, ''));
  expect(loaded).toBeGreaterThan(100);
  expect(loaded).toBeLessThanOrEqual(1000);
  expect(await page.getByTestId('row').count()).toBeLessThan(120);
  await grid.evaluate((el) => el.scrollBy(0, el.scrollHeight));
  await expect(page.getByTestId('row').last()).toBeVisible();
});
