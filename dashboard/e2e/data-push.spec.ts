import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { apnsKey, serviceAccount } from '../../server/test/push/keys';
import { startWebPushServer, type WebPushServer } from '../../server/test/servers/push/webpush-server';
import { startPushHearth, type PushHearth } from './hearth-push';
import { checkPage, onlyLocal } from './kit';
import { call, ROOT } from './servers';

/**
 * Push, the app overview's stats, import and thumbnails, on their own Hearth whose Web Push
 * client reaches a local receiver (server/test/servers/push): credentials → installations → a
 * composed message with its audience count → delivered to the receiver → its stats per provider;
 * a scheduled message cancelled; thousands of CSV rows imported with a per-row error report;
 * thumbnails of an uploaded image in Files and in a file field.
 */
const ADMIN = { email: 'push-admin@example.com', password: 'correct-horse-battery' };
/** A 320×200 PNG made with the server's own image library (sharp), so thumbnails are really smaller. */
async function photo(): Promise<Buffer> {
  type Sharp = (o: object) => { png(): { toBuffer(): Promise<Buffer> } };
  const sharp = createRequire(join(ROOT, 'server', 'package.json'))('sharp') as Sharp;
  return sharp({ create: { width: 320, height: 200, channels: 3, background: '#e8590c' } })
    .png()
    .toBuffer();
}
const DOC_SHOTS = new Set([
  'push-composer',
  'push-history',
  'push-credentials',
  'app-overview-stats',
  'data-import',
  'files-thumbnails',
]);

let receiver: WebPushServer;
let hearth: PushHearth;
let token = '';
let appId = '';
let publicKey = '';
let secretKey = '';

/** checkPage, and the main screens copied to docs/images/dashboard with HEARTH_UPDATE_DOC_SCREENSHOTS=1. */
async function check(page: Page, info: TestInfo, name: string) {
  await checkPage(page, info, name);
  if (process.env.HEARTH_UPDATE_DOC_SCREENSHOTS === '1' && DOC_SHOTS.has(name)) {
    const dir = join(ROOT, 'docs', 'images', 'dashboard');
    mkdirSync(dir, { recursive: true });
    copyFileSync(info.outputPath(`${name}.png`), join(dir, `${name}.png`));
  }
}

test.beforeAll(async () => {
  receiver = await startWebPushServer();
  hearth = await startPushHearth(receiver.ca);
  token = (await call<{ accessToken: string }>(hearth.url, 'POST', '/v1/admin/setup', ADMIN)).accessToken;
  const app = await call<{ id: string; keys: { public: string; secret: string } }>(
    hearth.url,
    'POST',
    '/v1/admin/apps',
    { name: 'Pushy' },
    token,
  );
  appId = app.id;
  publicKey = app.keys.public;
  secretKey = app.keys.secret;
});

test.afterAll(async () => {
  await hearth?.close();
  await receiver?.close();
});

async function signIn(page: Page) {
  await page.goto(`${hearth.url}/dashboard/login?next=${encodeURIComponent(`/apps/${appId}`)}`);
  await page.getByLabel(/^Email/).fill(ADMIN.email);
  await page.getByLabel(/^Password/).fill(ADMIN.password);
  await page.getByRole('button', { name: /Sign in/ }).click();
  await expect(page.getByRole('heading', { name: 'Pushy' })).toBeVisible();
}

