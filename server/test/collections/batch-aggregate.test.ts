import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { createDocument, expectError, openWorld, TODOS, type CollectionsWorld } from './support.js';

/**
 * Batches (all-or-nothing, per-op results and errors) and aggregates ($match, $group, $sort,
 * $limit) end to end on each engine.
 */
describe.each(ENGINES)('batch and aggregate [%s]', (engine) => {
  let w: CollectionsWorld;
  beforeEach(async () => {
    w = await openWorld(engine);
    await w.createCollection(TODOS);
  });
  afterEach(async () => {
    await w.close();
  });

  const create = (body: Record<string, unknown>) => createDocument(w, 'todos', body);

  it('batch: all-or-nothing with results per op; a failing op names its index and writes nothing', async () => {
    const a = await create({ title: 'a' });
    const b = await create({ title: 'b' });
    const url = `/v1/apps/${w.appId}/batch`;
    const before = w.events.length;
    const bad = await w.h.http
      .post(url)
      .set(w.sk)
      .send({
        ops: [
          { op: 'create', collection: 'todos', data: { title: 'new' } },
          { op: 'update', collection: 'todos', id: a.id, data: { done: true } },
          { op: 'update', collection: 'todos', id: b.id, data: { priority: 99 } },
        ],
      });
    expect(expectError(bad, 400, 'validation_failed')).toMatchObject({
      index: 2,
      fields: { priority: 'must be at most 10' },
    });
    expect((await w.h.http.get(w.docs('todos')).set(w.sk)).body.items).toHaveLength(2);
    expect((await w.h.http.get(w.docs('todos', a.id)).set(w.sk)).body.done).toBe(false);
    expect(w.events.length).toBe(before);

    const stale = await w.h.http
      .post(url)
      .set(w.sk)
      .send({
        ops: [
          { op: 'create', collection: 'todos', data: { title: 'new' } },
          { op: 'delete', collection: 'todos', id: b.id, ifMatch: 5 },
        ],
      });
    expect(expectError(stale, 409, 'conflict')).toMatchObject({ index: 1 });
    expect((await w.h.http.get(w.docs('todos')).set(w.sk)).body.items).toHaveLength(2);

    const ok = await w.h.http
      .post(url)
      .set(w.sk)
      .send({
        ops: [
          { op: 'create', collection: 'todos', data: { title: 'new' } },
          { op: 'update', collection: 'todos', id: a.id, data: { done: true, $inc: { priority: 1 } } },
          { op: 'replace', collection: 'todos', id: b.id, data: { title: 'B' } },
        ],
      })
      .expect(200);
    expect(ok.body.results.map((r: { status: number }) => r.status)).toEqual([201, 200, 200]);
    expect(ok.body.results[1].body).toMatchObject({ done: true, priority: 1 });
    const del = await w.h.http
      .post(url)
      .set(w.sk)
      .send({ ops: [{ op: 'delete', collection: 'todos', id: a.id }] })
      .expect(200);
    expect(del.body.results).toEqual([{ status: 204 }]);
    expect(w.events.slice(before).map((e) => e.type)).toEqual([
      'documents.create',
      'documents.update',
      'documents.update',
      'documents.delete',
    ]);

    const tooMany = await w.h.http
      .post(url)
      .set(w.sk)
      .send({ ops: Array.from({ length: 101 }, () => ({ op: 'create', collection: 'todos', data: { title: 'x' } })) });
    expectError(tooMany, 400, 'validation_failed');
    const dup = await w.h.http
      .post(url)
      .set(w.sk)
      .send({
        ops: [
          { op: 'delete', collection: 'todos', id: b.id },
          { op: 'update', collection: 'todos', id: b.id, data: {} },
        ],
      });
    expectError(dup, 400, 'invalid_request');
    const unknownOp = await w.h.http
      .post(url)
      .set(w.sk)
      .send({ ops: [{ op: 'drop', collection: 'todos' }] });
    expectError(unknownOp, 400, 'validation_failed');
  });

  it('aggregate: $match, $group, $sort, $limit', async () => {
    for (const [title, priority, done] of [
      ['a', 1, true],
      ['b', 2, true],
      ['c', 3, false],
      ['d', 4, false],
      ['e', 5, false],
    ] as const) {
      await create({ title, priority, done });
    }
    const res = await w.h.http
      .post(`/v1/apps/${w.appId}/collections/todos/aggregate`)
      .set(w.pk)
      .send({
        pipeline: [
          { $match: { priority: { $gte: 2 } } },
          {
            $group: {
              _id: '$done',
              n: { $count: {} },
              total: { $sum: '$priority' },
              top: { $max: '$priority' },
              low: { $min: '$priority' },
            },
          },
          { $sort: { total: -1 } },
          { $limit: 10 },
        ],
      })
      .expect(200);
    expect(res.body.items).toEqual([
      { done: false, n: 3, total: 12, top: 5, low: 3 },
      { done: true, n: 1, total: 2, top: 2, low: 2 },
    ]);
  });

  it('aggregate: $avg', async () => {
    for (const priority of [1, 2, 6]) await create({ title: 'x', priority });
    const res = await w.h.http
      .post(`/v1/apps/${w.appId}/collections/todos/aggregate`)
      .set(w.sk)
      .send({ pipeline: [{ $group: { _id: null, avg: { $avg: '$priority' } } }] })
      .expect(200);
    expect(res.body.items).toEqual([{ avg: 3 }]);
  });
});
