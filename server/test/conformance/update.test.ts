import { expect } from 'vitest';
import type { DocumentData, UpdateSpec } from '../../src/ports/document-store.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { expectError, f, freshApp } from './support.js';

/**
 * Update operators (set, unset, inc, push, addToSet, pull, owner), alone and combined, on
 * top-level and dotted paths; impossible operations; 50 concurrent $inc.
 */
interface OpCase {
  id: string;
  title: string;
  before: DocumentData;
  update: UpdateSpec;
  after: DocumentData;
}

const cases: OpCase[] = [
  {
    id: 'set-top',
    title: 'set a top-level field',
    before: { a: 1, b: 2 },
    update: { set: { a: 5 } },
    after: { a: 5, b: 2 },
  },
  {
    id: 'set-new',
    title: 'set adds a new field',
    before: { a: 1 },
    update: { set: { z: 'new' } },
    after: { a: 1, z: 'new' },
  },
  {
    id: 'set-null',
    title: 'set to null keeps the field as null',
    before: { a: 1 },
    update: { set: { a: null } },
    after: { a: null },
  },
  {
    id: 'set-object',
    title: 'set replaces an object value wholesale',
    before: { o: { x: 1, y: 2 } },
    update: { set: { o: { z: 3 } } },
    after: { o: { z: 3 } },
  },
  {
    id: 'set-dotted',
    title: 'set a dotted path merges into the object',
    before: { o: { x: 1, y: 2 } },
    update: { set: { 'o.x': 9 } },
    after: { o: { x: 9, y: 2 } },
  },
  {
    id: 'set-dotted-create',
    title: 'set a dotted path creates missing objects',
    before: { a: 1 },
    update: { set: { 'p.q.r': 'deep' } },
    after: { a: 1, p: { q: { r: 'deep' } } },
  },
  {
    id: 'set-array',
    title: 'set an array value',
    before: {},
    update: { set: { tags: ['a', 'b'] } },
    after: { tags: ['a', 'b'] },
  },
  {
    id: 'set-unicode',
    title: 'set a unicode value',
    before: {},
    update: { set: { s: 'Ünïcødé 😀' } },
    after: { s: 'Ünïcødé 😀' },
  },
  {
    id: 'unset-top',
    title: 'unset removes a field',
    before: { a: 1, b: 2 },
    update: { unset: ['a'] },
    after: { b: 2 },
  },
  {
    id: 'unset-missing',
    title: 'unset of a missing field is a no-op',
    before: { a: 1 },
    update: { unset: ['nope'] },
    after: { a: 1 },
  },
  {
    id: 'unset-dotted',
    title: 'unset a dotted path',
    before: { o: { x: 1, y: 2 } },
    update: { unset: ['o.x'] },
    after: { o: { y: 2 } },
  },
  { id: 'inc-existing', title: 'inc adds to a number', before: { n: 5 }, update: { inc: { n: 3 } }, after: { n: 8 } },
  {
    id: 'inc-missing',
    title: 'inc of a missing field starts at 0',
    before: {},
    update: { inc: { n: 2 } },
    after: { n: 2 },
  },
  {
    id: 'inc-negative',
    title: 'inc by a negative number',
    before: { n: 1 },
    update: { inc: { n: -4 } },
    after: { n: -3 },
  },
  { id: 'inc-float', title: 'inc by a fraction', before: { n: 1 }, update: { inc: { n: 0.5 } }, after: { n: 1.5 } },
  {
    id: 'inc-dotted',
    title: 'inc a dotted path (created when missing)',
    before: { s: { a: 1 } },
    update: { inc: { 's.a': 1, 's.b': 10 } },
    after: { s: { a: 2, b: 10 } },
  },
  {
    id: 'inc-many',
    title: 'inc several fields at once',
    before: { a: 1, b: 1 },
    update: { inc: { a: 1, b: -1 } },
    after: { a: 2, b: 0 },
  },
  {
    id: 'push-existing',
    title: 'push appends values in order',
    before: { t: ['a'] },
    update: { push: { t: ['b', 'c'] } },
    after: { t: ['a', 'b', 'c'] },
  },
  {
    id: 'push-missing',
    title: 'push creates a missing array',
    before: {},
    update: { push: { t: ['x'] } },
    after: { t: ['x'] },
  },
  {
    id: 'push-duplicates',
    title: 'push keeps duplicates',
    before: { t: ['a'] },
    update: { push: { t: ['a', 'a'] } },
    after: { t: ['a', 'a', 'a'] },
  },
  {
    id: 'push-objects',
    title: 'push objects and arrays',
    before: { t: [] },
    update: { push: { t: [{ k: 1 }, [1, 2]] } },
    after: { t: [{ k: 1 }, [1, 2]] },
  },
  {
    id: 'push-dotted',
    title: 'push into a dotted path',
    before: { o: { t: [1] } },
    update: { push: { 'o.t': [2] } },
    after: { o: { t: [1, 2] } },
  },
  {
    id: 'addtoset-new',
    title: 'addToSet appends only values not present',
    before: { t: ['a', 'b'] },
    update: { addToSet: { t: ['b', 'c', 'c'] } },
    after: { t: ['a', 'b', 'c'] },
  },
  {
    id: 'addtoset-missing',
    title: 'addToSet creates a missing array',
    before: {},
    update: { addToSet: { t: ['x', 'x'] } },
    after: { t: ['x'] },
  },
  {
    id: 'addtoset-deep',
    title: 'addToSet compares objects deeply',
    before: { t: [{ a: 1, b: [1] }] },
    update: { addToSet: { t: [{ a: 1, b: [1] }, { a: 2 }] } },
    after: { t: [{ a: 1, b: [1] }, { a: 2 }] },
  },
  {
    id: 'addtoset-types',
    title: 'addToSet: 1 and "1" are different values',
    before: { t: [1] },
    update: { addToSet: { t: ['1', 1, true] } },
    after: { t: [1, '1', true] },
  },
  {
    id: 'pull-all',
    title: 'pull removes every occurrence',
    before: { t: ['a', 'b', 'a', 'c'] },
    update: { pull: { t: ['a'] } },
    after: { t: ['b', 'c'] },
  },
  {
    id: 'pull-many',
    title: 'pull several values',
    before: { t: [1, 2, 3, 4] },
    update: { pull: { t: [2, 4, 9] } },
    after: { t: [1, 3] },
  },
  {
    id: 'pull-deep',
    title: 'pull compares objects deeply',
    before: { t: [{ a: 1 }, { a: 2 }, { a: 1, b: 1 }] },
    update: { pull: { t: [{ a: 1 }] } },
    after: { t: [{ a: 2 }, { a: 1, b: 1 }] },
  },
  {
    id: 'pull-types',
    title: 'pull 1 leaves "1"',
    before: { t: [1, '1'] },
    update: { pull: { t: [1] } },
    after: { t: ['1'] },
  },
  {
    id: 'pull-missing',
    title: 'pull on a missing field is a no-op',
    before: { a: 1 },
    update: { pull: { t: ['x'] } },
    after: { a: 1 },
  },
  {
    id: 'combined',
    title: 'set, unset, inc and push in one update',
    before: { a: 1, b: 2, n: 1, t: [] },
    update: { set: { a: 'x' }, unset: ['b'], inc: { n: 2 }, push: { t: [1] } },
    after: { a: 'x', n: 3, t: [1] },
  },
  { id: 'empty', title: 'an empty update still bumps the version', before: { a: 1 }, update: {}, after: { a: 1 } },
];

