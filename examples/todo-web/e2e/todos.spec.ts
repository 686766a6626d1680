import { expect, test, type Page } from '@playwright/test';

/**
 * The todo app as its users meet it, in Chromium against a live Hearth: sign-up and sign-in,
 * owner rules (another user sees none of it), attachments with server-made thumbnails, and the
 * offline queue (writes made offline show at once and reach the server when back online).
 */
const APP = process.env.TODO_WEB_URL!;
const PASSWORD = 'correct horse battery staple';
let n = 0;
const newEmail = () => `user${Date.now()}-${n++}@example.com`;

async function signUp(page: Page, email: string) {
  await page.goto(APP);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
}

async function addTodo(page: Page, title: string) {
  await page.getByRole('textbox', { name: 'New todo' }).fill(title);
  await page.getByRole('button', { name: 'Add' }).click();
}

const todoList = (page: Page) => page.getByRole('list', { name: 'Todos' });

test('sign up, write todos, stay signed in; another user sees none of them', async ({ page, browser }) => {
  const email = newEmail();
  await signUp(page, email);
  await addTodo(page, 'Buy milk');
  await expect(todoList(page).getByRole('listitem')).toHaveText([/Buy milk/]);
  await addTodo(page, 'Call Ada');
  await expect(todoList(page).getByRole('listitem')).toHaveText([/Call Ada/, /Buy milk/]);
  await page.getByRole('checkbox', { name: 'Done: Buy milk' }).check();
  await page.getByRole('button', { name: 'Delete Call Ada' }).click();
  await expect(todoList(page).getByRole('listitem')).toHaveText([/Buy milk/]);

  await page.reload(); // the session is kept in localStorage; the list comes from the server
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Done: Buy milk' })).toBeChecked();
  await expect(todoList(page).getByRole('listitem')).toHaveCount(1);

  // Another person in another browser profile: the owner rule shows them only their own todos.
  const other = await (await browser.newContext()).newPage();
  await signUp(other, newEmail());
  await addTodo(other, 'Mine only');
  await expect(todoList(other).getByRole('listitem')).toHaveText([/Mine only/]);
  await other.context().close();

  // Signing out and in again; a wrong password is refused with the server's message.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(todoList(page).getByRole('listitem')).toHaveText([/Buy milk/]);
});

test('attaches a picture and shows the thumbnail the server made', async ({ page }) => {
  await signUp(page, newEmail());
  await addTodo(page, 'Fix the bike');
  // A real PNG, drawn by the browser.
  const png = await page.evaluate(() => {
    const canvas = Object.assign(document.createElement('canvas'), { width: 300, height: 200 });
    const g = canvas.getContext('2d')!;
    g.fillStyle = '#c0392b';
    g.fillRect(0, 0, 300, 200);
    return canvas.toDataURL('image/png').split(',')[1]!;
  });
  await page.getByLabel('Attach a picture to Fix the bike').setInputFiles({
    name: 'bike.png',
    mimeType: 'image/png',
    buffer: Buffer.from(png, 'base64'),
  });
  const thumb = page.getByRole('img', { name: 'Attachment of Fix the bike' });
  await expect(thumb).toBeVisible();
  await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(64);
  const src = (await thumb.getAttribute('src'))!;
  expect(new URL(src).searchParams.get('thumb')).toBe('64x64');
  const res = await page.request.get(src);
  expect(res.headers()['content-type']).toBe('image/webp');
});

