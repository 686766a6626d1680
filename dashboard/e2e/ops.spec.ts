import { expect, test } from '@playwright/test';
import { rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io } from 'socket.io-client';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkPage, onlyLocal, signIn, state } from './kit';
import { call, ROOT, startServer, stopServer, tempDir, type RunningServer } from './servers';

/**
 * The operations pages on a server of their own (OUTBOUND_ALLOW_PRIVATE, so webhooks may call a
 * receiver on 127.0.0.1): create a webhook to a local receiver, make a document, see the delivery
 * and redeliver it; create a schedule and run it now; see a failed job, retry it (it succeeds once
 * its webhook is enabled again) and remove it. Every page is checked with axe and photographed.
 */
interface Received {
  headers: IncomingHttpHeaders;
  body: { type?: string; data?: unknown };
}

let server: RunningServer;
let receiver: Server;
let receiverUrl = '';
const received: Received[] = [];
/** While true the receiver answers 500. */
let failing = false;
let token = '';
let appId = '';
let secretKey = '';

test.beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(raw || '{}') as Received['body'] });
      if (failing) res.writeHead(500, { 'Content-Type': 'text/plain' }).end('receiver is down');
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/hearth`;
  server = await startServer(tempDir('hearth-e2e-ops-'), { OUTBOUND_ALLOW_PRIVATE: 'true' });
  const { admin } = state();
  token = (await call<{ accessToken: string }>(server.url, 'POST', '/v1/admin/setup', admin)).accessToken;
  const app = await call<{ id: string; keys: { secret: string } }>(
    server.url,
    'POST',
    '/v1/admin/apps',
    { name: 'Shop' },
    token,
  );
  appId = app.id;
  secretKey = app.keys.secret;
  await call(
    server.url,
    'POST',
    `/v1/admin/apps/${appId}/collections`,
    { name: 'orders', fields: [{ name: 'item', type: 'string' }] },
    token,
  );
});

test.afterAll(async () => {
  if (server) {
    await stopServer(server.pid);
    rmSync(server.dataDir, { recursive: true, force: true });
  }
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
});

const appCall = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-Hearth-Key': secretKey },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json;
};

test('webhooks, schedules and jobs', async ({ page }, info) => {
  const outside = await onlyLocal(page);
  await signIn(page, server.url, state().admin);
  let webhookId = '';

  await test.step('create a webhook to a local receiver: the secret is shown once', async () => {
    await page.goto(`${server.url}/dashboard/apps/${appId}/webhooks`);
    await expect(page.getByText('No webhooks yet')).toBeVisible();
    await page.getByRole('button', { name: 'New webhook' }).click();
    await page.getByLabel('URL').fill(receiverUrl);
    await page.getByLabel('Description').fill('Order notifications');
    await expect(page.getByRole('dialog').getByText('documents.*', { exact: true })).toBeVisible();
    await checkPage(page, info, 'webhook-form');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await expect(page.getByText('Copy the secret now')).toBeVisible();
    expect(await page.getByTestId('webhook-secret').textContent()).toMatch(/\S{16,}/);
    await checkPage(page, info, 'webhook-secret');
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByTestId('webhook-row')).toHaveCount(1);
    await checkPage(page, info, 'webhooks');
  });

  await test.step('a document is made: its delivery is in the log, with request and response', async () => {
    await appCall('POST', `/v1/apps/${appId}/collections/orders/documents`, { item: 'teapot' });
    await expect.poll(() => received.filter((r) => r.body.type === 'documents.create').length).toBe(1);
    await page.getByRole('link', { name: receiverUrl }).click();
    webhookId = page.url().split('/').pop()!;
    await expect(page.getByTestId('delivery-row')).toHaveCount(1);
    await expect(page.getByTestId('delivery-row').getByText('succeeded')).toBeVisible();
    await page.getByRole('button', { name: 'documents.create', exact: true }).click();
    await expect(page.getByTestId('delivery-request')).toContainText('teapot');
    await expect(page.getByTestId('delivery-response')).toContainText('HTTP 200');
    await checkPage(page, info, 'webhook-deliveries');
  });

  await test.step('redeliver it: a second delivery of the same event reaches the receiver', async () => {
    await page.getByRole('button', { name: /^Redeliver documents.create/ }).click();
    await expect(page.getByText(/Redelivery \S+ queued/)).toBeVisible();
    await expect(page.getByTestId('delivery-row')).toHaveCount(2);
    await expect(page.getByText('redelivery', { exact: true })).toBeVisible();
    await expect.poll(() => received.filter((r) => r.body.type === 'documents.create').length).toBe(2);
    const [a, b] = received.filter((r) => r.body.type === 'documents.create');
    expect(a!.headers['hearth-event-id'] ?? JSON.stringify(a!.body)).toBe(
      b!.headers['hearth-event-id'] ?? JSON.stringify(b!.body),
    );
    await expect(page.getByTestId('delivery-row').getByText('succeeded')).toHaveCount(2);
  });

  await test.step('create a schedule and run it now: the run is in its history', async () => {
    await page.getByRole('link', { name: 'Schedules' }).click();
    await expect(page.getByText('No schedules yet')).toBeVisible();
    await page.getByRole('button', { name: 'New schedule' }).click();
    await page.getByLabel('Name').fill('Nightly report');
    await page.getByLabel('Cron').fill('0 3 * * *');
    const zone = page.getByRole('dialog').getByLabel('Time zone');
    await zone.click();
    await zone.fill('Europe/Paris');
    await page.getByRole('option', { name: 'Europe/Paris' }).click();
    await checkPage(page, info, 'schedule-form');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    await expect(page.getByText('Schedule Nightly report created')).toBeVisible();
    await expect(page.getByTestId('schedule-row')).toContainText('Europe/Paris');
    await page.getByRole('button', { name: 'Run now: Nightly report' }).click();
    await expect(page.getByText('Nightly report ran')).toBeVisible();
    await expect(page.getByTestId('run-row')).toHaveCount(1);
    await expect(page.getByTestId('run-row')).toContainText('manual');
    await expect(page.getByTestId('run-row')).toContainText('delivered');
    await expect.poll(() => received.filter((r) => r.body.type === 'schedule.fire').length).toBe(1);
    await checkPage(page, info, 'schedule-runs');
    await page.keyboard.press('Escape');
    await checkPage(page, info, 'schedules');
  });

  let jobId = '';
  await test.step('a job fails (its webhook is disabled): it shows in the failed jobs with its error', async () => {
    await call(server.url, 'PATCH', `/v1/admin/apps/${appId}/webhooks/${webhookId}`, { enabled: false }, token);
    const job = await appCall<{ id: string }>('POST', `/v1/apps/${appId}/jobs`, {
      type: 'webhooks.call',
      payload: { webhookId, event: 'orders.remind', data: { order: 42 } },
      attempts: 1,
    });
    jobId = job.id;
    await expect
      .poll(async () => (await appCall<{ state: string }>('GET', `/v1/apps/${appId}/jobs/${jobId}`)).state)
      .toBe('failed');
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('button', { name: /^webhooks\.call/ }).click();
    await expect(page).toHaveURL(/queue=webhooks.call/);
    await expect(page.getByRole('radio', { name: /failed \(1\)/ })).toBeChecked();
    await expect(page.getByTestId('job-row')).toContainText('the webhook is disabled');
    await checkPage(page, info, 'jobs');
    await page.getByRole('link', { name: jobId }).click();
    await expect(page.getByTestId('job-error')).toContainText('the webhook is disabled');
    await expect(page.getByTestId('job-data')).toContainText('orders.remind');
    await checkPage(page, info, 'job-detail');
  });

  await test.step('enable the webhook, retry the job: it completes and the receiver gets the call', async () => {
    await call(server.url, 'PATCH', `/v1/admin/apps/${appId}/webhooks/${webhookId}`, { enabled: true }, token);
    await page.getByRole('button', { name: 'Retry job' }).click();
    await expect(page.getByText(`Job ${jobId} queued again`)).toBeVisible();
    await expect(page.getByText('completed', { exact: true })).toBeVisible();
    await expect(page.getByTestId('job-result')).toContainText('succeeded');
    await expect.poll(() => received.filter((r) => r.body.type === 'orders.remind').length).toBe(1);
    await checkPage(page, info, 'job-completed');
  });

  await test.step('remove the job, after a confirmation', async () => {
    await page.getByRole('button', { name: 'Remove job' }).click();
    await expect(page.getByRole('dialog').getByText('Remove this job?')).toBeVisible();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove job' }).click();
    await expect(page.getByText(`Job ${jobId} removed`)).toBeVisible();
    await expect(page).toHaveURL(/state=completed/);
    await expect(page.getByText('No completed jobs in webhooks.call')).toBeVisible();
  });

  expect(outside, 'requests that left this server').toEqual([]);
});

test('the realtime monitor, with a live socket client connected', async ({ page }, info) => {
  const outside = await onlyLocal(page);
  const client = io(`${server.url}/apps/${appId}`, { transports: ['websocket'], auth: { key: secretKey } });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
    const sub = (await client.emitWithAck('subscribe', { collection: 'orders' })) as { subscription?: string };
    expect(sub.subscription).toBeTruthy();
    const joined = (await client.emitWithAck('join', { channel: 'room:lobby' })) as { channel?: string };
    expect(joined.channel).toBe('room:lobby');
    const seen: string[] = [];
    client.on('change', (c: { document: { item?: string } }) => seen.push(c.document.item ?? ''));

    await signIn(page, server.url, state().admin);
    await page.goto(`${server.url}/dashboard/apps/${appId}`);
    await page.getByRole('link', { name: 'Realtime' }).click();
    await expect(page.getByRole('heading', { name: 'Realtime' })).toBeVisible();
    await expect(page.getByTestId('tail-state')).toHaveText('live');
    // The client's socket and the dashboard's own admin socket; the client's subscription and the tail's.
    await expect(page.getByTestId('stat-connections')).toHaveText('2');
    await expect(page.getByTestId('by-collection')).toContainText('orders');
    await expect(page.getByTestId('channels')).toContainText('room:lobby');

    await appCall('POST', `/v1/apps/${appId}/collections/orders/documents`, { item: 'kettle' });
    await expect(page.getByTestId('tail-row').first()).toContainText('orders');
    await expect(page.getByTestId('tail-row').first()).toContainText('create');
    await expect.poll(() => seen).toContain('kettle');
    await page.getByTestId('tail-row').first().getByRole('button').click();
    await expect(page.getByTestId('tail')).toContainText('"item": "kettle"');
    await checkPage(page, info, 'realtime');

    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.getByTestId('tail-state')).toHaveText('paused');
    await appCall('POST', `/v1/apps/${appId}/collections/orders/documents`, { item: 'toaster' });
    await expect.poll(() => seen).toContain('toaster');
    await expect(page.getByTestId('tail')).not.toContainText('toaster');
  } finally {
    client.disconnect();
  }
  expect(outside, 'requests that left this server').toEqual([]);
});

/** Sets a webhook's failingSince through the SQLite store while the server is stopped (like the million seed). */
async function failingFor(hours: number, webhookId: string): Promise<void> {
  await stopServer(server.pid);
  const mod = (await import(pathToFileURL(join(ROOT, 'server', 'dist', 'engines', 'sqlite', 'index.js')).href)) as {
    openSqliteStore: (o: { file: string }) => {
      forApp(app: string): { update(c: string, id: string, u: { set: Record<string, unknown> }): Promise<unknown> };
      close(): Promise<void>;
    };
  };
  const store = mod.openSqliteStore({ file: join(server.dataDir, 'hearth.db') });
  const since = new Date(Date.now() - hours * 3_600_000).toISOString();
  await store.forApp(appId).update('_webhooks', webhookId, { set: { failingSince: since } });
  await store.close();
  server = { ...(await startServer(server.dataDir, { OUTBOUND_ALLOW_PRIVATE: 'true' })), dataDir: server.dataDir };
}

test('a webhook failing for a day is disabled, with a notice; enabled again, it redelivers; edit and delete', async ({
  page,
}, info) => {
  const hooks = await call<{ items: { id: string }[] }>(
    server.url,
    'GET',
    `/v1/admin/apps/${appId}/webhooks`,
    undefined,
    token,
  );
  const webhookId = hooks.items[0]!.id;
  await failingFor(25, webhookId);
  token = (await call<{ accessToken: string }>(server.url, 'POST', '/v1/admin/login', state().admin)).accessToken;
  failing = true;
  await appCall('POST', `/v1/apps/${appId}/collections/orders/documents`, { item: 'lamp' });
  await expect
    .poll(async () => {
      const h = await call<{ enabled: boolean }>(
        server.url,
        'GET',
        `/v1/admin/apps/${appId}/webhooks/${webhookId}`,
        undefined,
        token,
      );
      return h.enabled;
    })
    .toBe(false);

  const outside = await onlyLocal(page);
  await signIn(page, server.url, state().admin);
  await page.goto(`${server.url}/dashboard/apps/${appId}/webhooks/${webhookId}?status=failed`);
  await expect(page.getByRole('alert').filter({ hasText: 'Disabled after failing deliveries' })).toContainText(
    'Disabled automatically',
  );
  await expect(page.getByText('disabled (failing)')).toBeVisible();
  await expect(page.getByTestId('delivery-row')).toHaveCount(1);
  await expect(page.getByRole('button', { name: /^Redeliver documents.create/ })).toBeDisabled();
  await page.getByRole('button', { name: 'documents.create', exact: true }).click();
  await expect(page.getByTestId('delivery-response')).toContainText('HTTP 500');
  await checkPage(page, info, 'webhook-disabled');

  failing = false;
  await page.getByRole('button', { name: 'Enable' }).click();
  await expect(page.getByText('Webhook enabled')).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'Disabled after failing deliveries' })).toHaveCount(0);
  await page.getByRole('button', { name: /^Redeliver documents.create/ }).click();
  await expect(page.getByText(/Redelivery \S+ queued/)).toBeVisible();
  await expect.poll(() => received.filter((r) => JSON.stringify(r.body).includes('lamp')).length).toBe(2);
  await page.getByRole('combobox', { name: 'Delivery status' }).click();
  await page.getByRole('option', { name: 'succeeded' }).click();
  await expect(page.getByTestId('delivery-row').first()).toContainText('redelivery');

  // Edit, then delete the schedule and the webhook, each after a confirmation.
  await page.getByRole('link', { name: 'Schedules' }).click();
  await page.getByRole('button', { name: 'Edit Nightly report' }).click();
  await page.getByRole('dialog').getByLabel('Cron').fill('30 4 * * 1-5');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await expect(page.getByText('Schedule Nightly report saved')).toBeVisible();
  await expect(page.getByTestId('schedule-row')).toContainText('30 4 * * 1-5');
  await page.getByRole('button', { name: 'Delete Nightly report' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete schedule' }).click();
  await expect(page.getByText('No schedules yet')).toBeVisible();
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByRole('button', { name: /^Edit webhook/ }).click();
  await page.getByRole('dialog').getByLabel('Description').fill('Orders, to the warehouse');
  await page.getByRole('button', { name: 'Save webhook' }).click();
  await expect(page.getByText('Webhook saved')).toBeVisible();
  await expect(page.getByTestId('webhook-row')).toContainText('Orders, to the warehouse');
  await page.getByRole('button', { name: /^Delete webhook/ }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete webhook' }).click();
  await expect(page.getByText('No webhooks yet')).toBeVisible();
  expect(outside, 'requests that left this server').toEqual([]);
});
