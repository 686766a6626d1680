import { beforeAll, expect } from 'vitest';
import { encodeCursor } from '../../src/lib/cursor.js';
import type { JsonValue, SortSpec } from '../../src/lib/filter/types.js';
import type { AppStore, StoredDocument } from '../../src/ports/document-store.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { PAGING_DOCS } from './fixtures.js';
import { asc, desc, expectError, f, freshApp, ids, pageAll, referenceFind, seed } from './support.js';

/** Keyset cursor paging (every page, pages while writing, bad cursors), offset, projection. */
forEachTarget('conformance: paging and projection', (target, store) => {
  // --- cursor paging ---------------------------------------------------------------------------
  let pagingApp: AppStore;
  let pagingStored: StoredDocument[];
  beforeAll(async () => {
    pagingApp = freshApp(store(), 'paging');
    pagingStored = await seed(pagingApp, 'p', PAGING_DOCS);
  });
  const sorts: Array<[string, SortSpec]> = [
    ['id', []],
    ['mixed-asc', [asc('v')]],
    ['mixed-desc', [desc('v')]],
    ['group-score', [asc('group'), desc('score')]],
    ['nested', [asc('obj.x'), desc('group')]],
    ['three-keys', [desc('score'), asc('v'), desc('group')]],
  ];
  for (const [name, sort] of sorts) {
    for (const limit of [1, 4, 7]) {
      test(
        target,
        `paging.all-pages-${name}-${limit}`,
        `every page by cursor, sort ${name}, limit ${limit}`,
        async () => {
          const expected = ids(referenceFind(pagingStored, { op: 'all' }, sort));
          const { items, pages } = await pageAll(pagingApp, 'p', { sort, limit });
          expect(ids(items)).toEqual(expected);
          expect(pages).toBe(Math.ceil(expected.length / limit));
        },
      );
    }
  }

  test(target, 'paging.with-filter', 'paging a filtered, sorted query', async () => {
    const filter = f({ $or: [{ score: { $gte: 3 } }, { v: null }] });
    const sort: SortSpec = [desc('v'), asc('score')];
    const expected = ids(referenceFind(pagingStored, filter, sort));
    expect(expected.length).toBeGreaterThan(5);
    expect(ids((await pageAll(pagingApp, 'p', { filter, sort, limit: 3 })).items)).toEqual(expected);
  });

  test(
    target,
    'paging.last-page-exact',
    'next is null when the page is the last, also when it is exactly full',
    async () => {
      const app = freshApp(store());
      await seed(
        app,
        't',
        Array.from({ length: 10 }, (_, i) => ({ id: `i${i}`, n: i })),
      );
      const first = await app.find('t', { sort: [asc('n')], limit: 5 });
      expect(first.next).not.toBeNull();
      const second = await app.find('t', { sort: [asc('n')], limit: 5, after: first.next! });
      expect(ids(second.items)).toEqual(['i5', 'i6', 'i7', 'i8', 'i9']);
      expect(second.next).toBeNull();
      expect((await app.find('t', { sort: [asc('n')], limit: 10 })).next).toBeNull();
      expect((await app.find('t', { limit: 11 })).next).toBeNull();
    },
  );

  test(
    target,
    'paging.insert-between-pages',
    'inserts between pages: rows after the cursor show up, before it do not, none twice',
    async () => {
      const app = freshApp(store());
      await seed(
        app,
        't',
        Array.from({ length: 20 }, (_, i) => ({ id: `m${String(i).padStart(2, '0')}`, n: i * 10 })),
      );
      const sort: SortSpec = [asc('n')];
      const seen: string[] = [];
      let page = await app.find('t', { sort, limit: 5 });
      seen.push(...ids(page.items));
      expect(page.items.at(-1)!.n).toBe(40);
      // before the cursor: n = 5; equal to the cursor's value but a smaller id: (40, m00a)
      await app.create('t', { id: 'before', data: { n: 5 } });
      await app.create('t', { id: 'm00a', data: { n: 40 } });
      // after it: equal value with a larger id, between, and at the end
      await app.create('t', { id: 'zz', data: { n: 40 } });
      await app.create('t', { id: 'mid', data: { n: 45 } });
      await app.create('t', { id: 'end', data: { n: 1000 } });
      let pages = 1;
      while (page.next) {
        page = await app.find('t', { sort, limit: 5, after: page.next });
        seen.push(...ids(page.items));
        // keep writing while paging
        if (pages === 2) await app.create('t', { id: 'late', data: { n: 999 } });
        pages++;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).not.toContain('before');
      expect(seen).not.toContain('m00a');
      expect(seen).toEqual(expect.arrayContaining(['zz', 'mid', 'end', 'late']));
      expect(seen.slice(5, 8)).toEqual(['zz', 'mid', 'm05']);
      expect(seen.slice(-2)).toEqual(['late', 'end']);
      expect(seen).toHaveLength(20 + 4);
    },
  );

  test(target, 'paging.delete-cursor-row', 'the cursor row being deleted does not break paging', async () => {
    const app = freshApp(store());
    await seed(
      app,
      't',
      Array.from({ length: 9 }, (_, i) => ({ id: `r${i}`, n: i % 3 })),
    );
    const sort: SortSpec = [desc('n')];
    const first = await app.find('t', { sort, limit: 4 });
    expect(ids(first.items)).toEqual(['r2', 'r5', 'r8', 'r1']);
    await app.delete('t', 'r1');
    await app.delete('t', 'r4');
    const rest = await app.find('t', { sort, limit: 10, after: first.next! });
    expect(ids(rest.items)).toEqual(['r7', 'r0', 'r3', 'r6']);
  });

  test(
    target,
    'paging.update-between-pages',
    'a row updated to sort before the cursor is not returned again',
    async () => {
      const app = freshApp(store());
      await seed(
        app,
        't',
        Array.from({ length: 6 }, (_, i) => ({ id: `u${i}`, n: i })),
      );
      const sort: SortSpec = [asc('n')];
      const first = await app.find('t', { sort, limit: 3 });
      await app.update('t', 'u0', { set: { n: 100 } });
      await app.update('t', 'u5', { set: { n: -1 } });
      const rest = await app.find('t', { sort, limit: 10, after: first.next! });
      expect(ids(rest.items)).toEqual(['u3', 'u4', 'u0']);
    },
  );

  test(
    target,
    'paging.cursor-is-keyset',
    'a cursor is a position: a hand-made one for (n=3, id "") starts at n >= 3',
    async () => {
      const app = freshApp(store());
      await seed(
        app,
        't',
        Array.from({ length: 6 }, (_, i) => ({ id: `h${i}`, n: i })),
      );
      const sort: SortSpec = [asc('n')];
      const after = encodeCursor(sort, { values: [3], id: '' });
      expect(ids((await app.find('t', { sort, limit: 10, after })).items)).toEqual(['h3', 'h4', 'h5']);
    },
  );

  test(target, 'paging.cursor-other-sort', 'a cursor made for another sort is invalid_request', async () => {
    const first = await pagingApp.find('p', { sort: [asc('score')], limit: 3 });
    await expectError(pagingApp.find('p', { sort: [desc('score')], limit: 3, after: first.next! }), 'invalid_request');
    await expectError(pagingApp.find('p', { sort: [asc('group')], limit: 3, after: first.next! }), 'invalid_request');
    await expectError(pagingApp.find('p', { limit: 3, after: first.next! }), 'invalid_request');
  });

  const forged: Array<[string, string]> = [
    ['garbage', 'garbage!!'],
    ['empty', ''],
    ['not-json', Buffer.from('{nope').toString('base64url')],
    ['array', Buffer.from('[1,2]').toString('base64url')],
    ['wrong-arity', Buffer.from(JSON.stringify({ s: 'score', v: [1, 2], i: 'x' })).toString('base64url')],
    ['id-not-string', Buffer.from(JSON.stringify({ s: 'score', v: [1], i: { $ne: null } })).toString('base64url')],
    ['too-long', 'A'.repeat(5000)],
  ];
  for (const [name, after] of forged) {
    test(target, `paging.forged-${name}`, `a forged cursor (${name}) is invalid_request`, async () => {
      await expectError(pagingApp.find('p', { sort: [asc('score')], limit: 3, after }), 'invalid_request');
    });
  }

  test(
    target,
    'paging.forged-operator-value',
    'a cursor value that looks like an operator is invalid_request, never a query',
    async () => {
      const sort: SortSpec = [asc('score')];
      const values: JsonValue[] = [{ $gt: -100 }, { $ne: null }, { $exists: true }, [{ a: { $in: [1] } }]];
      for (const value of values) {
        const after = encodeCursor(sort, { values: [value], id: '' });
        await expectError(pagingApp.find('p', { sort, limit: 50, after }), 'invalid_request', { parameter: 'after' });
      }
    },
  );

  // --- offset ----------------------------------------------------------------------------------
  test(target, 'paging.offset', 'offset skips rows of the sorted result', async () => {
    const sort: SortSpec = [asc('group'), asc('score')];
    const expected = ids(referenceFind(pagingStored, { op: 'all' }, sort));
    expect(ids((await pagingApp.find('p', { sort, limit: 5, offset: 3 })).items)).toEqual(expected.slice(3, 8));
    expect(ids((await pagingApp.find('p', { sort, limit: 5, offset: 0 })).items)).toEqual(expected.slice(0, 5));
    const tail = await pagingApp.find('p', { sort, limit: 5, offset: 20 });
    expect(ids(tail.items)).toEqual(expected.slice(20));
    expect(tail.next).toBeNull();
    const beyond = await pagingApp.find('p', { sort, limit: 5, offset: 100 });
    expect(beyond).toEqual({ items: [], next: null });
  });

  test(
    target,
    'paging.offset-after',
    'offset applies after the cursor; the next cursor continues from the last row',
    async () => {
      const sort: SortSpec = [desc('score')];
      const expected = ids(referenceFind(pagingStored, { op: 'all' }, sort));
      const first = await pagingApp.find('p', { sort, limit: 4 });
      const skipped = await pagingApp.find('p', { sort, limit: 4, after: first.next!, offset: 2 });
      expect(ids(skipped.items)).toEqual(expected.slice(6, 10));
      const next = await pagingApp.find('p', { sort, limit: 4, after: skipped.next! });
      expect(ids(next.items)).toEqual(expected.slice(10, 14));
    },
  );

  // --- projection ------------------------------------------------------------------------------
  test(target, 'projection.fields', 'fields: id and the listed fields, nothing else of the data', async () => {
    const app = freshApp(store());
    await seed(app, 't', [
      { id: 'a', title: 'A', body: 'long', n: 1 },
      { id: 'b', title: 'B', n: 2 },
    ]);
    const page = await app.find('t', { fields: ['title'], limit: 10 });
    expect(page.items.map((d) => ({ id: d.id, title: d.title }))).toEqual([
      { id: 'a', title: 'A' },
      { id: 'b', title: 'B' },
    ]);
    for (const d of page.items) {
      expect(d).not.toHaveProperty('body');
      expect(d).not.toHaveProperty('n');
    }
  });

  test(target, 'projection.dotted', 'a dotted field returns that part of the object', async () => {
    const app = freshApp(store());
    await seed(app, 't', [{ id: 'a', o: { x: 1, y: 2, z: { w: 3 } }, other: true }]);
    const [doc] = (await app.find('t', { fields: ['o.y', 'o.z.w'], limit: 10 })).items;
    expect(doc!.o).toEqual({ y: 2, z: { w: 3 } });
    expect(doc).not.toHaveProperty('other');
  });

  test(target, 'projection.missing-field', 'a listed field a document lacks is simply absent', async () => {
    const app = freshApp(store());
    await seed(app, 't', [{ id: 'a', x: 1 }]);
    const [doc] = (await app.find('t', { fields: ['nope', 'x'], limit: 10 })).items;
    expect(doc).toMatchObject({ id: 'a', x: 1 });
    expect(doc).not.toHaveProperty('nope');
  });

  test(target, 'projection.system-fields', 'system fields can be listed', async () => {
    const app = freshApp(store());
    const created = await app.create('t', { owner: 'u', data: { x: 1 } });
    const [doc] = (await app.find('t', { fields: ['owner', 'version', 'createdAt'], limit: 10 })).items;
    expect(doc).toMatchObject({ id: created.id, owner: 'u', version: 1, createdAt: created.createdAt });
    expect(doc).not.toHaveProperty('x');
  });

  test(target, 'projection.paging', 'paging with a projection that leaves out the sort keys', async () => {
    const sort: SortSpec = [desc('score'), asc('v')];
    const expected = ids(referenceFind(pagingStored, { op: 'all' }, sort));
    const { items } = await pageAll(pagingApp, 'p', { sort, limit: 5, fields: ['group'] });
    expect(ids(items)).toEqual(expected);
    for (const d of items) expect(d).not.toHaveProperty('score');
  });
});
