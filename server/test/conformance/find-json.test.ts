import { beforeAll, expect } from 'vitest';
import type { SortSpec } from '../../src/lib/filter/types.js';
import type { AppStore, FindOptions, StoredDocument } from '../../src/ports/document-store.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { PAGING_DOCS } from './fixtures.js';
import { asc, desc, expectError, f, freshApp } from './support.js';

/**
 * `findJson`: the same pages as `find`, each document as the JSON text `JSON.stringify` makes of
 * what `find` returns (the list route sends it as it is), with the same `next` cursor.
 */
forEachTarget('conformance: findJson', (target, store) => {
  let app: AppStore;
  beforeAll(async () => {
    app = freshApp(store(), 'json');
    for (const { id, ...data } of PAGING_DOCS) await app.create('p', { id, data, owner: `u${id.length % 2}` });
    // Text a round trip must keep: escapes, non-ASCII, a lone surrogate, nesting, -0, big numbers.
    await app.create('odd', {
      id: 'odd',
      data: { s: 'quote " back \\ nl \n é 😀 \ud800', n: -0, big: 1e21, deep: { a: [1, { b: null }] } },
    });
  });

  /** Every page of a query through both calls: the texts equal stringify(find), the cursors agree. */
  async function compareAllPages(options: Omit<FindOptions, 'fields' | 'after'>) {
    let after: string | undefined;
    let pages = 0;
    const seen: string[] = [];
    do {
      const page = { ...options, ...(after !== undefined ? { after } : {}) };
      const [objects, texts] = await Promise.all([app.find('p', page), app.findJson('p', page)]);
      expect(texts.items).toEqual(objects.items.map((d) => JSON.stringify(d)));
      expect(texts.next).toBe(objects.next);
      for (const text of texts.items) {
        expect(typeof text).toBe('string');
        seen.push((JSON.parse(text) as StoredDocument).id);
      }
      after = texts.next ?? undefined;
      pages++;
    } while (after !== undefined && pages < 100);
    return { seen, pages };
  }

  const sorts: Array<[string, SortSpec]> = [
    ['id', []],
    ['mixed-desc', [desc('v')]],
    ['group-score', [asc('group'), desc('score')]],
  ];
  for (const [name, sort] of sorts) {
    test(target, `find-json.pages-${name}`, `every page equals stringify(find), sort ${name}`, async () => {
      const { seen, pages } = await compareAllPages({ sort, limit: 4 });
      expect(seen).toHaveLength(PAGING_DOCS.length);
      expect(pages).toBe(Math.ceil(PAGING_DOCS.length / 4));
    });
  }

  test(target, 'find-json.filter-offset', 'a filtered page with an offset, and the last page', async () => {
    const filter = f({ $or: [{ score: { $gte: 2 } }, { group: 'x' }] });
    const { seen } = await compareAllPages({ filter, sort: [desc('score')], limit: 3, offset: 2 });
    expect(seen.length).toBeGreaterThan(3);
    const whole = await app.findJson('p', { filter, limit: 1000 });
    expect(whole.next).toBeNull();
  });

  test(target, 'find-json.round-trip', 'the text parses back to the stored document', async () => {
    const [doc] = (await app.find('odd', { limit: 1 })).items;
    const { items } = await app.findJson('odd', { limit: 1 });
    expect(items).toHaveLength(1);
    expect(JSON.parse(items[0]!)).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(JSON.parse(items[0]!)).toMatchObject({ id: 'odd', version: 1, deep: { a: [1, { b: null }] } });
  });

  test(target, 'find-json.empty', 'a missing collection or no match is an empty page', async () => {
    expect(await app.findJson('nothing_here', { limit: 5 })).toEqual({ items: [], next: null });
    expect(await app.findJson('p', { filter: f({ group: 'none' }), limit: 5 })).toEqual({ items: [], next: null });
  });

  test(target, 'find-json.bad-input', 'a bad cursor or collection name is refused like find', async () => {
    await expectError(app.findJson('p', { limit: 5, after: 'not-a-cursor' }), 'invalid_request');
    await expectError(app.findJson('bad name!', { limit: 5 }), 'invalid_request');
  });
});
