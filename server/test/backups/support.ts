import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { CredentialBox } from '../../src/modules/push/index.js';
import { WebhookSecretBox } from '../../src/modules/webhooks/index.js';
import type { BackupView, RestoreView } from '../../src/modules/backups/backups.schema.js';
import type { StoredDocument } from '../../src/ports/document-store.js';
import { readAllArray } from '../../src/ports/read-all.js';
import { LOOPBACK_ONLY } from '../webhooks/support.js';
import { startHarness, TEST_SECRET, withAdminAndApp, type EngineName, type Harness } from '../support/harness.js';

export const PASSWORD = 'a long enough password 42';
export const EXCLUDED = new Set([
  '_sessions',
  '_auth_tokens',
  '_uploads',
  '_signing_keys',
  '_webhook_outbox',
  '_webhook_outbox_events',
]);

export interface World {
  h: Harness;
  appId: string;
  admin: { Authorization: string };
  publicKey: string;
  secretKey: string;
}

export async function world(engine: EngineName): Promise<World> {
  const h = await startHarness(engine, { outbound: LOOPBACK_ONLY });
  const ctx = await withAdminAndApp(h);
  return { h, ...ctx, admin: { Authorization: `Bearer ${ctx.adminToken}` } };
}

/** An app with something of everything a backup carries. */
export async function populate(w: World): Promise<void> {
  const { h, appId, admin } = w;
  const adminBase = `/v1/admin/apps/${appId}`;
  await h.http
    .patch(`/v1/admin/apps/${appId}`)
    .set(admin)
    .send({ settings: { corsOrigins: ['https://todo.example.com'] } })
    .expect(200);
  await h.http
    .post(`${adminBase}/collections`)
    .set(admin)
    .send({
      name: 'todos',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'done', type: 'boolean' },
      ],
      indexes: [{ name: 'byTitle', fields: ['title', '-done'], unique: true }],
      rules: { list: 'authenticated' },
    })
    .expect(201);
  const users: string[] = [];
  for (const email of ['ann@example.com', 'bob@example.com']) {
    const up = await h.http
      .post(`/v1/apps/${appId}/auth/signup`)
      .set('X-Hearth-Key', w.publicKey)
      .send({ email, password: PASSWORD })
      .expect(201);
    users.push(up.body.accessToken as string);
  }
  for (let i = 0; i < 1205; i++) {
    await h.store
      .forApp(appId)
      .create('notes', { data: { i, text: `note ${i}`, tags: ['a', { deep: [i, null] }] }, owner: `u${i % 3}` });
  }
  for (let i = 0; i < 3; i++) {
    await h.http
      .post(`/v1/apps/${appId}/collections/todos/documents`)
      .set('X-Hearth-Key', w.publicKey)
      .set('Authorization', `Bearer ${users[i % 2]}`)
      .send({ title: `todo ${i}`, done: i === 1 })
      .expect(201);
  }
  await h.http
    .patch(`/v1/apps/${appId}/collections/todos/documents/${await firstId(w, 'todos')}`)
    .set('X-Hearth-Key', w.secretKey)
    .send({ done: true })
    .expect(200);
  for (const [name, bytes] of [
    ['hello.txt', Buffer.from('hello, backup\n')],
    ['big.txt', Buffer.alloc(300_000, 'xyz\n')],
  ] as const) {
    await h.http
      .post(`/v1/apps/${appId}/files`)
      .set('X-Hearth-Key', w.secretKey)
      .attach('file', bytes, { filename: name, contentType: 'text/plain' })
      .expect(201);
  }
  const hook = await h.http
    .post(`${adminBase}/webhooks`)
    .set(admin)
    .send({ url: 'http://127.0.0.1:9/hook', events: ['documents.create:todos'] })
    .expect(201);
  await h.http
    .post(`${adminBase}/schedules`)
    .set(admin)
    .send({ name: 'hourly', cron: '0 * * * *', target: { type: 'webhook', webhookId: hook.body.id } })
    .expect(201);
  await h.http
    .put(`${adminBase}/push/credentials/vapid`)
    .set(admin)
    .send({ subject: 'mailto:ops@example.com' })
    .expect(200);
  await h.http
    .put(`${adminBase}/realtime/channels`)
    .set(admin)
    .send({ rules: [{ pattern: 'room:*', join: 'authenticated', publish: 'authenticated' }] })
    .expect(200);
}

async function firstId(w: World, collection: string): Promise<string> {
  const page = await w.h.store.forApp(w.appId).find(collection, { limit: 1 });
  return page.items[0]!.id;
}

