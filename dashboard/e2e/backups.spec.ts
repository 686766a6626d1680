import { expect, test } from '@playwright/test';
import { checkPage, onlyLocal, signIn, state } from './kit';

/**
 * The Backups page on the "big" server (its admin exists), on an app of its own: back up with
 * progress, download the archive, restore it into a new app and open it, set a schedule, delete
 * the backup with confirmation. Every state checked for accessibility and photographed.
 */
test('backups: create, download, restore into a new app, schedule, delete', async ({ page, request }, info) => {
  const { big, admin } = state();
  const base = big.url;
  const outside = await onlyLocal(page);
  const login = await request.post(`${base}/v1/admin/login`, { data: admin });
  expect(login.status()).toBe(200);
  const token = ((await login.json()) as { accessToken: string }).accessToken;
  const auth = { Authorization: `Bearer ${token}` };
  const created = await request.post(`${base}/v1/admin/apps`, { headers: auth, data: { name: 'Backed up' } });
  const app = (await created.json()) as { id: string; keys: { secret: string } };
  for (let i = 0; i < 25; i++) {
    const res = await request.post(`${base}/v1/apps/${app.id}/collections/notes/documents`, {
      headers: { 'X-Hearth-Key': app.keys.secret },
      data: { text: `note ${i}` },
    });
    if (i === 0 && res.status() === 404) {
      await request.post(`${base}/v1/admin/apps/${app.id}/collections`, {
        headers: auth,
        data: { name: 'notes', fields: [{ name: 'text', type: 'string' }] },
      });
      i = -1;
    }
  }

  await signIn(page, base, admin);
  await page.goto(`${base}/dashboard/apps/${app.id}/backups`);
  await expect(page.getByRole('heading', { name: 'Backups', exact: true })).toBeVisible();
  await expect(page.getByText('No backups yet')).toBeVisible();
  await checkPage(page, info, 'backups-empty');

  await test.step('back up now: progress, then completed', async () => {
    await page.getByRole('button', { name: 'Back up now' }).click();
    const row = page.getByTestId('backup-row').first();
    await expect(row.getByText('completed')).toBeVisible({ timeout: 60_000 });
    await expect(row).toContainText('25 records');
    await checkPage(page, info, 'backups');
  });

  await test.step('download the archive', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download' }).first().click(),
    ]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^hearth-${app.id}-.+\\.tar\\.gz$`));
    const path = await download.path();
    expect(path).toBeTruthy();
  });

  await test.step('restore into a new app and open it', async () => {
    await page.getByRole('button', { name: 'Restore…' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('New app name').fill('Backed up (restored)');
    await checkPage(page, info, 'backups-restore');
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
    await expect(page.getByTestId('restore-done')).toBeVisible({ timeout: 60_000 });
    await checkPage(page, info, 'backups-restored');
    await page.getByRole('link', { name: /the new app/ }).click();
    await expect(page.getByRole('heading', { name: 'Backed up (restored)' })).toBeVisible();
  });

  await test.step('set a schedule, then delete the backup with confirmation', async () => {
    await page.goto(`${base}/dashboard/apps/${app.id}/backups`);
    await page.getByLabel('Cron').fill('0 4 * * *');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await expect(page.getByText(/Next run/)).toBeVisible();
    await page
      .getByRole('button', { name: /Delete the backup of/ })
      .first()
      .click();
    await expect(page.getByText('Delete this backup?')).toBeVisible();
    await checkPage(page, info, 'backups-delete');
    await page.getByRole('button', { name: 'Delete backup' }).click();
    await expect(page.getByText('No backups yet')).toBeVisible();
  });

  expect(outside).toEqual([]);
});
