import { expect } from 'vitest';
import type { BatchOp } from '../../src/ports/document-store.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { expectError, f, freshApp, sortedIds } from './support.js';

/** batch: all-or-nothing, in order, the first failure thrown, requirements, concurrency. */
forEachTarget('conformance: batch', (target, store) => {
  test(target, 'batch.applies-in-order', 'a batch applies every op in order and returns the documents', async () => {
    const app = freshApp(store());
    const a = await app.create('t', { id: 'a', data: { n: 1 } });
    await app.create('t', { id: 'b', data: { n: 2 } });
    const ops: BatchOp[] = [
      { op: 'create', collection: 't', id: 'c', data: { n: 3 } },
      { op: 'update', collection: 't', id: 'a', update: { inc: { n: 10 } }, expectedVersion: 1 },
      { op: 'delete', collection: 't', id: 'b' },
      { op: 'create', collection: 'other', data: { x: true } },
      { op: 'update', collection: 't', id: 'c', update: { set: { n: 4 } } },
    ];
    const results = await app.batch(ops);
    expect(results).toHaveLength(5);
    expect(results[0]).toMatchObject({ id: 'c', n: 3, version: 1 });
    expect(results[1]).toMatchObject({ id: 'a', n: 11, version: 2, createdAt: a.createdAt });
    expect(results[2]).toMatchObject({ id: 'b', n: 2 });
    expect(results[3]).toMatchObject({ x: true, version: 1 });
    expect(results[4]).toMatchObject({ id: 'c', n: 4, version: 2 });
    expect(sortedIds((await app.find('t', { limit: 10 })).items)).toEqual(['a', 'c']);
    expect(await app.get('other', results[3]!.id)).toEqual(results[3]);
  });

  const failing: Array<[string, string, BatchOp, string]> = [
    [
      'version',
      'a stale expectedVersion',
      { op: 'update', collection: 't', id: 'a', update: { set: { n: 0 } }, expectedVersion: 9 },
      'conflict',
    ],
    [
      'missing',
      'an update of a missing document',
      { op: 'update', collection: 't', id: 'missing', update: { set: { n: 0 } } },
      'not_found',
    ],
    ['delete-missing', 'a delete of a missing document', { op: 'delete', collection: 't', id: 'missing' }, 'not_found'],
    [
      'where',
      'a where that does not hold',
      { op: 'replace', collection: 't', id: 'a', data: {}, where: f({ n: 99 }) },
      'not_found',
    ],
    ['duplicate', 'a duplicate id', { op: 'create', collection: 't', id: 'a', data: {} }, 'conflict'],
    [
      'inc-string',
      '$inc on a string',
      { op: 'update', collection: 't', id: 'a', update: { inc: { s: 1 } } },
      'invalid_request',
    ],
    ['unique', 'a unique violation', { op: 'create', collection: 't', data: { email: 'a@x.org' } }, 'conflict'],
  ];
  for (const [id, what, bad, code] of failing) {
    test(
      target,
      `batch.rollback-${id}`,
      `all-or-nothing: ${what} at the end undoes the earlier ops (${code})`,
      async () => {
        const app = freshApp(store());
        await app.ensureIndex('t', {
          kind: 'regular',
          name: 'email',
          fields: [{ path: 'email', dir: 1 }],
          unique: true,
        });
        const a = await app.create('t', { id: 'a', data: { n: 1, s: 'text', email: 'a@x.org' } });
        const b = await app.create('t', { id: 'b', data: { n: 2 } });
        await expectError(
          app.batch([
            { op: 'create', collection: 't', id: 'new', data: { n: 3 } },
            { op: 'create', collection: 'fresh', id: 'f1', data: {} },
            { op: 'update', collection: 't', id: 'a', update: { inc: { n: 1 } } },
            { op: 'delete', collection: 't', id: 'b' },
            bad,
          ]),
          code as 'conflict',
        );
        expect(await app.get('t', 'a')).toEqual(a);
        expect(await app.get('t', 'b')).toEqual(b);
        expect(await app.get('t', 'new')).toBeNull();
        expect(await app.get('fresh', 'f1')).toBeNull();
        expect(await app.count('t')).toBe(2);
      },
    );
  }

  test(target, 'batch.first-failure', 'the first failing op is the one thrown', async () => {
    const app = freshApp(store());
    await app.create('t', { id: 'a', data: {} });
    await expectError(
      app.batch([
        { op: 'delete', collection: 't', id: 'gone' },
        { op: 'update', collection: 't', id: 'a', update: {}, expectedVersion: 5 },
      ]),
      'not_found',
    );
  });

  test(target, 'batch.sees-own-writes', 'later ops see earlier ones (create then update the same id)', async () => {
    const app = freshApp(store());
    const results = await app.batch([
      { op: 'create', collection: 't', id: 'x', data: { n: 1 } },
      { op: 'update', collection: 't', id: 'x', update: { inc: { n: 1 } }, expectedVersion: 1 },
      { op: 'update', collection: 't', id: 'x', update: { inc: { n: 1 } }, where: f({ n: 2 }) },
    ]);
    expect(results.map((d) => [d.n, d.version])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  test(
    target,
    'batch.require-holds',
    'requirements checked after the ops let the batch through when they hold',
    async () => {
      const app = freshApp(store());
      await app.create('authors', { id: 'ann', data: { name: 'Ann' } });
      const [post] = await app.batch([{ op: 'create', collection: 'posts', id: 'p1', data: { author: 'ann' } }], {
        require: [
          { collection: 'authors', filter: f({ id: 'ann' }), exists: true, message: 'author gone' },
          { collection: 'comments', filter: f({ post: 'p1' }), exists: false, message: 'has comments' },
        ],
      });
      expect(post!.id).toBe('p1');
    },
  );

  test(
    target,
    'batch.require-fails',
    'a requirement that does not hold after the ops undoes them: conflict with reason precondition',
    async () => {
      const app = freshApp(store());
      await app.create('authors', { id: 'ann', data: { name: 'Ann' } });
      await app.create('posts', { id: 'p0', data: { author: 'ann' } });
      // The author is deleted by the batch itself: "still exists" is checked on the state after the ops.
      await expectError(
        app.batch(
          [
            { op: 'create', collection: 'posts', id: 'p1', data: { author: 'ann' } },
            { op: 'delete', collection: 'authors', id: 'ann' },
          ],
          {
            require: [
              {
                collection: 'authors',
                filter: f({ id: 'ann' }),
                exists: true,
                message: 'author gone',
                details: { field: 'author' },
              },
            ],
          },
        ),
        'conflict',
        { reason: 'precondition', field: 'author' },
      );
      expect(await app.get('authors', 'ann')).not.toBeNull();
      expect(await app.get('posts', 'p1')).toBeNull();
      // "Nothing refers to it" fails when a document (here one created by the batch) still does.
      await expectError(
        app.batch([{ op: 'create', collection: 'posts', id: 'p2', data: { author: 'ann' } }], {
          require: [{ collection: 'posts', filter: f({ author: 'ann' }), exists: false, message: 'referenced' }],
        }),
        'conflict',
        { reason: 'precondition' },
      );
      expect(await app.get('posts', 'p2')).toBeNull();
      expect(await app.count('posts')).toBe(1);
    },
  );

  test(target, 'batch.empty', 'an empty batch returns []', async () => {
    const app = freshApp(store());
    expect(await app.batch([])).toEqual([]);
  });

  test(target, 'batch.concurrent', 'concurrent batches on one counter serialise', async () => {
    const app = freshApp(store());
    await app.create('t', { id: 'c', data: { n: 0 } });
    await Promise.all(
      Array.from({ length: 10 }, () =>
        app.batch([
          { op: 'update', collection: 't', id: 'c', update: { inc: { n: 1 } } },
          { op: 'create', collection: 'log', data: { at: 1 } },
        ]),
      ),
    );
    expect(await app.get('t', 'c')).toMatchObject({ n: 10, version: 11 });
    expect(await app.count('log')).toBe(10);
  });
});