const appCall = async (method: string, path: string, body: unknown, key = publicKey) => {
  const res = await fetch(`${hearth.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-Hearth-Key': key },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
};

test('push: credentials, installations, composer with audience, delivery to a web push receiver, stats, scheduled', async ({
  page,
}, info) => {
  const outside = await onlyLocal(page);
  await signIn(page);

  await test.step('credentials: generate VAPID, upload an FCM service account; only fingerprints come back', async () => {
    await page.getByRole('link', { name: 'Push' }).click();
    await page.getByRole('tab', { name: 'Credentials' }).click();
    await page.getByTestId('credential-vapid').getByRole('button', { name: 'Generate' }).click();
    await page.getByLabel('Contact (subject)').fill('mailto:ops@example.com');
    await page.getByRole('button', { name: 'Generate key pair' }).click();
    await expect(page.getByTestId('fingerprint-vapid')).toBeVisible();
    await page.getByTestId('credential-fcm').getByRole('button', { name: 'Upload' }).click();
    const sa = serviceAccount('hearth-e2e');
    await page
      .getByRole('dialog')
      .locator('input[type=file]')
      .setInputFiles({
        name: 'service-account.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(sa.json)),
      });
    await expect(page.getByTestId('credential-file')).toHaveText('service-account.json');
    await page.getByRole('button', { name: 'Store credential' }).click();
    await expect(page.getByTestId('fingerprint-fcm')).toBeVisible();
    await expect(page.getByTestId('credential-fcm')).toContainText('hearth-e2e');
    const k = apnsKey('com.example.pushy');
    await page.getByTestId('credential-apns').getByRole('button', { name: 'Upload' }).click();
    await page
      .getByRole('dialog')
      .locator('input[type=file]')
      .setInputFiles({ name: `AuthKey_${k.keyId}.p8`, mimeType: 'text/plain', buffer: Buffer.from(k.p8) });
    await page.getByLabel('Key id').fill(k.keyId);
    await page.getByLabel('Team id').fill(k.teamId);
    await page.getByLabel('Bundle id (topic)').fill(k.topic);
    await page.getByRole('button', { name: 'Store credential' }).click();
    await expect(page.getByTestId('fingerprint-apns')).toBeVisible();
    await expect(page.getByTestId('credential-apns')).toContainText('com.example.pushy');
    // Re-encrypting keeps them (same fingerprints), and says how many.
    const before = await page.getByTestId('fingerprint-fcm').textContent();
    await page.getByRole('button', { name: 'Re-encrypt under current secret' }).click();
    await expect(page.getByText('Re-encrypted 3 credentials under the current server secret')).toBeVisible();
    await expect(page.getByTestId('fingerprint-fcm')).toHaveText(before!);
    // The private keys are nowhere on the page.
    expect(await page.content()).not.toContain('PRIVATE KEY');
    await check(page, info, 'push-credentials');
  });

  await test.step('installations: a browser subscribed to the receiver, and an Android device elsewhere', async () => {
    const vapid = await (
      await fetch(`${hearth.url}/v1/apps/${appId}/push/vapid-key`, { headers: { 'X-Hearth-Key': publicKey } })
    ).json();
    const subscription = receiver.subscribe((vapid as { publicKey: string }).publicKey);
    await appCall('POST', `/v1/apps/${appId}/push/installations`, {
      platform: 'web',
      subscription,
      channels: ['news'],
    });
    await appCall('POST', `/v1/apps/${appId}/push/installations`, {
      platform: 'android',
      token: `e2e${'x'.repeat(60)}`,
      channels: ['sport'],
    });
    await page.getByRole('tab', { name: 'Installations' }).click();
    await expect(page.getByTestId('installations').getByRole('row')).toHaveCount(3);
    await check(page, info, 'push-installations');
  });

  await test.step('compose: the audience preview counts who a target reaches', async () => {
    await page.getByRole('tab', { name: 'Compose' }).click();
    await expect(page.getByTestId('audience-count')).toHaveText('2 active devices');
    await page.getByRole('radiogroup', { name: 'Audience' }).getByText('Channels').click();
    await page.getByLabel('Channels (comma separated)').fill('news');
    await expect(page.getByTestId('audience-count')).toHaveText('1 active device');
    await expect(page.getByText('web: 1')).toBeVisible();
    await expect(page.getByTestId('audience-sample').getByRole('row')).toHaveCount(2);
    await page.getByLabel('Title').fill('Hello from the dashboard');
    await page.getByLabel('Body').fill('Your order has shipped.');
    await check(page, info, 'push-composer');
    await page.getByRole('button', { name: 'Send to 1 device' }).click();
  });

  await test.step('history: delivered to the receiver, with stats per provider', async () => {
    await expect(page.getByTestId('message-history')).toBeVisible();
    const row = page.getByTestId('message-history').getByRole('row').filter({ hasText: 'Hello from the dashboard' });
    await expect(row.getByText('1/1 sent')).toBeVisible({ timeout: 30_000 });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.payload).toContain('Hello from the dashboard');
    await row.getByRole('button', { name: 'Stats' }).click();
    const web = page.getByTestId('provider-web');
    await expect(web.getByRole('cell').nth(1)).toHaveText('1');
    await expect(page.getByTestId('provider-android').getByRole('cell').nth(1)).toHaveText('0');
    await check(page, info, 'push-history');
  });

  await test.step('scheduled: a message for later, then cancelled', async () => {
    await page.getByRole('tab', { name: 'Compose' }).click();
    await page.getByLabel('Title').fill('Tomorrow’s digest');
    await page.getByLabel('Schedule for later').check();
    const later = new Date(Date.now() + 26 * 3600_000);
    const local = new Date(later.getTime() - later.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.getByLabel('Send at (your local time)').fill(local);
    await page.getByRole('button', { name: 'Schedule message' }).click();
    await expect(page.getByText(/Message scheduled/)).toBeVisible();
    await page.getByRole('tab', { name: 'Scheduled' }).click();
    const row = page.getByTestId('scheduled-messages').getByRole('row').filter({ hasText: 'Tomorrow’s digest' });
    await expect(row).toBeVisible();
    await check(page, info, 'push-scheduled');
    await row.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel message' }).click();
    await expect(page.getByText('Message cancelled')).toBeVisible();
    await expect(page.getByText('Nothing scheduled')).toBeVisible();
    expect(receiver.received).toHaveLength(1);
  });

  expect(outside).toEqual([]);
});

test('app overview: requests, errors, active users, documents, storage, jobs from the stats API', async ({
  page,
}, info) => {
  await appCall('POST', `/v1/apps/${appId}/auth/signup`, {
    email: 'ada@example.com',
    password: 'a long enough password 123',
  });
  await fetch(`${hearth.url}/v1/apps/${appId}/collections/nope/documents`, { headers: { 'X-Hearth-Key': publicKey } });
  await signIn(page);
  const cards = page.getByTestId('overview-stats');
  await expect(cards.getByText('Active users').locator('..')).toContainText('1');
  await expect(cards.getByText(/client errors in the last 24 h/)).toBeVisible();
  const requests = Number(
    (await cards.getByText('Requests').locator('..').locator('p').nth(1).textContent())!.replace(/\D/g, ''),
  );
  expect(requests).toBeGreaterThanOrEqual(2); // the sign-up and the 404, at least
  await page.getByRole('radiogroup', { name: 'Window' }).getByText('Last hour').click();
  await expect(cards.getByText(/in the last hour/).first()).toBeVisible();
  await check(page, info, 'app-overview-stats');
});

test('import: thousands of CSV rows in batches with a per-row error report; NDJSON; export', async ({ page }, info) => {
  await call(
    hearth.url,
    'POST',
    `/v1/admin/apps/${appId}/collections`,
    {
      name: 'items',
      fields: [
        { name: 'title', type: 'string', required: true, maxLength: 50 },
        { name: 'n', type: 'integer' },
        { name: 'done', type: 'boolean' },
      ],
      rules: { list: 'public', get: 'public' },
    },
    token,
  );
  const ROWS = 3000;
  const lines = ['title,n,done'];
  for (let i = 1; i <= ROWS; i++) {
    if (i === 10)
      lines.push(`row ${i},ten,true`); // refused in the browser: not a number
    else if (i === 1500)
      lines.push(`,${i},false`); // refused by the server: title is required
    else if (i === 2999)
      lines.push(`${'x'.repeat(60)},${i},false`); // refused by the server: too long
    else lines.push(`row ${i},${i},${i % 2 === 0}`);
  }
  await signIn(page);
  await page.goto(`${hearth.url}/dashboard/apps/${appId}/collections/items/data`);
  await expect(page.getByText('No documents yet')).toBeVisible();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page
    .getByRole('dialog')
    .locator('input[type=file]')
    .setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
  await expect(page.getByTestId('import-file')).toHaveText('items.csv: 2,999 rows, 1 unreadable');
  await page.getByRole('button', { name: 'Import 2,999 rows' }).click();
  await expect(page.getByTestId('import-progress')).toHaveText('2,999 / 2,999 rows', { timeout: 120_000 });
  await expect(page.getByTestId('import-imported')).toHaveText('2,997 imported');
  await expect(page.getByTestId('import-errors')).toHaveText('3 refused');
  const errors = page.getByTestId('import-error-table');
  await expect(errors.getByRole('row')).toHaveCount(4);
  await expect(errors.getByRole('row').nth(1)).toContainText('n: "ten" is not a number');
  await expect(errors.getByRole('row').filter({ hasText: /^1500/ })).toContainText('title');
  await check(page, info, 'data-import');
  const report = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download error report' }).click();
  const reportText = readFileSync((await (await report).path())!, 'utf8');
  expect(reportText.split(/\r?\n/)).toHaveLength(4);
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(page.getByTestId('doc-count')).toContainText('2,997');
  await expect(page.getByRole('dialog')).toBeHidden();

  // NDJSON: one object a line.
  const nd = Array.from({ length: 250 }, (_, i) => JSON.stringify({ title: `nd ${i}`, n: i })).join('\n');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page
    .getByRole('dialog')
    .locator('input[type=file]')
    .setInputFiles({ name: 'more.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(nd) });
  await page.getByRole('button', { name: 'Import 250 rows' }).click();
  await expect(page.getByTestId('import-imported')).toHaveText('250 imported');
  await page.getByRole('button', { name: 'Close', exact: true }).click();

  // Export everything back, page by page, with progress.
  await page.getByRole('button', { name: 'Export' }).click();
  const download = page.waitForEvent('download');
  await page.getByRole('menuitem', { name: /CSV/ }).click();
  const csv = readFileSync((await (await download).path())!, 'utf8');
  expect(csv.trim().split('\n')).toHaveLength(2997 + 250 + 1);
});

test('thumbnails: Files and a file field show the server’s thumbnail variants, with a preview', async ({
  page,
}, info) => {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(await photo())], { type: 'image/png' }), 'sunset.png');
  const up = await fetch(`${hearth.url}/v1/apps/${appId}/files`, {
    method: 'POST',
    headers: { 'X-Hearth-Key': secretKey },
    body: form,
  });
  expect(up.status, await up.clone().text()).toBe(201);
  const file = (await up.json()) as { id: string };
  await call(
    hearth.url,
    'POST',
    `/v1/admin/apps/${appId}/collections`,
    {
      name: 'photos',
      fields: [
        { name: 'caption', type: 'string' },
        { name: 'image', type: 'file' },
      ],
      rules: { list: 'public', get: 'public' },
    },
    token,
  );
  await appCall(
    'POST',
    `/v1/apps/${appId}/collections/photos/documents`,
    { caption: 'a sunset', image: file.id },
    secretKey,
  );
  await signIn(page);
  await page.getByRole('link', { name: 'Files' }).click();
  const thumb = page.getByTestId('file-thumb').first();
  await expect(thumb).toHaveAttribute('src', /thumb=64x64/);
  await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(64);
  await check(page, info, 'files-thumbnails');
  await page.getByRole('button', { name: 'sunset.png', exact: true }).click();
  await expect(page.getByTestId('file-preview')).toHaveAttribute('src', /thumb=1024x1024/);
  await page.keyboard.press('Escape');

  await page.goto(`${hearth.url}/dashboard/apps/${appId}/collections/photos/data`);
  const cell = page.getByTestId('grid').getByTestId('file-thumb');
  await expect(cell).toHaveAttribute('src', /thumb=64x64/);
  await page.getByRole('button', { name: 'Preview sunset.png' }).click();
  await expect(page.getByTestId('file-preview')).toBeVisible();
  await check(page, info, 'data-file-preview');
});
