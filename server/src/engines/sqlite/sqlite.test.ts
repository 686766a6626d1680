import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFilter } from '../../lib/filter/parse.js';
import { openSqliteStore, type SqliteDocumentStore } from './index.js';

/**
 * What is particular to the SQLite engine (the cross-engine behaviour is in
 * test/conformance): index use in query plans, the catalog's case-sensitive names, array paths,
 * persistence across reopening.
 */
let dir: string;
let store: SqliteDocumentStore;
const file = () => join(dir, 'hearth.db');
type Explainable = { explainFind(collection: string, options: object): string[] };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-sqlite-'));
  store = openSqliteStore({ file: file() });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function seed(n: number) {
  const app = store.forApp('app1');
  await app.batch(
    Array.from({ length: n }, (_, i) => ({
      op: 'create' as const,
      collection: 'todos',
      data: { status: ['open', 'done', 'late'][i % 3]!, rank: i, title: `task ${i}` },
      owner: `u${i % 7}`,
    })),
  );
  return app;
}

describe('query plans', () => {
  it('uses a compound index for an indexed equality + sort (no temp b-tree)', async () => {
    const app = await seed(300);
    await app.ensureIndex('todos', {
      kind: 'regular',
      name: 'byStatusRank',
      fields: [
        { path: 'status', dir: 1 },
        { path: 'rank', dir: -1 },
      ],
    });
    const plan = (app as unknown as Explainable).explainFind('todos', {
      filter: parseFilter({ status: 'open' }),
      sort: [{ path: 'rank', dir: -1 }],
    });
    expect(plan.join('\n')).toMatch(/SEARCH c\d+ USING INDEX c\d+_i\w+ \(<expr>=\? AND <expr>=\?\)/);
    expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
    const page = await app.find('todos', {
      filter: parseFilter({ status: 'open' }),
      sort: [{ path: 'rank', dir: -1 }],
      limit: 3,
    });
    expect(page.items.map((d) => d.rank)).toEqual([297, 294, 291]);
  });

  it('seeks to a cursor: deep pages use the index like page 1 (no scan, no temp b-tree)', async () => {
    const app = await seed(2000);
    await app.ensureIndex('todos', { kind: 'regular', name: 'byRank', fields: [{ path: 'rank', dir: 1 }] });
    for (const dir of [1, -1] as const) {
      const sort = [{ path: 'rank', dir }];
      let after: string | undefined;
      const seen: number[] = [];
      for (let page = 0; page < 50; page++) {
        const res = await app.find('todos', { sort, limit: 20, ...(after ? { after } : {}) });
        seen.push(...res.items.map((d) => d.rank as number));
        after = res.next!;
      }
      expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => (dir === 1 ? i : 1999 - i)));
      const plan = (app as unknown as Explainable).explainFind('todos', { sort, after }).join('\n');
      expect(plan).toMatch(/SEARCH c\d+ USING INDEX c\d+_i\w+ \(<expr>=\? AND <expr>[<>]\?\)/);
      // Descending keys with the ascending id tie-break sort only runs of equal values ("LAST TERM").
      expect(plan).not.toMatch(/SCAN|TEMP B-TREE FOR ORDER BY/);
    }
  });

  it("uses an owner-first twin of an index for an owner rule + the index's filter and sort", async () => {
    const app = await seed(700);
    const keys = [
      { path: 'status', dir: 1 as const },
      { path: 'rank', dir: -1 as const },
    ];
    await app.ensureIndex('todos', { kind: 'regular', name: 'byStatusRank', fields: keys });
    await app.ensureIndex('todos', {
      kind: 'regular',
      name: 'auto_owner',
      fields: [
        { path: 'owner', dir: 1 },
        { path: 'createdAt', dir: 1 },
      ],
    });
    await app.ensureIndex('todos', {
      kind: 'regular',
      name: 'auto_owner_byStatusRank',
      fields: [{ path: 'owner', dir: 1 }, ...keys],
    });
    // What a signed-in list sends: the rule's condition and the client's filter, ANDed.
    const filter = { op: 'and' as const, children: [parseFilter({ owner: 'u3' }), parseFilter({ status: 'open' })] };
    const sort = [{ path: 'rank', dir: -1 as const }];
    const plan = (app as unknown as Explainable).explainFind('todos', { filter, sort }).join('\n');
    expect(plan).toMatch(/SEARCH c\d+ USING INDEX c\d+_i\w+ \((<expr>=\? AND ){3}<expr>=\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
    const page = await app.find('todos', { filter, sort, limit: 3 });
    // owner u3: i % 7 === 3; status open: i % 3 === 0 → i % 21 === 3 (btw 0 and 699)
    expect(page.items.map((d) => d.rank)).toEqual([696, 675, 654]);
  });

  it('scans without an index, and uses the index once it exists', async () => {
    const app = await seed(50);
    const explain = () =>
      (app as unknown as Explainable).explainFind('todos', { filter: parseFilter({ owner: 'u3' }) });
    expect(explain().join('\n')).toMatch(/SCAN c\d+/);
    await app.ensureIndex('todos', { kind: 'regular', name: 'byOwner', fields: [{ path: 'owner', dir: 1 }] });
    expect(explain().join('\n')).toMatch(/USING INDEX/);
    await app.dropIndex('todos', 'byOwner');
    expect(explain().join('\n')).not.toMatch(/USING INDEX c\d+_i/);
  });
});

