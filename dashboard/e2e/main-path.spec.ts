import { expect, test } from '@playwright/test';
import { checkPage, onlyLocal, state } from './kit';

/** A 1×1 PNG, for the upload. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * The main path through the dashboard on a fresh server, every page checked for accessibility
 * and photographed: first-run setup → create an app → define a collection with a rule → browse,
 * create and edit data (with a version conflict) → see it as a user in the playground → upload
 * a file → keys, users, settings, admins, audit, outbox, API explorer.
 */
test('admin main path', async ({ page, request }, info) => {
  const { fresh, admin } = state();
  const base = fresh.url;
  const outside = await onlyLocal(page);
  let appId = '';
  let publicKey = '';
  let secretKey = '';
  let userId = '';

  await test.step('first-run setup', async () => {
    await page.goto(`${base}/dashboard/`);
    await expect(page.getByRole('heading', { name: 'Create the first admin' })).toBeVisible();
    await checkPage(page, info, 'setup');
    await page.getByLabel(/^Email/).fill(admin.email);
    await page.getByLabel(/^Password/).fill(admin.password);
    await page.getByRole('button', { name: 'Create admin' }).click();
    await expect(page.getByRole('heading', { name: 'Apps' })).toBeVisible();
    await expect(page.getByText('No apps yet')).toBeVisible();
  });

  await test.step('create an app: keys shown once, with copy buttons', async () => {
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByLabel('Name').fill('Todo app');
    await page.getByRole('dialog').getByRole('button', { name: 'Create app' }).click();
    await expect(page.getByText('Copy the secret key now')).toBeVisible();
    appId = (await page.getByTestId('app-id').textContent())!;
    publicKey = (await page.getByTestId('public-key').textContent())!;
    secretKey = (await page.getByTestId('secret-key').textContent())!;
    expect(secretKey).toMatch(/^sk_/);
    await expect(page.getByRole('button', { name: 'Copy secret key' })).toBeVisible();
    await checkPage(page, info, 'app-created');
    await page.getByRole('link', { name: 'Open the app' }).click();
    await expect(page.getByRole('heading', { name: 'Todo app' })).toBeVisible();
    await expect(page.getByText('Storage')).toBeVisible();
    await checkPage(page, info, 'app-overview');
  });

  await test.step('a user signs up through the app', async () => {
    const res = await request.post(`${base}/v1/apps/${appId}/auth/signup`, {
      headers: { 'X-Hearth-Key': publicKey },
      data: { email: 'alice@example.com', password: 'Wonderland-tea-party-42' },
    });
    expect(res.status(), await res.text()).toBe(201);
    userId = ((await res.json()) as { user: { id: string } }).user.id;
  });

  await test.step('define a collection with an owner rule, then change it after reviewing the diff', async () => {
    await page.getByRole('link', { name: 'Collections & data' }).click();
    await expect(page.getByText('No collections yet')).toBeVisible();
    await checkPage(page, info, 'collections-empty');
    await page.getByRole('button', { name: 'New collection' }).click();
    await page.getByLabel('Name').fill('todos');
    await page.getByRole('button', { name: 'Define fields' }).click();
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByLabel('Field 1 name').fill('title');
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByLabel('Field 2 name').fill('done');
    await page.getByLabel('Field 2 type').first().click();
    await page.getByRole('option', { name: 'boolean', exact: true }).click();
    await page.getByRole('tab', { name: 'Rules' }).click();
    await expect(page.getByRole('textbox', { name: 'list rule filter' })).toBeVisible();
    await checkPage(page, info, 'schema-rules');
    await page.getByRole('button', { name: 'Create collection' }).click();
    await expect(page.getByText('Collection todos created')).toBeVisible();
    await expect(page.getByText('version 1')).toBeVisible();
    await page.getByRole('tab', { name: /Fields/ }).click();
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByLabel('Field 3 name').fill('priority');
    await page.getByLabel('Field 3 type').first().click();
    await page.getByRole('option', { name: 'integer', exact: true }).click();
    await page.getByRole('button', { name: 'Review changes' }).click();
    await expect(page.getByText('Add field priority (integer)')).toBeVisible();
    await expect(page.getByTestId('schema-patch')).toContainText('"addFields"');
    await checkPage(page, info, 'schema-diff');
    await page.getByRole('button', { name: 'Apply change' }).click();
    await expect(page.getByText('Collection todos changed (version 2)')).toBeVisible();
  });

  await test.step('browse, create and edit data, with a version check', async () => {
    await page.getByRole('link', { name: 'Browse data' }).click();
    await expect(page.getByText('No documents yet')).toBeVisible();
    for (const doc of [
      { title: 'Buy milk', done: false, owner: userId },
      { title: 'Secret plan', done: true },
    ]) {
      await page.getByRole('button', { name: 'New document' }).click();
      const editor = page.getByRole('dialog').locator('.cm-content');
      await editor.click();
      await page.keyboard.press('ControlOrMeta+a');
      await page.keyboard.press('Delete');
      await editor.fill(JSON.stringify(doc));
      await page.getByRole('button', { name: 'Create document' }).click();
      await expect(page.getByText(/Document \S+ created/).last()).toBeVisible();
    }
    await expect(page.getByTestId('row')).toHaveCount(2);
    await page.getByTestId('grid').getByText('Buy milk').dblclick();
    await page.getByLabel('Edit title').fill('Buy oat milk');
    await page.getByLabel('Edit title').press('Enter');
    await expect(page.getByText('Saved title (version 2)')).toBeVisible();
    await checkPage(page, info, 'data-browser');

    // Someone else changes the document: the next inline edit is refused (If-Match), not lost.
    const list = await request.get(
      `${base}/v1/apps/${appId}/collections/todos/documents?filter=${encodeURIComponent('{"title":"Secret plan"}')}`,
      {
        headers: { 'X-Hearth-Key': secretKey },
      },
    );
    const plan = ((await list.json()) as { items: { id: string }[] }).items[0]!;
    await request.patch(`${base}/v1/apps/${appId}/collections/todos/documents/${plan.id}`, {
      headers: { 'X-Hearth-Key': secretKey },
      data: { title: 'Secret plan v2' },
    });
    await page.getByTestId('grid').getByText('Secret plan').dblclick();
    await page.getByLabel('Edit title').fill('Overwritten?');
    await page.getByLabel('Edit title').press('Enter');
    await expect(page.getByText(/changed this document meanwhile/)).toBeVisible();
    await expect(page.getByTestId('grid').getByText('Secret plan v2')).toBeVisible();

    await page.getByRole('button', { name: 'Add condition' }).click();
    await page.getByLabel('Condition 1 operator').first().click();
    await page.getByRole('option', { name: 'matches' }).click();
    await page.getByLabel('Condition 1 value').fill('oat');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect(page.getByTestId('row')).toHaveCount(1);
    expect(page.url()).toContain('filter=');
    await page
      .getByRole('button', {
        name: `Open ${await page.getByTestId('row').first().locator('td').nth(1).textContent()} as JSON`,
      })
      .click();
    await expect(page.getByRole('dialog').getByText('Buy oat milk')).toBeVisible();
    await checkPage(page, info, 'document-json');
    // Changed by someone else while open: the save is refused and says so, the typed text stays,
    // and a second save deliberately replaces the other change.
    const milkList = await request.get(
      `${base}/v1/apps/${appId}/collections/todos/documents?filter=${encodeURIComponent('{"title":"Buy oat milk"}')}`,
      { headers: { 'X-Hearth-Key': secretKey } },
    );
    const milk = ((await milkList.json()) as { items: { id: string }[] }).items[0]!;
    await request.patch(`${base}/v1/apps/${appId}/collections/todos/documents/${milk.id}`, {
      headers: { 'X-Hearth-Key': secretKey },
      data: { done: true },
    });
    const json = page.getByRole('dialog').locator('.cm-content');
    await json.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await json.fill(JSON.stringify({ title: 'Buy oat milk, 2 l', done: false }));
    await page.getByRole('button', { name: 'Save document' }).click();
    await expect(page.getByTestId('document-newer')).toContainText('Someone else saved version 3');
    await expect(
      page
        .getByRole('dialog')
        .getByText(/conflict/i)
        .first(),
    ).toBeVisible();
    await expect(json).toContainText('Buy oat milk, 2 l');
    await page.getByRole('button', { name: 'Save document' }).click();
    await expect(page.getByText('Document saved')).toBeVisible();
    const saved = await request.get(`${base}/v1/apps/${appId}/collections/todos/documents/${milk.id}`, {
      headers: { 'X-Hearth-Key': secretKey },
    });
    expect(await saved.json()).toMatchObject({ title: 'Buy oat milk, 2 l', done: false, version: 4 });
  });

  await test.step('the rules playground shows what alice and an anonymous caller see', async () => {
    await page.getByRole('link', { name: 'Rules playground' }).click();
    await page.getByLabel('Act as').first().click();
    await page.getByRole('option', { name: /alice@example.com/ }).click();
    await page.getByRole('button', { name: /Run as/ }).click();
    await expect(page.getByTestId('playground-result')).toContainText('1 document visible');
    await expect(page.getByRole('cell', { name: 'Buy oat milk' })).toBeVisible();
    await expect(page.getByRole('cell', { name: 'Secret plan v2' })).toHaveCount(0);
    await checkPage(page, info, 'playground');
    await page.getByLabel('Act as').first().click();
    await page.getByRole('option', { name: /anonymous caller/ }).click();
    await page.getByRole('button', { name: /Run as/ }).click();
    await expect(page.getByTestId('playground-result')).toContainText(/0 documents visible|Denied/);
  });

  await test.step('upload a file with progress, see it and the usage', async () => {
    await page.getByRole('link', { name: 'Files' }).click();
    await expect(page.getByText('No files yet')).toBeVisible();
    await page.locator('input[type=file]').setInputFiles({ name: 'pixel.png', mimeType: 'image/png', buffer: PNG });
    await expect(page.getByText(/Uploaded pixel.png/)).toBeVisible();
    await expect(page.getByRole('button', { name: 'pixel.png', exact: true })).toBeVisible();
    await expect(page.getByTestId('usage')).toContainText('1 files');
    await checkPage(page, info, 'files');
    await page.getByRole('button', { name: 'pixel.png', exact: true }).click();
    await expect(page.getByRole('dialog').getByRole('img', { name: 'pixel.png' })).toBeVisible();
    await page.keyboard.press('Escape');
  });

  await test.step('API keys: create with a scope, shown once', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('Reporting');
    await page.getByRole('dialog').getByRole('button', { name: 'Create key' }).click();
    await expect(page.getByText(/shown only once/)).toBeVisible();
    await expect(page.getByTestId('new-key')).toHaveText(/^pk_/);
    await checkPage(page, info, 'keys');
  });

  await test.step('users: list, detail, roles', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('link', { name: 'alice@example.com' }).click();
    await expect(page.getByRole('heading', { name: 'alice@example.com' })).toBeVisible();
    await page.getByRole('combobox', { name: 'Roles' }).fill('staff');
    await page.getByRole('combobox', { name: 'Roles' }).press('Enter');
    await page.getByRole('button', { name: 'Save roles' }).click();
    await expect(page.getByText('User saved')).toBeVisible();
    await checkPage(page, info, 'user-detail');
    await page.getByRole('link', { name: 'Users' }).first().click();
    await expect(page.getByText('staff')).toBeVisible();
    await checkPage(page, info, 'users');
  });

  await test.step('settings, mail outbox, an empty webhooks page', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByText('Password policy').first()).toBeVisible();
    await checkPage(page, info, 'settings');
    await page.getByRole('link', { name: 'Mail outbox' }).click();
    await expect(page.getByRole('heading', { name: 'Mail outbox' })).toBeVisible();
    await checkPage(page, info, 'outbox');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await expect(page.getByText('No webhooks yet')).toBeVisible();
    await checkPage(page, info, 'webhooks-empty');
  });

  await test.step('admins, audit log, API explorer, dark theme', async () => {
    await page.getByRole('link', { name: 'Admins' }).click();
    await page.getByRole('button', { name: 'Invite admin' }).click();
    await page
      .getByRole('dialog')
      .getByLabel(/^Email/)
      .fill('second@example.com');
    await page.getByRole('dialog').getByLabel('Initial password').fill('another-long-password');
    await page.getByRole('dialog').getByRole('button', { name: 'Invite' }).click();
    await expect(page.getByRole('cell', { name: 'second@example.com' })).toBeVisible();
    await checkPage(page, info, 'admins');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect(page.getByRole('table').getByText('collection.update').first()).toBeVisible();
    await page.getByLabel('Action').first().click();
    await page.getByRole('option', { name: 'app.create' }).click();
    await expect(page).toHaveURL(/action=app.create/);
    await expect(page.getByRole('table').getByText('collection.update')).toHaveCount(0);
    await checkPage(page, info, 'audit');
    await page.getByRole('link', { name: 'API explorer' }).click();
    await expect(page.getByTestId('api-explorer').getByText('Hearth API').first()).toBeVisible({ timeout: 30_000 });
    // Scalar's syntax-highlighted code samples use its own colour theme; the rest of its page is checked.
    await checkPage(page, info, 'api-explorer', ['pre[class*="language-"]', 'code[class*="language-"]']);
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await page.goto(`${base}/dashboard/apps/${appId}/collections/todos/data`);
    await expect(page.getByTestId('row')).toHaveCount(2);
    await checkPage(page, info, 'data-browser-dark');
  });

  expect(outside, 'requests that left this server').toEqual([]);
});

/** The admin session renews itself (access tokens last 30 s on this server) and keeps working. */
test('the admin session refreshes itself', async ({ page }) => {
  const { fresh, admin } = state();
  await page.goto(`${fresh.url}/dashboard/login`);
  await page.getByLabel(/^Email/).fill(admin.email);
  await page.getByLabel(/^Password/).fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Apps' })).toBeVisible();
  const token = () =>
    page.evaluate(
      () => (JSON.parse(localStorage.getItem('hearth.session') ?? '{}') as { refreshToken?: string }).refreshToken,
    );
  const first = await token();
  await expect.poll(token, { timeout: 20_000 }).not.toBe(first);
  // Past the first access token's lifetime, pages still load (no sign-out).
  await page.waitForTimeout(31_000);
  await page.getByRole('link', { name: 'Admins' }).click();
  await expect(page.getByRole('cell', { name: admin.email })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toHaveCount(0);
});
