import { expect } from 'vitest';
import type { SortSpec } from '../../src/lib/filter/types.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { PAGING_DOCS } from './fixtures.js';
import { asc, desc, freshApp, ids, referenceFind, seed, sleep } from './support.js';

/** Sort: type order, ties, multi-key, unicode, nested paths, dates, system fields, limits. */
forEachTarget('conformance: sort', (target, store) => {
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
});