test('offline: writes wait in the queue, show at once, and reach the server when back online', async ({
  page,
  context,
}) => {
  await signUp(page, newEmail());
  await addTodo(page, 'Written online');
  await expect(page.getByRole('checkbox', { name: 'Done: Written online' })).toBeVisible(); // on the server

  await page.evaluate(() => ((window as { sameLoad?: boolean }).sameLoad = true)); // no reload may hide anything
  await context.setOffline(true);
  await addTodo(page, 'Written on the train');
  await page.getByRole('checkbox', { name: 'Done: Written online' }).check();
  await expect(page.getByRole('status')).toHaveText('Offline: 2 changes waiting to sync');
  await expect(todoList(page).getByText('Written on the train')).toBeVisible();
  await expect(todoList(page).getByText('waiting to sync')).toBeVisible();
  // Kept in localStorage, so closing the tab would not lose them.
  expect(await page.evaluate(() => Object.keys(localStorage).some((k) => k.endsWith('.queue')))).toBe(true);

  await context.setOffline(false);
  await expect(page.getByRole('status')).toBeHidden();
  await expect(todoList(page).getByRole('listitem')).toHaveText([/Written on the train/, /Written online/]);
  await expect(todoList(page).getByText('waiting to sync')).toBeHidden();
  expect(await page.evaluate(() => (window as { sameLoad?: boolean }).sameLoad)).toBe(true);

  // The server has both writes: a fresh tab reads them.
  const second = await context.newPage();
  await second.goto(APP);
  await expect(todoList(second).getByRole('listitem')).toHaveText([/Written on the train/, /Written online/]);
  await expect(second.getByRole('checkbox', { name: 'Done: Written online' })).toBeChecked();
});

test('realtime: a change in one tab shows in the other without a reload, and not to another user', async ({
  page,
  context,
  browser,
}) => {
  await signUp(page, newEmail());
  const tab = await context.newPage(); // a second tab of the same browser: the same session
  await tab.goto(APP);
  await expect(tab.getByText('Signed in as')).toBeVisible();
  const stranger = await (await browser.newContext()).newPage();
  await signUp(stranger, newEmail());

  await addTodo(page, 'Seen in both tabs');
  await expect(todoList(tab).getByRole('listitem')).toHaveText([/Seen in both tabs/]);
  await tab.getByRole('checkbox', { name: 'Done: Seen in both tabs' }).check();
  await expect(page.getByRole('checkbox', { name: 'Done: Seen in both tabs' })).toBeChecked();
  await addTodo(tab, 'From the second tab');
  await expect(todoList(page).getByRole('listitem')).toHaveText([/From the second tab/, /Seen in both tabs/]);
  await page.getByRole('button', { name: 'Delete Seen in both tabs' }).click();
  await expect(todoList(tab).getByRole('listitem')).toHaveText([/From the second tab/]);

  // The other user's page got none of these changes (the read rule applies to realtime too).
  await expect(todoList(stranger).getByRole('listitem')).toHaveCount(0);
  await stranger.context().close();
});

test('offline: a change to a todo that another device changed meanwhile is not applied, and the user is told', async ({
  page,
  context,
  browser,
}) => {
  const email = newEmail();
  await signUp(page, email);
  await addTodo(page, 'Shared between devices');
  const box = page.getByRole('checkbox', { name: 'Done: Shared between devices' });
  await expect(box).toBeVisible();

  // The same user on another device.
  const phone = await (await browser.newContext()).newPage();
  await phone.goto(APP);
  await phone.getByLabel('Email').fill(email);
  await phone.getByLabel('Password').fill(PASSWORD);
  await phone.getByRole('button', { name: 'Sign in' }).click();
  const phoneBox = phone.getByRole('checkbox', { name: 'Done: Shared between devices' });

  await context.setOffline(true);
  await box.check(); // queued with the version this page saw
  await phoneBox.check(); // meanwhile, on the phone: done, then not done again
  await expect(phoneBox).toBeChecked();
  await phoneBox.uncheck();
  await expect(phoneBox).not.toBeChecked();
  await expect(phone.getByRole('status')).toBeHidden(); // both writes are on the server
  await phone.context().close();

  await context.setOffline(false);
  await expect(page.getByRole('alert')).toHaveText(/changed elsewhere while you were offline/);
  await expect(box).not.toBeChecked(); // the server's version, not the stale offline change
  await expect(page.getByRole('status')).toBeHidden();
});
