import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { collectionRequests, createClient, HearthError, type HearthClient } from '@hearth/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

/**
 * The SDK's collection API against a real listening server (the built SDK, through fetch),
 * on every engine: what docs/collections.md shows must work as written.
 */
interface Todo {
  title: string;
  done: boolean;
  views?: number;
  tags?: string[];
}

describe.each(ENGINES)('SDK collections [%s]', (engine) => {
  let h: Harness;
  let server: Server;
  let hearth: HearthClient;
  let appId: string;
  let publicKey: string;

  beforeAll(async () => {
    h = await startHarness(engine);
    const ctx = await withAdminAndApp(h);
    appId = ctx.appId;
    publicKey = ctx.publicKey;
    await h.http
      .post(`/v1/admin/apps/${appId}/collections`)
      .set('Authorization', `Bearer ${ctx.adminToken}`)
      .send({
        name: 'todos',
        fields: [
          { name: 'title', type: 'string', required: true, searchable: true },
          { name: 'done', type: 'boolean', default: false },
          { name: 'views', type: 'integer' },
          { name: 'tags', type: 'array', of: { type: 'string' } },
        ],
        rules: { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' },
      })
      .expect(201);
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    // A secret key: these tests are about the SDK's transport, not the rules.
    hearth = createClient({ url: `http://127.0.0.1:${port}`, app: appId, key: ctx.secretKey });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await h.close();
  });

  it('creates, gets, updates with operators, replaces and deletes', async () => {
    const todos = hearth.collection<Todo>('todos');
    const todo = await todos.create({ title: 'Buy milk', done: false });
    expect(todo).toMatchObject({ title: 'Buy milk', done: false, version: 1 });
    expect(await todos.get(todo.id)).toMatchObject({ id: todo.id, title: 'Buy milk' });

    const updated = await todos.update(todo.id, { done: true, $inc: { views: 2 }, $push: { tags: 'home' } });
    expect(updated).toMatchObject({ done: true, views: 2, tags: ['home'], version: 2 });

    const stale = await todos.update(todo.id, { title: 'x' }, { ifMatch: 1 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(HearthError);
    expect(stale).toMatchObject({ status: 409, code: 'conflict' });

    const replaced = await todos.replace(todo.id, { title: 'Buy oat milk', done: false }, { ifMatch: 2 });
    expect(replaced).toMatchObject({ title: 'Buy oat milk', version: 3 });
    expect(replaced.views).toBeUndefined();

    await todos.delete(todo.id);
    await expect(todos.get(todo.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('finds with filter, sort and count; iterates every page by cursor', async () => {
    const todos = hearth.collection<Todo>('todos');
    await hearth.batch(
      Array.from({ length: 25 }, (_, i) => ({
        op: 'create' as const,
        collection: 'todos',
        data: { title: `task ${String(i).padStart(2, '0')}`, done: i % 2 === 0 },
      })),
    );
    const page = await todos.find({ filter: { done: false }, sort: '-title', limit: 5, count: 'exact' });
    expect(page.count).toBe(12);
    expect(page.items.map((t) => t.title)).toEqual(['task 23', 'task 21', 'task 19', 'task 17', 'task 15']);
    expect(page.next).toEqual(expect.any(String));

    const seen: string[] = [];
    for await (const t of todos.iterate({ filter: { done: true }, sort: 'title', limit: 4 })) seen.push(t.title);
    expect(seen).toHaveLength(13);
    expect(seen[0]).toBe('task 00');
    expect(seen).toEqual([...seen].sort());

    expect(await todos.count({ filter: { done: true } })).toBe(13);
    const rows = await todos.aggregate<{ done: boolean; n: number }>([
      { $group: { _id: '$done', n: { $count: {} } } },
      { $sort: { done: 1 } },
    ]);
    expect(rows).toEqual([
      { done: false, n: 12 },
      { done: true, n: 13 },
    ]);
  });

  it('retries with an idempotency key create one document', async () => {
    const todos = hearth.collection<Todo>('todos');
    const first = await todos.create({ title: 'once', done: false }, { idempotencyKey: 'k-123456789' });
    const again = await todos.create({ title: 'once', done: false }, { idempotencyKey: 'k-123456789' });
    expect(again.id).toBe(first.id);
    expect(await todos.count({ filter: { title: 'once' } })).toBe(1);
  });

  it('leaves out fields with a server default on create; describes requests as data', async () => {
    const todos = hearth.collection<Todo, 'done'>('todos');
    const todo = await todos.create({ title: 'defaulted' });
    expect(todo.done).toBe(false);
    expect(
      collectionRequests('app1', 'todos').update('d1', { done: true }, { ifMatch: 2, idempotencyKey: 'k1' }),
    ).toEqual({
      method: 'PATCH',
      path: '/v1/apps/app1/collections/todos/documents/d1',
      body: { done: true },
      headers: { 'If-Match': '"2"', 'Idempotency-Key': 'k1' },
    });
    expect(todos.requests.find({ filter: { done: false }, sort: ['-createdAt', 'title'] }).query).toMatchObject({
      filter: { done: false },
      sort: ['-createdAt', 'title'],
    });
  });

  it('runs a batch all or nothing', async () => {
    const todos = hearth.collection<Todo, 'done'>('todos');
    const a = await todos.create({ title: 'batch a' });
    const res = await hearth.batch([
      { op: 'update', collection: 'todos', id: a.id, data: { done: true }, ifMatch: a.version },
      { op: 'create', collection: 'todos', data: { title: 'batch b' } },
    ]);
    expect(res.results.map((r) => r.status)).toEqual([200, 201]);
    const failed = await hearth
      .batch([
        { op: 'delete', collection: 'todos', id: a.id },
        { op: 'update', collection: 'todos', id: a.id, data: { done: false }, ifMatch: 1 },
      ])
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(HearthError);
    expect(await todos.get(a.id)).toMatchObject({ done: true });
  });

  it('surfaces the contract errors as HearthError', async () => {
    const todos = hearth.collection<Todo>('todos');
    await expect(todos.find({ filter: { $where: 'sleep(1)' } as never })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_request',
    });
    await expect(todos.create({ title: 42 as unknown as string, done: false })).rejects.toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    const wrongKey = createClient({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      app: appId,
      key: 'pk_nope',
    });
    await expect(wrongKey.collection('todos').find()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    const publicClient = createClient({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      app: appId,
      key: publicKey,
    });
    publicClient.setAccessToken('not-a-token');
    await expect(publicClient.collection('todos').find()).rejects.toMatchObject({ status: 401 });
  });
});
