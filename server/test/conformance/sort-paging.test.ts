import { beforeAll, expect } from 'vitest';
import { encodeCursor } from '../../src/lib/cursor.js';
import type { JsonValue, SortSpec } from '../../src/lib/filter/types.js';
import type { AppStore, DocumentData, StoredDocument } from '../../src/ports/document-store.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { expectError, f, freshApp, ids, pageAll, referenceFind, seed, sleep } from './support.js';

/**
 * Sort (type order, ties, multi-key, unicode, nested, system fields), keyset cursor paging
 * (every page, pages while writing, bad cursors), offset, projection.
 */
const asc = (path: string): SortSpec[number] => ({ path, dir: 1 });
const desc = (path: string): SortSpec[number] => ({ path, dir: -1 });

/** 23 documents with ties, nulls, missing values and mixed types in `v`. */
const PAGING_DOCS: Array<{ id: string } & DocumentData> = Array.from({ length: 23 }, (_, i) => {
  const id = `p${String((i * 7) % 23).padStart(2, '0')}`;
  const doc: { id: string } & DocumentData = {
    id,
    group: ['x', 'y', 'z'][i % 3]!,
    score: i % 5,
    obj: { x: (i * 3) % 4 },
  };
  const vs: Array<DocumentData[string] | undefined> = [1, 'a', null, undefined, 2.5, 'B', true, false, -3, { k: 1 }];
  const v = vs[i % vs.length];
  if (v !== undefined) doc.v = v;
  return doc;
});

