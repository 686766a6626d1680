import { beforeAll, expect } from 'vitest';
import type { JsonValue } from '../../src/lib/filter/types.js';
import type { AggregateStage, AppStore, DocumentData } from '../../src/ports/document-store.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { f, freshApp, seed } from './support.js';

/** count (exact and estimated) and aggregate ($match, $group with every accumulator, $sort, $limit). */
const SALES: Array<{ id: string } & DocumentData> = [
  { id: 's01', region: 'north', product: 'tea', amount: 10, qty: 1 },
  { id: 's02', region: 'north', product: 'coffee', amount: 25.5, qty: 2 },
  { id: 's03', region: 'south', product: 'tea', amount: 7, qty: 3 },
  { id: 's04', region: 'south', product: 'tea', amount: 3, qty: 1 },
  { id: 's05', region: 'east', product: 'coffee', amount: 'n/a', qty: 1 },
  { id: 's06', region: 'north', product: 'tea', amount: -2, qty: 5 },
  { id: 's07', product: 'cocoa', amount: 4 },
  { id: 's08', region: null, product: 'cocoa', amount: null, qty: 2 },
  { id: 's09', region: 'east', product: 'tea' },
];

/** Rows in a stable order for comparison (group output order is unspecified without $sort). */
const byJson = (rows: Record<string, JsonValue>[]) =>
  [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

forEachTarget('conformance: count and aggregate', (target, store) => {
  let app: AppStore;
  beforeAll(async () => {
    app = freshApp(store(), 'agg');
    await seed(app, 'sales', SALES);
  });

  // --- count -----------------------------------------------------------------------------------
  test(target, 'count.exact', 'count without a filter, exact (default and explicit)', async () => {
    expect(await app.count('sales')).toBe(9);
    expect(await app.count('sales', { mode: 'exact' })).toBe(9);
    expect(await app.count('sales', { filter: { op: 'all' } })).toBe(9);
  });

  test(target, 'count.filtered', 'count with filters equals the number find returns', async () => {
    const filters = [
      { region: 'north' },
      { amount: { $gt: 0 } },
      { region: null },
      { qty: { $exists: false } },
      { $or: [{ product: 'cocoa' }, { qty: 5 }] },
    ];
    for (const json of filters) {
      const filter = f(json);
      const found = await app.find('sales', { filter, limit: 100 });
      expect(await app.count('sales', { filter }), JSON.stringify(json)).toBe(found.items.length);
    }
    expect(await app.count('sales', { filter: f({ region: 'north' }) })).toBe(3);
  });

  test(target, 'count.estimated', 'an estimated count of an unfiltered collection is close to the truth', async () => {
    const own = freshApp(store());
    await Promise.all(Array.from({ length: 60 }, (_, i) => own.create('t', { data: { i } })));
    const estimate = await own.count('t', { mode: 'estimated' });
    expect(Number.isInteger(estimate)).toBe(true);
    expect(estimate).toBeGreaterThanOrEqual(30);
    expect(estimate).toBeLessThanOrEqual(120);
  });

  test(target, 'count.estimated-filtered', 'an estimated count with a filter still respects the filter', async () => {
    const estimate = await app.count('sales', { filter: f({ product: 'tea' }), mode: 'estimated' });
    expect(estimate).toBeGreaterThanOrEqual(0);
    expect(estimate).toBeLessThanOrEqual(9);
  });

  test(target, 'count.after-writes', 'count follows creates and deletes', async () => {
    const own = freshApp(store());
    const a = await own.create('t', { data: {} });
    await own.create('t', { data: {} });
    expect(await own.count('t')).toBe(2);
    await own.delete('t', a.id);
    expect(await own.count('t')).toBe(1);
  });

  // --- aggregate -------------------------------------------------------------------------------
  const agg = (pipeline: AggregateStage[]) => app.aggregate('sales', pipeline);

  test(
    target,
    'aggregate.group-count',
    '$group by one field with count (null and missing group together)',
    async () => {
      const rows = await agg([{ stage: 'group', by: ['region'], accumulators: { n: { op: 'count' } } }]);
      expect(byJson(rows)).toEqual(
        byJson([
          { region: 'north', n: 3 },
          { region: 'south', n: 2 },
          { region: 'east', n: 2 },
          { region: null, n: 2 },
        ]),
      );
    },
  );

  test(target, 'aggregate.group-sum', '$group sum ignores non-numbers; sum of nothing is 0', async () => {
    const rows = await agg([
      {
        stage: 'group',
        by: ['product'],
        accumulators: { total: { op: 'sum', path: 'amount' }, units: { op: 'sum', path: 'qty' } },
      },
    ]);
    expect(byJson(rows)).toEqual(
      byJson([
        { product: 'tea', total: 18, units: 10 },
        { product: 'coffee', total: 25.5, units: 3 },
        { product: 'cocoa', total: 4, units: 2 },
      ]),
    );
  });

  test(target, 'aggregate.group-avg', '$group avg ignores non-numbers; avg of nothing is null', async () => {
    const rows = await agg([{ stage: 'group', by: ['region'], accumulators: { avg: { op: 'avg', path: 'amount' } } }]);
    expect(rows).toHaveLength(4);
    expect(rows.find((r) => r.region === 'north')!.avg).toBeCloseTo((10 + 25.5 - 2) / 3, 10);
    expect(byJson(rows.filter((r) => r.region !== 'north'))).toEqual(
      byJson([
        { region: 'south', avg: 5 },
        { region: 'east', avg: null },
        { region: null, avg: 4 },
      ]),
    );
  });

  test(target, 'aggregate.group-min-max', '$group min/max compare like sort (numbers before strings)', async () => {
    const rows = await agg([
      {
        stage: 'group',
        by: ['region'],
        accumulators: {
          lo: { op: 'min', path: 'amount' },
          hi: { op: 'max', path: 'amount' },
          first: { op: 'min', path: 'product' },
        },
      },
    ]);
    const north = rows.find((r) => r.region === 'north');
    expect(north).toEqual({ region: 'north', lo: -2, hi: 25.5, first: 'coffee' });
    expect(rows.find((r) => r.region === 'south')).toEqual({ region: 'south', lo: 3, hi: 7, first: 'tea' });
    expect(rows.find((r) => r.region === 'east')).toMatchObject({ region: 'east', hi: 'n/a', first: 'coffee' });
  });

  test(target, 'aggregate.group-all', '$group with no fields gives one row over everything', async () => {
    const rows = await agg([
      {
        stage: 'group',
        by: [],
        accumulators: { n: { op: 'count' }, total: { op: 'sum', path: 'amount' }, max: { op: 'max', path: 'qty' } },
      },
    ]);
    expect(rows).toEqual([{ n: 9, total: 47.5, max: 5 }]);
  });

  test(target, 'aggregate.group-two-fields', '$group by two fields', async () => {
    const rows = await agg([
      { stage: 'match', filter: f({ region: { $in: ['north', 'south'] } }) },
      { stage: 'group', by: ['region', 'product'], accumulators: { n: { op: 'count' } } },
    ]);
    expect(byJson(rows)).toEqual(
      byJson([
        { region: 'north', product: 'tea', n: 2 },
        { region: 'north', product: 'coffee', n: 1 },
        { region: 'south', product: 'tea', n: 2 },
      ]),
    );
  });

  test(target, 'aggregate.match-sort-limit', '$match, $sort, $limit without $group return documents', async () => {
    const rows = await agg([
      { stage: 'match', filter: f({ product: 'tea' }) },
      { stage: 'sort', sort: [{ path: 'amount', dir: -1 }] },
      { stage: 'limit', limit: 3 },
    ]);
    expect(rows.map((r) => r.id)).toEqual(['s01', 's03', 's04']);
    expect(rows[0]).toMatchObject({ id: 's01', region: 'north', amount: 10, version: 1 });
  });

  test(
    target,
    'aggregate.sort-after-group',
    '$sort and $limit on group rows (by accumulator, ties by group key)',
    async () => {
      const rows = await agg([
        { stage: 'group', by: ['product'], accumulators: { units: { op: 'sum', path: 'qty' } } },
        { stage: 'sort', sort: [{ path: 'units', dir: -1 }] },
        { stage: 'limit', limit: 2 },
      ]);
      expect(rows).toEqual([
        { product: 'tea', units: 10 },
        { product: 'coffee', units: 3 },
      ]);
    },
  );

  test(target, 'aggregate.match-after-group', '$match on group rows', async () => {
    const rows = await agg([
      { stage: 'group', by: ['region'], accumulators: { n: { op: 'count' } } },
      { stage: 'match', filter: f({ n: { $gte: 2 }, region: { $ne: null } }) },
      { stage: 'sort', sort: [{ path: 'region', dir: 1 }] },
    ]);
    expect(rows).toEqual([
      { region: 'east', n: 2 },
      { region: 'north', n: 3 },
      { region: 'south', n: 2 },
    ]);
  });

  test(target, 'aggregate.empty', 'aggregate over nothing: no rows (also a collection never written)', async () => {
    expect(
      await agg([
        { stage: 'match', filter: f({ region: 'west' }) },
        { stage: 'group', by: ['product'], accumulators: { n: { op: 'count' } } },
      ]),
    ).toEqual([]);
    const own = freshApp(store());
    expect(await own.aggregate('never', [{ stage: 'group', by: [], accumulators: { n: { op: 'count' } } }])).toEqual(
      [],
    );
  });

  test(target, 'aggregate.match-regex-text-fields', '$match takes the full filter language', async () => {
    const rows = await agg([
      { stage: 'match', filter: f({ product: { $regex: '^co' }, qty: { $not: { $gt: 1 } } }) },
      { stage: 'group', by: ['product'], accumulators: { n: { op: 'count' } } },
    ]);
    expect(byJson(rows)).toEqual(
      byJson([
        { product: 'coffee', n: 1 },
        { product: 'cocoa', n: 1 },
      ]),
    );
  });
});