forEachTarget('conformance: update operators', (target, store) => {
  for (const c of cases) {
    test(target, `update.${c.id}`, c.title, async () => {
      const app = freshApp(store());
      const doc = await app.create('items', { data: c.before });
      const updated = await app.update('items', doc.id, c.update);
      const { id, createdAt, updatedAt, owner, version, ...data } = updated;
      expect(data).toEqual(c.after);
      expect({ id, createdAt, owner, version }).toEqual({
        id: doc.id,
        createdAt: doc.createdAt,
        owner: null,
        version: 2,
      });
      expect(typeof updatedAt).toBe('string');
      expect(await app.get('items', doc.id)).toEqual(updated);
    });
  }

  test(
    target,
    'update.inc-overflow',
    '$inc that would overflow to Infinity is invalid_request and changes nothing',
    async () => {
      const app = freshApp(store());
      const doc = await app.create('items', { data: { n: 1e308 } });
      await expectError(app.update('items', doc.id, { inc: { n: 1e308 } }), 'invalid_request');
      expect(await app.get('items', doc.id)).toEqual(doc);
    },
  );

  test(
    target,
    'update.unset-through-scalar',
    'unset below a scalar or a missing field changes nothing else',
    async () => {
      const app = freshApp(store());
      const doc = await app.create('items', { data: { a: 'text', b: { c: 1 } } });
      const after = await app.update('items', doc.id, { unset: ['a.x', 'missing.y', 'b.c'] });
      expect(after).toMatchObject({ a: 'text', b: {}, version: 2 });
      expect(await app.get('items', doc.id)).toEqual(after);
    },
  );

  test(target, 'update.inc-on-string', '$inc on a string is invalid_request and changes nothing', async () => {
    const app = freshApp(store());
    const doc = await app.create('items', { data: { n: 'five', m: 1 } });
    await expectError(app.update('items', doc.id, { inc: { n: 1 } }), 'invalid_request');
    await expectError(app.update('items', doc.id, { inc: { m: 1, n: 1 } }), 'invalid_request');
    expect(await app.get('items', doc.id)).toEqual(doc);
  });

  test(
    target,
    'update.inc-on-other-types',
    '$inc on null, a boolean, an array or an object is invalid_request',
    async () => {
      const app = freshApp(store());
      const doc = await app.create('items', { data: { z: null, b: true, a: [1], o: { x: 1 } } });
      for (const path of ['z', 'b', 'a', 'o']) {
        await expectError(app.update('items', doc.id, { inc: { [path]: 1 } }), 'invalid_request');
      }
      expect(await app.get('items', doc.id)).toEqual(doc);
    },
  );

  test(target, 'update.push-on-non-array', 'push onto a non-array is invalid_request and changes nothing', async () => {
    const app = freshApp(store());
    const doc = await app.create('items', { data: { t: 'text' } });
    await expectError(app.update('items', doc.id, { push: { t: ['x'] } }), 'invalid_request');
    expect(await app.get('items', doc.id)).toEqual(doc);
  });

  test(target, 'update.failed-op-keeps-version', 'a failed update does not bump the version', async () => {
    const app = freshApp(store());
    const doc = await app.create('items', { data: { n: 'x' } });
    await expectError(app.update('items', doc.id, { inc: { n: 1 } }), 'invalid_request');
    const ok = await app.update('items', doc.id, { set: { n: 1 } }, { expectedVersion: 1 });
    expect(ok.version).toBe(2);
  });

  test(target, 'update.concurrent-inc', '50 parallel $inc all apply: +50, version 51', async () => {
    const app = freshApp(store());
    const doc = await app.create('counters', { data: { n: 0 } });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => app.update('counters', doc.id, { inc: { n: 1 } })),
    );
    expect(await app.get('counters', doc.id)).toMatchObject({ n: 50, version: 51 });
    // every write saw its own distinct state
    expect(new Set(results.map((r) => r.version)).size).toBe(50);
    expect(results.map((r) => r.n as number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  test(target, 'update.concurrent-push', '30 parallel $push all land, none lost', async () => {
    const app = freshApp(store());
    const doc = await app.create('lists', { data: { t: [] } });
    await Promise.all(Array.from({ length: 30 }, (_, i) => app.update('lists', doc.id, { push: { t: [i] } })));
    const final = await app.get('lists', doc.id);
    expect((final!.t as number[]).slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(final!.version).toBe(31);
  });

  test(target, 'update.where-with-inc', 'update with where and $inc is atomic with the check', async () => {
    const app = freshApp(store());
    const doc = await app.create('stock', { data: { qty: 3 } });
    // decrement only while qty > 0: 10 parallel attempts, exactly 3 succeed
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        app.update('stock', doc.id, { inc: { qty: -1 } }, { where: f({ qty: { $gt: 0 } }) }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('not_found');
    expect(await app.get('stock', doc.id)).toMatchObject({ qty: 0, version: 4 });
  });
});
