import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, createOfflineQueue, memoryStorage, type FetchLike, type HearthError } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

/**
 * The offline mutation queue against a live server that goes away and comes back: writes kept
 * in storage, replayed in order, not applied twice when an answer was lost (Idempotency-Key),
 * and a stale version handed to onConflict instead of overwriting.
 */
interface Todo {
  title: string;
  done: boolean;
}

describe('SDK offline queue', () => {
  let h: Harness;
  let server: Server;
  let port: number;
  let ctx: Awaited<ReturnType<typeof withAdminAndApp>>;
  const listen = async (p = 0) => {
    server = h.app.listen(p, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stop = () => new Promise((resolve) => server.close(resolve));
  beforeAll(async () => {
    h = await startHarness('sqlite');
    ctx = await withAdminAndApp(h);
    await h.http
      .post(`/v1/admin/apps/${ctx.appId}/collections`)
      .set('Authorization', `Bearer ${ctx.adminToken}`)
      .send({
        name: 'todos',
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

  it('keeps writes while the server is down and replays them in order when it is back', async () => {
    let loseAnswers = false;
    const fetchThatLosesAnswers: FetchLike = async (url, init) => {
      const res = await globalThis.fetch(url, init as RequestInit);
      if (loseAnswers) throw new TypeError('connection reset');
      return res;
    };
    const hearth = createClient({
      url: `http://127.0.0.1:${port}`,
      app: ctx.appId,
      key: ctx.secretKey,
      fetch: fetchThatLosesAnswers,
    });
    const todos = hearth.collection<Todo, 'done'>('todos');
    const shared = await todos.create({ title: 'shared' });
    const storage = memoryStorage();
    const conflicts: Array<{ status: number; reason: string | undefined }> = [];
    const states: number[] = [];
    const queue = createOfflineQueue(hearth, {
      storage,
      onConflict: (_w, e: HearthError) => void conflicts.push({ status: e.status, reason: e.reason }),
    });
    queue.onChange((s) => states.push(s.pending));

    const savedPort = port;
    await stop();
    const q = queue.collection<Todo, 'done'>('todos');
    await q.create({ title: 'offline 1' });
    await q.update(shared.id, { title: 'edited offline' }, { ifMatch: shared.version });
    await q.create({ title: 'offline 2' });
    await queue.flush();
    expect(queue.state).toMatchObject({ pending: 3, lastError: { code: 'network' } });

    // Meanwhile someone else edits the shared document: the queued edit is now stale.
    await h.http
      .patch(`/v1/apps/${ctx.appId}/collections/todos/documents/${shared.id}`)
      .set('X-Hearth-Key', ctx.secretKey)
      .send({ done: true })
      .expect(200);

    // A new run of the app picks the queue up from storage.
    const again = createOfflineQueue(hearth, {
      storage,
      onConflict: (_w, e: HearthError) => void conflicts.push({ status: e.status, reason: e.reason }),
    });
    await again.ready;
    expect(again.pending).toHaveLength(3);

    await listen(savedPort);
    // The first write reaches the server but its answer is lost: the flush stops, the write stays.
    loseAnswers = true;
    await again.flush();
    expect(again.state.pending).toBe(3);
    loseAnswers = false;
    await again.flush();
    expect(again.state).toMatchObject({ pending: 0, lastError: null });

    const titles = (await todos.find({ sort: 'createdAt' })).items.map((t) => t.title);
    expect(titles).toEqual(['shared', 'offline 1', 'offline 2']); // "offline 1" once: the idempotency key held
    expect(conflicts).toEqual([{ status: 409, reason: 'version' }]);
    expect((await todos.get(shared.id)).title).toBe('shared');
    expect(states.slice(0, 3)).toEqual([1, 2, 3]);
  });
});
