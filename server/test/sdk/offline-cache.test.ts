import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, createOfflineQueue, HearthError, memoryStorage } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

/**
 * Cached reads of the offline queue against a live server that goes away: answers kept in the
 * pluggable storage, served marked stale while the network is down, dropped by queued writes,
 * never used for a real server answer (a 404 stays a 404).
 */
interface Todo {
  title: string;
  done: boolean;
}

describe('SDK cached reads while offline', () => {
  let h: Harness;
  let server: Server;
  let port = 0;
  let ctx: Awaited<ReturnType<typeof withAdminAndApp>>;
  const listen = async () => {
    server = h.app.listen(port, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stop = () => new Promise((resolve) => server.close(resolve));
  beforeAll(async () => {
    h = await startHarness('sqlite');
    ctx = await withAdminAndApp(h);
    for (const name of ['todos', 'notes'])
      await h.http
        .post(`/v1/admin/apps/${ctx.appId}/collections`)
        .set('Authorization', `Bearer ${ctx.adminToken}`)
        .send({
          name,
          fields: [
            { name: 'title', type: 'string', required: true },
            { name: 'done', type: 'boolean', default: false },
          ],
        })
        .expect(201);
    await listen();
  });
  afterAll(async () => {
    await stop();
    await h?.close();
  });

  it('serves the last answers when the server is unreachable, until a queued write drops them', async () => {
    const hearth = createClient({ url: `http://127.0.0.1:${port}`, app: ctx.appId, key: ctx.secretKey });
    const a = await hearth.collection<Todo, 'done'>('todos').create({ title: 'a' });
    const note = await hearth.collection<Todo, 'done'>('notes').create({ title: 'n' });
    const storage = memoryStorage();
    const queue = createOfflineQueue(hearth, { storage, cache: true });
    const todos = queue.collection<Todo, 'done'>('todos');
    const online = await todos.find({ filter: { done: false }, sort: 'createdAt' });
    expect(online).toMatchObject({ stale: false, data: { items: [{ id: a.id, title: 'a' }] } });
    expect((await todos.get(a.id)).stale).toBe(false);
    expect((await queue.collection<Todo>('notes').get(note.id)).data.title).toBe('n');

    await stop();
    // The same query, keys in another order: the cached page, marked stale.
    const offline = await todos.find({ sort: 'createdAt', filter: { done: false } });
    expect(offline).toEqual({ data: online.data, stale: true, cachedAt: online.cachedAt });
    expect(await todos.get(a.id)).toMatchObject({ stale: true, data: { id: a.id, title: 'a', version: 1 } });
    // A query never answered has nothing to serve: the network error.
    const never = await todos.find({ filter: { done: true } }).catch((e: unknown) => e);
    expect(never).toBeInstanceOf(HearthError);
    expect((never as HearthError).code).toBe('network');

    // Another run of the app (same storage) has the cache too.
    const again = createOfflineQueue(hearth, { storage, cache: true });
    expect((await again.collection<Todo>('todos').get(a.id)).stale).toBe(true);

    // A queued edit: the cached reads it may change are gone (no stale view of a pending write).
    await again.collection<Todo>('todos').update(a.id, { title: 'edited offline' }, { ifMatch: a.version });
    await expect(todos.get(a.id)).rejects.toMatchObject({ code: 'network' });
    await expect(todos.find({ filter: { done: false }, sort: 'createdAt' })).rejects.toMatchObject({ code: 'network' });
    // Other collections keep theirs.
    expect((await queue.collection<Todo>('notes').get(note.id)).stale).toBe(true);

    await listen();
    await again.flush();
    expect(again.state.pending).toBe(0);
    expect(await todos.get(a.id)).toMatchObject({ stale: false, data: { title: 'edited offline', version: 2 } });
  });

  it('answers from the server win: a 404 is thrown, not covered by the cache; old entries are evicted', async () => {
    const hearth = createClient({ url: `http://127.0.0.1:${port}`, app: ctx.appId, key: ctx.secretKey });
    const t = await hearth.collection<Todo, 'done'>('todos').create({ title: 'gone soon' });
    const queue = createOfflineQueue(hearth, { cache: { maxEntries: 2 } });
    const todos = queue.collection<Todo>('todos');
    await todos.get(t.id);
    await hearth.collection('todos').delete(t.id);
    await expect(todos.get(t.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });

    await todos.find({ limit: 1 });
    await new Promise((r) => setTimeout(r, 5));
    await todos.find({ limit: 2 });
    await new Promise((r) => setTimeout(r, 5));
    await todos.find({ limit: 3 });
    await stop();
    try {
      await expect(todos.find({ limit: 1 })).rejects.toMatchObject({ code: 'network' });
      expect((await todos.find({ limit: 3 })).stale).toBe(true);
    } finally {
      await listen();
    }
  });

  it('without `cache`, reads go to the server only', async () => {
    const hearth = createClient({ url: `http://127.0.0.1:${port}`, app: ctx.appId, key: ctx.secretKey });
    const queue = createOfflineQueue(hearth);
    expect(queue.cache).toBeNull();
    const first = await queue.collection<Todo>('todos').find();
    expect(first.stale).toBe(false);
    await stop();
    try {
      await expect(queue.collection<Todo>('todos').find()).rejects.toMatchObject({ code: 'network' });
    } finally {
      await listen();
    }
  });
});
