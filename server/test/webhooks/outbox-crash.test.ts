import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSqliteQueue } from '../../src/engines/sqlite-queue/index.js';
import { newId } from '../../src/lib/ids.js';
import { DELIVERIES } from '../../src/modules/webhooks/deliveries.js';
import { EVENTS_OUTBOX, OUTBOX } from '../../src/modules/webhooks/outbox.js';
import type { DocumentStore } from '../../src/ports/document-store.js';
import { buildTestApp, ENGINES, withAdminAndApp, type EngineName } from '../support/harness.js';
import { tsxLoader } from '../support/main-process.js';
import { FAST_DELIVERY, LOOPBACK_ONLY, startReceiver, waitFor, type Receiver } from './support.js';

/**
 * The transactional outbox survives a crash: a server process SIGKILLed right after a write
 * committed (a document listener kills it synchronously when the event is emitted, before the
 * webhooks module recorded the delivery) leaves the outbox record committed with the document;
 * the next process's maintenance sweep delivers the event, once, with the recorded event id.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function open(engine: EngineName, target: string, db: string): Promise<DocumentStore> {
  if (engine === 'sqlite') {
    const { openSqliteStore } = await import('../../src/engines/sqlite/index.js');
    return openSqliteStore({ file: target });
  }
  const { connectMongoStore } = await import('../../src/engines/mongodb/index.js');
  return connectMongoStore({ url: target, dbName: db });
}

function runChild(args: string[]): Promise<{ signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, join(import.meta.dirname, 'outbox-child.ts'), ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (_code, signal) => {
      clearTimeout(timer);
      resolve({ signal, out });
    });
  });
}

describe.each(ENGINES)('an event whose writer was SIGKILLed after the commit [%s]', (engine) => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it('is delivered once after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-outbox-'));
    dirs.push(dir);
    const target = engine === 'sqlite' ? join(dir, 'hearth.db') : inject('mongoUrl');
    const db = `t_${newId().replace(/[^A-Za-z0-9]/g, '')}`;
    const queueFile = join(dir, 'jobs.db');

    // 1. setup: an app, a collection, a webhook on its creates
    let store = await open(engine, target, db);
    let jobs = createSqliteQueue({ file: queueFile });
    const first = await buildTestApp(store, { jobs, outbound: LOOPBACK_ONLY });
    const http = request(first.app);
    const { adminToken, appId, secretKey } = await withAdminAndApp({ http } as never);
    const auth = { Authorization: `Bearer ${adminToken}` };
    await http
      .post(`/v1/admin/apps/${appId}/collections`)
      .set(auth)
      .send({
        name: 'todos',
        fields: [
          { name: 'title', type: 'string' },
          { name: 'secretNote', type: 'string', hidden: true },
        ],
        rules: { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' },
      })
      .expect(201);
    const hook = await http
      .post(`/v1/admin/apps/${appId}/webhooks`)
      .set(auth)
      .send({ url: `${receiver.url}/crash-${engine}`, events: ['documents.create:todos'] })
      .expect(201);
    await jobs.close();
    await store.close();

    // 2. a process that dies right after the write's commit
    const child = await runChild([engine, target, db, queueFile, appId, secretKey]);
    expect(child.signal, child.out).toBe('SIGKILL');
    const [, docId, eventId] = /committed (\S+) (\S+)/.exec(child.out) ?? [];
    expect(docId, child.out).toBeTruthy();
    expect(eventId, child.out).toBeTruthy();

    store = await open(engine, target, db);
    const app = store.forApp(appId);
    expect(await app.get('todos', docId!)).toMatchObject({ title: 'survives the crash' });
    expect((await app.find(OUTBOX, { limit: 10 })).items.map((r) => r.id)).toEqual([eventId]);
    expect(await app.count(DELIVERIES)).toBe(0);
    expect(receiver.received.filter((r) => r.path === `/crash-${engine}`)).toHaveLength(0);

    // 3. the restarted server's sweep delivers it
    jobs = createSqliteQueue({ file: queueFile, idlePollMs: 50 });
    const second = await buildTestApp(store, {
      jobs,
      outbound: LOOPBACK_ONLY,
      webhookDelivery: { ...FAST_DELIVERY, sweepCron: '* * * * * *', outboxLeaseMs: 500 },
    });
    try {
      const got = await waitFor(() => receiver.received.find((r) => r.path === `/crash-${engine}`), 20_000);
      const body = JSON.parse(got.body) as { id: string; type: string; data: { document: Record<string, unknown> } };
      expect(body).toMatchObject({ id: eventId, type: 'documents.create' });
      expect(body.data.document).toMatchObject({ id: docId, title: 'survives the crash' });
      expect(body.data.document).not.toHaveProperty('secretNote');
      expect(got.headers['hearth-delivery']).toBe(`${eventId}-${hook.body.id}`);
      await waitFor(async () => (await app.count(OUTBOX)) === 0);
      await new Promise((r) => setTimeout(r, 2500)); // two more sweeps send nothing more
      expect(receiver.received.filter((r) => r.path === `/crash-${engine}`)).toHaveLength(1);
    } finally {
      await jobs.close();
      await second.settle();
      await store.close();
    }
  }, 90_000);

  it.each([
    { mode: 'user', event: 'users.create', field: 'user', expected: { email: 'crash@example.com' } },
    { mode: 'file', event: 'files.create', field: 'file', expected: { name: 'crash.txt', size: 18 } },
  ])(
    'a $event whose writer was SIGKILLed after the commit is delivered once after the restart',
    async (kind) => {
      const dir = mkdtempSync(join(tmpdir(), `hearth-outbox-${kind.mode}-`));
      dirs.push(dir);
      const target = engine === 'sqlite' ? join(dir, 'hearth.db') : inject('mongoUrl');
      const db = `t_${newId().replace(/[^A-Za-z0-9]/g, '')}`;
      const queueFile = join(dir, 'jobs.db');
      let store = await open(engine, target, db);
      let jobs = createSqliteQueue({ file: queueFile });
      const first = await buildTestApp(store, { jobs, outbound: LOOPBACK_ONLY });
      const http = request(first.app);
      const { adminToken, appId, secretKey } = await withAdminAndApp({ http } as never);
      const hook = await http
        .post(`/v1/admin/apps/${appId}/webhooks`)
        .set({ Authorization: `Bearer ${adminToken}` })
        .send({ url: `${receiver.url}/${kind.mode}-${engine}`, events: [kind.event] })
        .expect(201);
      await jobs.close();
      await store.close();

      const child = await runChild([engine, target, db, queueFile, appId, secretKey, kind.mode]);
      expect(child.signal, child.out).toBe('SIGKILL');
      const [, id, eventId] = /committed (\S+) (\S+)/.exec(child.out) ?? [];
      expect(eventId, child.out).toBeTruthy();

      store = await open(engine, target, db);
      const app = store.forApp(appId);
      expect(await app.get(kind.mode === 'user' ? '_users' : '_files', id!)).toMatchObject(kind.expected);
      expect((await app.find(EVENTS_OUTBOX, { limit: 10 })).items.map((r) => r.id)).toEqual([eventId]);
      expect(await app.count(OUTBOX)).toBe(0); // never where a release before it would drain it
      expect(await app.count(DELIVERIES)).toBe(0);

      jobs = createSqliteQueue({ file: queueFile, idlePollMs: 50 });
      const second = await buildTestApp(store, {
        jobs,
        outbound: LOOPBACK_ONLY,
        webhookDelivery: { ...FAST_DELIVERY, sweepCron: '* * * * * *', outboxLeaseMs: 500 },
      });
      try {
        const path = `/${kind.mode}-${engine}`;
        const got = await waitFor(() => receiver.received.find((r) => r.path === path), 20_000);
        const body = JSON.parse(got.body) as {
          id: string;
          type: string;
          data: Record<string, Record<string, unknown>>;
        };
        expect(body).toMatchObject({ id: eventId, type: kind.event });
        expect(body.data[kind.field]).toMatchObject({ id, ...kind.expected });
        expect(body.data[kind.field]).not.toHaveProperty('passwordHash');
        expect(got.headers['hearth-delivery']).toBe(`${eventId}-${hook.body.id}`);
        await waitFor(async () => (await app.count(EVENTS_OUTBOX)) === 0);
        await new Promise((r) => setTimeout(r, 2500));
        expect(receiver.received.filter((r) => r.path === path)).toHaveLength(1);
      } finally {
        await jobs.close();
        await second.settle();
        await store.close();
      }
    },
    90_000,
  );
});