describe('prepared statements', () => {
  it("writes a page's LIMIT into its SQL (a bound LIMIT re-prepares on every run) and reuses one statement per shape", async () => {
    const app = await seed(60);
    const conn = (app as unknown as { s: { statement(sql: string): unknown } }).s;
    const original = conn.statement.bind(conn);
    const texts: string[] = [];
    conn.statement = (sql: string) => {
      texts.push(sql);
      return original(sql);
    };
    const filter = (status: string) => parseFilter({ status });
    for (const [k, status] of ['open', 'done', 'late'].entries()) {
      for (const offset of [0, 1, 5, 17]) {
        const page = await app.find('todos', {
          filter: filter(status),
          sort: [{ path: 'rank', dir: 1 }],
          limit: 4,
          offset,
        });
        const expected = Array.from({ length: 20 }, (_, i) => 3 * i + k).slice(offset, offset + 4);
        expect(page.items.map((d) => d.rank)).toEqual(expected);
      }
    }
    let after = (await app.find('todos', { sort: [{ path: 'rank', dir: 1 }], limit: 7 })).next;
    const ranks: number[] = [];
    while (after) {
      const page = await app.find('todos', { sort: [{ path: 'rank', dir: 1 }], limit: 7, after });
      ranks.push(...page.items.map((d) => d.rank as number));
      after = page.next;
    }
    expect(ranks).toEqual(Array.from({ length: 53 }, (_, i) => i + 7));
    const pages = texts.filter((t) => t.startsWith('SELECT data'));
    expect(pages.length).toBeGreaterThan(12);
    for (const sql of pages) expect(sql).toMatch(/ LIMIT \d+( OFFSET \?)?$/);
    // the twelve filtered pages (three values, four offsets) share one statement
    expect(new Set(pages.filter((t) => t.includes('"status"'))).size).toBe(1);
  });
});

describe('catalog', () => {
  it('keeps collections whose names differ only by case apart', async () => {
    const app = store.forApp('app1');
    await app.create('Todos', { data: { v: 'upper' } });
    await app.create('todos', { data: { v: 'lower' } });
    expect((await app.find('Todos', { limit: 10 })).items.map((d) => d.v)).toEqual(['upper']);
    expect((await app.find('todos', { limit: 10 })).items.map((d) => d.v)).toEqual(['lower']);
  });

  it('keeps apps whose ids differ only by case apart', async () => {
    await store.forApp('AbC').create('notes', { id: 'same', data: { v: 1 } });
    await store.forApp('abc').create('notes', { id: 'same', data: { v: 2 } });
    expect((await store.forApp('AbC').get('notes', 'same'))?.v).toBe(1);
    expect((await store.forApp('abc').get('notes', 'same'))?.v).toBe(2);
    await store.forApp('abc').dropApp();
    expect((await store.forApp('AbC').get('notes', 'same'))?.v).toBe(1);
  });

  it('refuses app ids and collection names that could escape into SQL', async () => {
    expect(() => store.forApp('a"; DROP TABLE hearth_collections; --')).toThrow(/app id/);
    await expect(store.forApp('app1').create('x"y', { data: {} })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('rolls back a batch that created a collection, and the catalog forgets it', async () => {
    const app = store.forApp('app1');
    await app.create('existing', { id: 'dup', data: {} });
    await expect(
      app.batch([
        { op: 'create', collection: 'fresh', data: { a: 1 } },
        { op: 'create', collection: 'existing', id: 'dup', data: {} },
      ]),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect((await app.find('fresh', { limit: 10 })).items).toEqual([]);
    await app.create('fresh', { data: { a: 2 } });
    expect(await app.count('fresh')).toBe(1);
  });
});

describe('array paths', () => {
  it('switches a path to array semantics once any document stores an array there', async () => {
    const app = store.forApp('app1');
    await app.create('posts', { id: 'p1', data: { tags: 'news' } });
    expect(
      (await app.find('posts', { filter: parseFilter({ tags: 'news' }), limit: 5 })).items.map((d) => d.id),
    ).toEqual(['p1']);
    await app.create('posts', { id: 'p2', data: { tags: ['news', 'tech'] } });
    const ids = (await app.find('posts', { filter: parseFilter({ tags: 'news' }), limit: 5 })).items.map((d) => d.id);
    expect(ids).toEqual(['p1', 'p2']);
    expect(await app.count('posts', { filter: parseFilter({ tags: { $ne: 'news' } }) })).toBe(0);
    expect(await app.count('posts', { filter: parseFilter({ tags: { $size: 2 } }) })).toBe(1);
  });
});

describe('persistence', () => {
  it('finds documents, indexes and the text index after reopening the file', async () => {
    const app = await seed(10);
    await app.ensureIndex('todos', { kind: 'text', name: 'search', fields: ['title'] });
    await app.ensureIndex('todos', {
      kind: 'regular',
      name: 'byRank',
      fields: [{ path: 'rank', dir: 1 }],
      unique: true,
    });
    await store.close();
    store = openSqliteStore({ file: file() });
    const again = store.forApp('app1');
    expect(await again.count('todos')).toBe(10);
    expect((await again.listIndexes('todos')).map((i) => i.name).sort()).toEqual(['byRank', 'search']);
    const hits = await again.find('todos', { filter: parseFilter({ $text: { $search: 'TASK 7' } }), limit: 5 });
    expect(hits.items.map((d) => d.rank)).toEqual([7]);
    await expect(again.create('todos', { data: { rank: 3 } })).rejects.toMatchObject({
      code: 'conflict',
      details: { reason: 'unique', index: 'byRank' },
    });
  });

  it('answers unavailable once closed', async () => {
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'unavailable' });
    await expect(store.forApp('app1').create('x', { data: {} })).rejects.toMatchObject({ code: 'unavailable' });
    store = openSqliteStore({ file: file() });
  });
});