export interface AppSnapshot {
  settings: unknown;
  collections: Record<string, StoredDocument[]>;
  indexes: Record<string, unknown>;
  schemas: unknown;
  channels: unknown;
  files: Record<string, string>;
}

const pushBox = new CredentialBox(TEST_SECRET);
const webhookBox = new WebhookSecretBox(TEST_SECRET);

/**
 * Everything of an app, engine level: every record of every collection (sealed values opened,
 * since they are re-sealed for the new app id), indexes, schemas, channel rules, file bytes (sha-256).
 */
export async function snapshot(w: Pick<World, 'h' | 'admin'>, appId: string): Promise<AppSnapshot> {
  const { h } = w;
  const app = h.store.forApp(appId);
  const collections: AppSnapshot['collections'] = {};
  const indexes: AppSnapshot['indexes'] = {};
  for (const name of await app.listCollections()) {
    if (EXCLUDED.has(name)) continue;
    const docs = await readAllArray(app, name, { max: Number.POSITIVE_INFINITY });
    collections[name] = docs.map((d) => open(appId, name, d));
    indexes[name] = await app.listIndexes(name);
  }
  const files: Record<string, string> = {};
  for await (const o of h.modules.files.services.files.store.list(`${appId}/`)) {
    const chunks: Buffer[] = [];
    for await (const c of await h.modules.files.services.files.store.read(o.key)) chunks.push(c as Buffer);
    files[o.key.slice(appId.length + 1)] = createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
  }
  const info = await h.http.get(`/v1/admin/apps/${appId}`).set(w.admin).expect(200);
  const schemas = await h.http.get(`/v1/admin/apps/${appId}/collections`).set(w.admin).expect(200);
  const channels = await h.modules.realtime.services.channels.get(appId);
  // The schema views name their app: the one thing that must differ.
  const schemaViews = (schemas.body.items as Array<Record<string, unknown>>).map((s) => {
    expect(s.appId).toBe(appId);
    return { ...s, appId: 'APP' };
  });
  return { settings: info.body.settings, collections, indexes, schemas: schemaViews, channels, files };
}

function open(appId: string, collection: string, d: StoredDocument): StoredDocument {
  if (collection === '_push_credentials') return { ...d, sealed: pushBox.open(appId, String(d.sealed)) };
  if (collection === '_webhooks') {
    return { ...d, secretSealed: webhookBox.open(String(d.secretSealed), { appId, webhookId: d.id }) ?? 'UNREADABLE' };
  }
  return d;
}

export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > until) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a backup and waits until it has completed; returns its view. */
export async function backup(w: World): Promise<BackupView> {
  const started = await w.h.http.post(`/v1/admin/apps/${w.appId}/backups`).set(w.admin).expect(202);
  const view = await waitFor(
    async () =>
      (await w.h.http.get(`/v1/admin/backups/${started.body.id}`).set(w.admin).expect(200)).body as BackupView,
    (b) => b.status === 'completed' || b.status === 'failed',
  );
  expect(view.error).toBeNull();
  expect(view.status).toBe('completed');
  return view;
}

export async function download(w: World, backupId: string): Promise<Buffer> {
  const res = await w.h.http
    .get(`/v1/admin/backups/${backupId}/archive`)
    .set(w.admin)
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    })
    .expect(200);
  expect(res.headers['content-type']).toBe('application/gzip');
  return res.body as Buffer;
}

/** Waits for a restore to finish; returns its view. */
export async function restored(w: Pick<World, 'h' | 'admin'>, restoreId: string): Promise<RestoreView> {
  return waitFor(
    async () => (await w.h.http.get(`/v1/admin/restores/${restoreId}`).set(w.admin).expect(200)).body,
    (r: RestoreView) => r.status === 'completed' || r.status === 'failed',
  );
}

/** The snapshots must be equal, record for record and byte for byte. */
export function expectSameApp(restoredApp: AppSnapshot, original: AppSnapshot): void {
  expect(restoredApp.settings).toEqual(original.settings);
  expect(Object.keys(restoredApp.collections)).toEqual(Object.keys(original.collections));
  for (const [name, docs] of Object.entries(original.collections)) {
    expect(restoredApp.collections[name], name).toEqual(docs);
  }
  expect(restoredApp.indexes).toEqual(original.indexes);
  expect(restoredApp.schemas).toEqual(original.schemas);
  expect(restoredApp.channels).toEqual(original.channels);
  expect(restoredApp.files).toEqual(original.files);
}
