import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectError, freshApp } from '../../../test/conformance/support.js';
import { HearthError } from '../../errors.js';
import { parseFilter } from '../../lib/filter/parse.js';
import { newId } from '../../lib/ids.js';
import { connectMongoStore, type MongoDocumentStore } from './index.js';

/**
 * The MongoDB engine against the jongodb test server: the parts the cross-engine conformance
 * suite does not reach (reference semantics where MongoDB's differ, concurrency, the fallbacks
 * for a server without drops). On servers of their own (a replica set, a server that goes away):
 * mongodb.servers.test.ts.
 */

const f = (json: Record<string, unknown>) => parseFilter(json);
const dbName = () => `m_${newId().replace(/[^A-Za-z0-9]/g, '')}`;

describe('mongodb engine on jongodb', () => {
  let store: MongoDocumentStore;
  beforeAll(async () => {
    store = await connectMongoStore({ url: inject('mongoUrl'), dbName: dbName(), serverSelectionTimeoutMS: 3000 });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('probes the server: jongodb has no drops and no $type lists; standalone means no transactions', () => {
    expect(store.capabilities).toEqual({ transactions: false, nativeDrops: false, typeLists: false });
  });

  it('refuses bad app ids, collection names and database names', async () => {
    expect(() => store.forApp('bad.app')).toThrow(HearthError);
    expect(() => store.forApp('')).toThrow(HearthError);
    expect(store.forApp('_system').appId).toBe('_system');
    const app = freshApp(store);
    await expectError(app.create('a.b', { data: {} }), 'invalid_request');
    await expectError(app.find('$x', { limit: 1 }), 'invalid_request');
    await expectError(connectMongoStore({ url: inject('mongoUrl'), dbName: 'bad.name' }), 'invalid_request');
  });

  it('keeps apps apart: same collection names, separate data and indexes', async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const a = store.forApp(`iso${tag}`);
    const b = store.forApp(`iso${tag}_x`);
    await a.create('notes', { id: 'same', data: { who: 'a' } });
    await b.create('notes', { id: 'same', data: { who: 'b' } });
    await a.ensureIndex('notes', { kind: 'regular', name: 'byWho', fields: [{ path: 'who', dir: 1 }], unique: true });
    expect(await a.get('notes', 'same')).toMatchObject({ who: 'a' });
    expect(await b.get('notes', 'same')).toMatchObject({ who: 'b' });
    expect(await b.listIndexes('notes')).toEqual([]);
    await a.dropApp();
    expect(await a.get('notes', 'same')).toBeNull();
    expect(await b.get('notes', 'same')).toMatchObject({ who: 'b' });
  });

  it('stores a data field named _id (and __id) without touching the document id', async () => {
    const app = freshApp(store);
    const doc = await app.create('t', { id: 'real', data: { _id: 'fake', __id: 2, x: 1 } });
    expect(doc).toMatchObject({ id: 'real', _id: 'fake', __id: 2 });
    expect(await app.get('t', 'real')).toEqual(doc);
    expect((await app.find('t', { filter: f({ _id: 'fake' }), limit: 5 })).items.map((d) => d.id)).toEqual(['real']);
    expect((await app.find('t', { filter: f({ id: 'fake' }), limit: 5 })).items).toEqual([]);
    const raw = await withClient((c) => c.db(dbNameOf(store)).collection(`a.${app.appId}.t`).findOne({}));
    expect(raw).toMatchObject({ _id: 'real', __id: 'fake', ___id: 2 });
  });

  it('dotted paths do not descend into arrays (the reference), unlike MongoDB', async () => {
    const app = freshApp(store);
    await app.create('t', { id: 'arr', data: { a: [{ b: 1 }, { b: 2 }] } });
    await app.create('t', { id: 'obj', data: { a: { b: 1 } } });
    await app.create('t', { id: 'none', data: {} });
    const ids = async (filter: Record<string, unknown>) =>
      (await app.find('t', { filter: f(filter), limit: 10 })).items.map((d) => d.id).sort();
    expect(await ids({ 'a.b': 1 })).toEqual(['obj']);
    expect(await ids({ 'a.b': { $exists: false } })).toEqual(['arr', 'none']);
    expect(await ids({ 'a.b': null })).toEqual(['arr', 'none']);
    expect(await ids({ 'a.b': { $ne: 2 } })).toEqual(['arr', 'none', 'obj']);
    expect(await ids({ 'a.b': { $gte: 1 } })).toEqual(['obj']);
    expect(await ids({ a: { $elemMatch: { b: 2 } } })).toEqual(['arr']);
    // $or inside $elemMatch, which jongodb cannot run natively, is lifted out
    expect(await ids({ a: { $elemMatch: { $or: [{ b: 3 }, { b: 2 }] } } })).toEqual(['arr']);
    expect(await ids({ a: { $elemMatch: { $or: [{ b: 3 }, { c: 2 }] } } })).toEqual([]);
  });

  it('$text: every word as a whole word in a text-indexed field, any letter case', async () => {
    const app = freshApp(store);
    await app.create('posts', { id: 'p1', data: { title: 'The Big Cat', body: 'sleeps' } });
    await app.create('posts', { id: 'p2', data: { title: 'concatenate', body: 'École' } });
    await app.create('posts', { id: 'p3', data: { title: 'dog', tags: ['cat', 'x'] } });
    const search = async (words: string) =>
      (await app.find('posts', { filter: { op: 'text', search: words }, limit: 10 })).items.map((d) => d.id).sort();
    await expect(search('cat')).rejects.toMatchObject({ code: 'invalid_request' }); // no text index yet
    await app.ensureIndex('posts', { kind: 'text', name: 'search', fields: ['title', 'body', 'tags'] });
    expect(await search('cat')).toEqual(['p1', 'p3']);
    expect(await search('CAT sleeps')).toEqual(['p1']);
    expect(await search('école')).toEqual(['p2']);
    expect(await search('ÉCOLE')).toEqual(['p2']);
    expect(await search('cat missing')).toEqual([]);
    expect(
      await app.count('posts', {
        filter: { op: 'and', children: [{ op: 'text', search: 'cat' }, f({ title: 'dog' })] },
      }),
    ).toBe(1);
    expect(await app.listIndexes('posts')).toEqual([
      { kind: 'text', name: 'search', fields: ['title', 'body', 'tags'] },
    ]);
  });

  it('50 concurrent $inc and 20 concurrent $push all land (compare-and-set retries)', async () => {
    const app = freshApp(store);
    const doc = await app.create('c', { data: { n: 0, list: [] } });
    await Promise.all(Array.from({ length: 50 }, () => app.update('c', doc.id, { inc: { n: 1 } })));
    await Promise.all(Array.from({ length: 20 }, (_, i) => app.update('c', doc.id, { push: { list: [i] } })));
    const final = await app.get('c', doc.id);
    expect(final!.n).toBe(50);
    expect((final!.list as number[]).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(final!.version).toBe(71);
  }, 60_000);

  it('$pull, $addToSet and $unset work though the server lacks some update operators', async () => {
    const app = freshApp(store);
    const doc = await app.create('c', { data: { tags: ['a', 'b', 'a'], obj: { k: 1, j: 2 } } });
    const after = await app.update('c', doc.id, {
      pull: { tags: ['a'] },
      addToSet: { tags: ['b', 'c'] },
      unset: ['obj.j'],
    });
    expect(after).toMatchObject({ tags: ['b', 'c'], obj: { k: 1 }, version: 2 });
    await expectError(app.update('c', doc.id, { inc: { tags: 1 } }), 'invalid_request');
  });

  it('unique indexes: null and missing never clash; a clash names the stored ids', async () => {
    const app = freshApp(store);
    await app.ensureIndex('u', { kind: 'regular', name: 'byEmail', fields: [{ path: 'email', dir: 1 }], unique: true });
    await app.create('u', { id: 'n1', data: { email: null } });
    await app.create('u', { id: 'n2', data: { email: null } });
    await app.create('u', { id: 'm1', data: {} });
    await app.create('u', { id: 'm2', data: {} });
    await app.create('u', { id: 'e1', data: { email: 'a@x' } });
    await expectError(app.create('u', { id: 'e2', data: { email: 'a@x' } }), 'conflict', {
      reason: 'unique',
      index: 'byEmail',
      fields: ['email'],
      ids: ['e1'],
    });
    await expectError(app.update('u', 'n1', { set: { email: 'a@x' } }), 'conflict', { ids: ['e1'] });
    expect(await app.get('u', 'n1')).toMatchObject({ email: null, version: 1 });
    await expectError(app.create('u', { id: 'e1', data: {} }), 'conflict', {
      reason: 'unique',
      index: 'id',
      ids: ['e1'],
    });
  });

  it('a unique index over violating data is a conflict with the clashing ids, and nothing is left behind', async () => {
    const app = freshApp(store);
    for (const [id, v] of [
      ['a', 1],
      ['b', 2],
      ['c', 1],
      ['d', null],
      ['e', null],
    ] as const)
      await app.create('t', { id, data: { v } });
    await expectError(
      app.ensureIndex('t', { kind: 'regular', name: 'uv', fields: [{ path: 'v', dir: 1 }], unique: true }),
      'conflict',
      { reason: 'unique', index: 'uv', ids: ['a', 'c'] },
    );
    expect(await app.listIndexes('t')).toEqual([]);
    await app.create('t', { id: 'f', data: { v: 2 } }); // still allowed
  });

  it('dropIndex of a unique index lifts the constraint, even on a server that cannot drop indexes', async () => {
    const app = freshApp(store);
    const spec = { kind: 'regular' as const, name: 'uv', fields: [{ path: 'v', dir: 1 as const }], unique: true };
    await app.ensureIndex('t', spec);
    await app.ensureIndex('t', { kind: 'regular', name: 'byW', fields: [{ path: 'w', dir: -1 }] });
    await app.ensureIndex('t', spec); // idempotent
    await app.create('t', { id: 'a', data: { v: 1, w: 1 } });
    await expectError(app.create('t', { id: 'b', data: { v: 1 } }), 'conflict');
    await app.dropIndex('t', 'uv');
    await app.dropIndex('t', 'uv'); // dropping a missing index is a no-op
    await app.create('t', { id: 'b', data: { v: 1 } });
    expect((await app.find('t', { limit: 10 })).items.map((d) => d.id)).toEqual(['a', 'b']);
    expect(await app.listIndexes('t')).toEqual([{ kind: 'regular', name: 'byW', fields: [{ path: 'w', dir: -1 }] }]);
    // the same name with another definition replaces the index
    await app
      .ensureIndex('t', { kind: 'regular', name: 'byW', fields: [{ path: 'v', dir: 1 }], unique: true })
      .catch((e: unknown) => e);
    expect(await app.listIndexes('t')).toEqual([{ kind: 'regular', name: 'byW', fields: [{ path: 'w', dir: -1 }] }]);
  });

  it('dropCollection removes documents and indexes; the collection starts afresh', async () => {
    const app = freshApp(store);
    await app.ensureIndex('t', { kind: 'regular', name: 'uv', fields: [{ path: 'v', dir: 1 }], unique: true });
    await app.create('t', { id: 'a', data: { v: 1 } });
    await app.create('other', { id: 'o', data: {} });
    await app.dropCollection('t');
    expect(await app.count('t')).toBe(0);
    expect(await app.listIndexes('t')).toEqual([]);
    await app.create('t', { id: 'a', data: { v: 1 } });
    await app.create('t', { id: 'b', data: { v: 1 } }); // the old unique index does not apply
    expect(await app.count('t', { mode: 'estimated' })).toBe(2);
    expect(await app.get('other', 'o')).not.toBeNull();
  });

  it('batch without transactions: a failure undoes the ops applied before it', async () => {
    const app = freshApp(store);
    await app.create('t', { id: 'keep', data: { n: 1 } });
    await app.create('t', { id: 'gone', data: { n: 2 } });
    await expectError(
      app.batch([
        { op: 'create', collection: 't', id: 'new', data: { n: 3 } },
        { op: 'update', collection: 't', id: 'keep', update: { inc: { n: 10 } } },
        { op: 'delete', collection: 't', id: 'gone' },
        { op: 'replace', collection: 't', id: 'keep', data: { replaced: true } },
        { op: 'update', collection: 't', id: 'missing', update: { set: { x: 1 } } },
      ]),
      'not_found',
    );
    expect((await app.find('t', { limit: 10 })).items.map((d) => [d.id, d.n, d.version])).toEqual([
      ['gone', 2, 1],
      ['keep', 1, 1],
    ]);
    const done = await app.batch([
      { op: 'create', collection: 't', id: 'new', data: { n: 3 } },
      { op: 'delete', collection: 't', id: 'gone' },
    ]);
    expect(done.map((d) => d.id)).toEqual(['new', 'gone']);
    await expectError(app.batch([{ op: 'create', collection: 'bad.name', data: {} }]), 'invalid_request');
    expect(await app.batch([])).toEqual([]);
  });

  it('projection: only id and the listed paths come back, and paging still works on unlisted sort keys', async () => {
    const app = freshApp(store);
    for (let i = 0; i < 5; i++)
      await app.create('p', { id: `p${i}`, data: { rank: 5 - i, a: { b: i, c: 'x' }, big: 'y'.repeat(100) } });
    const first = await app.find('p', { sort: [{ path: 'rank', dir: 1 }], limit: 2, fields: ['a.b'] });
    expect(first.items).toEqual([
      { id: 'p4', a: { b: 4 } },
      { id: 'p3', a: { b: 3 } },
    ]);
    const second = await app.find('p', {
      sort: [{ path: 'rank', dir: 1 }],
      limit: 2,
      fields: ['a.b'],
      after: first.next!,
    });
    expect(second.items.map((d) => d.id)).toEqual(['p2', 'p1']);
    await expectError(
      app.find('p', { sort: [{ path: 'rank', dir: -1 }], limit: 2, after: first.next! }),
      'invalid_request',
    );
    expect(await app.get('p', 'p0', { fields: ['big', 'missing', 'version'] })).toEqual({
      id: 'p0',
      big: 'y'.repeat(100),
      version: 1,
    });
  });

  it('where on writes: a $text where is checked against the stored document', async () => {
    const app = freshApp(store);
    await app.ensureIndex('w', { kind: 'text', name: 't', fields: ['title'] });
    await app.create('w', { id: 'x', data: { title: 'open door' } });
    await expectError(
      app.update('w', 'x', { set: { n: 1 } }, { where: { op: 'text', search: 'closed' } }),
      'not_found',
    );
    expect(await app.update('w', 'x', { set: { n: 1 } }, { where: { op: 'text', search: 'DOOR' } })).toMatchObject({
      n: 1,
      version: 2,
    });
    await expectError(app.delete('w', 'x', { expectedVersion: 1 }), 'conflict', {
      reason: 'version',
      expected: 1,
      actual: 2,
    });
    expect(await app.delete('w', 'x', { expectedVersion: 2 })).toMatchObject({ id: 'x', version: 2 });
    await expectError(app.delete('w', 'x'), 'not_found');
  });

  it('aggregate pushes the leading $match/$sort/$limit down and groups in memory', async () => {
    const app = freshApp(store);
    for (let i = 0; i < 12; i++)
      await app.create('s', { data: { g: ['x', 'y', 'z'][i % 3]!, n: i, s: i % 2 ? 'odd' : 1 } });
    const rows = await app.aggregate('s', [
      { stage: 'match', filter: f({ n: { $gte: 3 } }) },
      {
        stage: 'group',
        by: ['g'],
        accumulators: { c: { op: 'count' }, total: { op: 'sum', path: 'n' }, avg: { op: 'avg', path: 's' } },
      },
      { stage: 'sort', sort: [{ path: 'g', dir: -1 }] },
    ]);
    expect(rows).toEqual([
      { g: 'z', c: 3, total: 5 + 8 + 11, avg: 1 },
      { g: 'y', c: 3, total: 4 + 7 + 10, avg: 1 },
      { g: 'x', c: 3, total: 3 + 6 + 9, avg: 1 },
    ]);
    const top = await app.aggregate('s', [
      { stage: 'sort', sort: [{ path: 'n', dir: -1 }] },
      { stage: 'limit', limit: 2 },
    ]);
    expect(top.map((r) => r.n)).toEqual([11, 10]);
  });
});

function withClient<T>(fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(inject('mongoUrl'));
  return fn(client).finally(() => client.close());
}

const dbNameOf = (store: MongoDocumentStore): string =>
  (store as unknown as { db: { databaseName: string } }).db.databaseName;