forEachTarget('conformance: sort and paging', (target, store) => {
  // --- sort ------------------------------------------------------------------------------------
  test(
    target,
    'sort.type-order-asc',
    'missing < numbers < strings < objects < false < true, both directions (null vs missing: sort.null-equals-missing)',
    async () => {
      const app = freshApp(store());
      await seed(app, 't', [
        { id: 'k01', v: true },
        { id: 'k02', v: 'b' },
        { id: 'k03', v: { a: 1 } },
        { id: 'k04', v: -1 },
        { id: 'k05' },
        { id: 'k06', v: 'A' },
        { id: 'k07', v: false },
        { id: 'k08', v: 10 },
        { id: 'k10', v: 2.5 },
      ]);
      const page = await app.find('t', { sort: [asc('v')], limit: 20 });
      expect(ids(page.items)).toEqual(['k05', 'k04', 'k10', 'k08', 'k06', 'k02', 'k03', 'k07', 'k01']);
      const down = await app.find('t', { sort: [desc('v')], limit: 20 });
      expect(ids(down.items)).toEqual(['k01', 'k07', 'k03', 'k02', 'k06', 'k08', 'k10', 'k04', 'k05']);
    },
  );

  test(target, 'sort.null-equals-missing', 'null and missing sort as equal (ties broken by id)', async () => {
    const app = freshApp(store());
    await seed(app, 't', [
      { id: 'a1', v: null },
      { id: 'b2' },
      { id: 'c3', v: null },
      { id: 'd4' },
      { id: 'e5', v: 1 },
    ]);
    expect(ids((await app.find('t', { sort: [asc('v')], limit: 10 })).items)).toEqual(['a1', 'b2', 'c3', 'd4', 'e5']);
    expect(ids((await app.find('t', { sort: [desc('v')], limit: 10 })).items)).toEqual(['e5', 'a1', 'b2', 'c3', 'd4']);
  });

  test(target, 'sort.ties-by-id', 'equal sort values are ordered by id ascending, in both directions', async () => {
    const app = freshApp(store());
    const order = ['m', 'c', 'x', 'a', 'q', 'b'];
    for (const id of order) await app.create('t', { id, data: { v: 1 } });
    await app.create('t', { id: 'z0', data: { v: 0 } });
    expect(ids((await app.find('t', { sort: [asc('v')], limit: 10 })).items)).toEqual([
      'z0',
      'a',
      'b',
      'c',
      'm',
      'q',
      'x',
    ]);
    expect(ids((await app.find('t', { sort: [desc('v')], limit: 10 })).items)).toEqual([
      'a',
      'b',
      'c',
      'm',
      'q',
      'x',
      'z0',
    ]);
  });

  test(target, 'sort.default-id', 'without a sort, documents come by id ascending', async () => {
    const app = freshApp(store());
    for (const id of ['b', 'C', 'a', 'A', '_', '-', '0', 'z9']) await app.create('t', { id, data: {} });
    expect(ids((await app.find('t', { limit: 20 })).items)).toEqual(['-', '0', 'A', 'C', '_', 'a', 'b', 'z9']);
  });

  test(target, 'sort.multi-key', 'multi-key sort: group asc, score desc, then id', async () => {
    const app = freshApp(store());
    const stored = await seed(app, 't', PAGING_DOCS);
    const sort: SortSpec = [asc('group'), desc('score')];
    expect(ids((await app.find('t', { sort, limit: 100 })).items)).toEqual(
      ids(referenceFind(stored, { op: 'all' }, sort)),
    );
  });

  test(target, 'sort.numbers', 'numbers sort numerically (negatives, fractions, large, int vs float)', async () => {
    const app = freshApp(store());
    const values = [10, -2, 0.5, 9, 1e12, -0.25, 100, 2, 1.5, -1e12, 0];
    const stored = await seed(
      app,
      't',
      values.map((v, i) => ({ id: `n${i}`, v })),
    );
    const sorted = ids((await app.find('t', { sort: [asc('v')], limit: 20 })).items);
    expect(sorted.map((id) => stored.find((d) => d.id === id)!.v)).toEqual([...values].sort((a, b) => a - b));
  });

  test(target, 'sort.strings-codepoint', 'strings sort by code point: case, accents, CJK, emoji', async () => {
    const app = freshApp(store());
    const values = ['b', 'a', 'B', 'A', 'é', 'e', 'É', 'Z', '日本', '10', '9', '', 'a b', 'ab', '😀', 'ß'];
    await seed(
      app,
      't',
      values.map((v, i) => ({ id: `s${String(i).padStart(2, '0')}`, v })),
    );
    const items = (await app.find('t', { sort: [asc('v')], limit: 20 })).items;
    expect(items.map((d) => d.v)).toEqual([
      '',
      '10',
      '9',
      'A',
      'B',
      'Z',
      'a',
      'a b',
      'ab',
      'b',
      'e',
      'É',
      'ß',
      'é',
      '日本',
      '😀',
    ]);
  });

  test(
    target,
    'sort.strings-astral',
    'an astral character sorts after U+FF01 (UTF-8 byte order, not UTF-16)',
    async () => {
      const app = freshApp(store());
      await seed(app, 't', [
        { id: 'a', v: '😀' },
        { id: 'b', v: '\uff01' },
        { id: 'c', v: '\ue000' },
      ]);
      expect(ids((await app.find('t', { sort: [asc('v')], limit: 10 })).items)).toEqual(['c', 'b', 'a']);
    },
  );

  test(target, 'sort.nested-path', 'sort by a dotted path (missing and non-objects as null)', async () => {
    const app = freshApp(store());
    const stored = await seed(app, 't', [
      { id: 'a', o: { x: 3 } },
      { id: 'b', o: { x: 1 } },
      { id: 'c', o: 5 },
      { id: 'd', o: { x: 2, y: 1 } },
      { id: 'e' },
    ]);
    const sort: SortSpec = [desc('o.x')];
    const got = ids((await app.find('t', { sort, limit: 10 })).items);
    expect(got).toEqual(['a', 'd', 'b', 'c', 'e']);
    expect(got).toEqual(ids(referenceFind(stored, { op: 'all' }, sort)));
  });

  test(target, 'sort.iso-dates', 'ISO-8601 date strings sort chronologically', async () => {
    const app = freshApp(store());
    const dates = [
      '2024-03-01T00:00:00.000Z',
      '2023-12-31T23:59:59.999Z',
      '2024-01-15T10:00:00.000Z',
      '2024-01-15T09:59:59.999Z',
    ];
    await seed(
      app,
      't',
      dates.map((at, i) => ({ id: `d${i}`, at })),
    );
    expect(ids((await app.find('t', { sort: [asc('at')], limit: 10 })).items)).toEqual(['d1', 'd3', 'd2', 'd0']);
  });

  test(target, 'sort.system-fields', 'sort by createdAt, updatedAt and version', async () => {
    const app = freshApp(store());
    const a = await app.create('t', { id: 'z', data: {} });
    await sleep(3);
    const b = await app.create('t', { id: 'y', data: {} });
    await sleep(3);
    const c = await app.create('t', { id: 'x', data: {} });
    expect(ids((await app.find('t', { sort: [asc('createdAt')], limit: 10 })).items)).toEqual([a.id, b.id, c.id]);
    expect(ids((await app.find('t', { sort: [desc('createdAt')], limit: 10 })).items)).toEqual([c.id, b.id, a.id]);
    await sleep(3);
    await app.update('t', a.id, { set: { touched: true } });
    await app.update('t', a.id, { set: { touched: 2 } });
    expect(ids((await app.find('t', { sort: [desc('updatedAt')], limit: 10 })).items)).toEqual([a.id, c.id, b.id]);
    expect(ids((await app.find('t', { sort: [desc('version')], limit: 10 })).items)).toEqual([a.id, 'x', 'y']);
  });

  test(target, 'sort.limit', 'limit cuts the sorted list; limit 1 and 1000 work', async () => {
    const app = freshApp(store());
    const stored = await seed(app, 't', PAGING_DOCS);
    const sort: SortSpec = [desc('score')];
    const expected = ids(referenceFind(stored, { op: 'all' }, sort));
    expect(ids((await app.find('t', { sort, limit: 1 })).items)).toEqual(expected.slice(0, 1));
    expect(ids((await app.find('t', { sort, limit: 5 })).items)).toEqual(expected.slice(0, 5));
    const big = await app.find('t', { sort, limit: 1000 });
    expect(ids(big.items)).toEqual(expected);
    expect(big.next).toBeNull();
  });

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
