import { beforeAll, expect } from 'vitest';
import { matches } from '../../src/lib/filter/evaluate.js';
import type { AppStore, DocumentData, StoredDocument } from '../../src/ports/document-store.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { FILTER_CASES, FILTER_DOCS, FILTER_DOC_OWNERS } from './fixtures.js';
import { expectError, f, freshApp, sortedIds } from './support.js';

/**
 * Every filter operator against fixed documents (fixtures.ts): find returns exactly the expected
 * ids (which the reference evaluator also gives), count agrees, and the filter works as a
 * `where` guard on get. Then $text with a text index.
 */
forEachTarget('conformance: filters', (target, store) => {
  let app: AppStore;
  let stored: StoredDocument[];
  beforeAll(async () => {
    app = freshApp(store(), 'filters');
    stored = [];
    for (const { id, ...data } of FILTER_DOCS) {
      stored.push(await app.create('things', { id, owner: FILTER_DOC_OWNERS[id] ?? null, data }));
    }
  });

  for (const c of FILTER_CASES) {
    test(target, `filter.${c.id}`, JSON.stringify(c.filter), async () => {
      const filter = f(c.filter);
      // the table itself agrees with the reference semantics
      expect(stored.filter((d) => matches(filter, d)).map((d) => d.id)).toEqual(c.expected);
      const page = await app.find('things', { filter, limit: 100 });
      expect(sortedIds(page.items)).toEqual(c.expected);
      expect(page.next).toBeNull();
      // documents come back whole
      for (const item of page.items) expect(item).toEqual(stored.find((d) => d.id === item.id));
      expect(await app.count('things', { filter })).toBe(c.expected.length);
      expect(await app.count('things', { filter, mode: 'exact' })).toBe(c.expected.length);
    });
  }

  test(
    target,
    'filter.where-guard',
    'the same filters work as get(where): null exactly for non-matching documents',
    async () => {
      for (const c of FILTER_CASES.filter((_, i) => i % 6 === 0)) {
        for (const id of ['d01', 'd06', 'd07', 'd12']) {
          const got = await app.get('things', id, { where: f(c.filter) });
          expect(got === null ? 'miss' : 'hit', `${id} ${JSON.stringify(c.filter)}`).toBe(
            c.expected.includes(id) ? 'hit' : 'miss',
          );
        }
      }
    },
  );

  test(target, 'filter.after-update', 'a filter sees updated values, not stale ones', async () => {
    const own = freshApp(store());
    const doc = await own.create('t', { data: { status: 'open', tags: ['a'] } });
    await own.update('t', doc.id, { set: { status: 'done' }, push: { tags: ['b'] } });
    expect((await own.find('t', { filter: f({ status: 'open' }), limit: 10 })).items).toEqual([]);
    expect((await own.find('t', { filter: f({ status: 'done', tags: 'b' }), limit: 10 })).items).toHaveLength(1);
    await own.update('t', doc.id, { unset: ['status'] });
    expect((await own.find('t', { filter: f({ status: { $exists: false } }), limit: 10 })).items).toHaveLength(1);
  });

  test(
    target,
    'filter.unicode-normalisation',
    'strings match byte for byte: é (one code point) ≠ e + U+0301',
    async () => {
      const own = freshApp(store());
      const composed = await own.create('t', { data: { s: '\u00e9' } });
      const decomposed = await own.create('t', { data: { s: 'e\u0301' } });
      expect((await own.find('t', { filter: f({ s: '\u00e9' }), limit: 10 })).items.map((d) => d.id)).toEqual([
        composed.id,
      ]);
      expect((await own.find('t', { filter: f({ s: 'e\u0301' }), limit: 10 })).items.map((d) => d.id)).toEqual([
        decomposed.id,
      ]);
    },
  );

  test(target, 'filter.large-in', '$in with 1,000 values', async () => {
    const own = freshApp(store());
    const docs = await Promise.all(Array.from({ length: 30 }, (_, i) => own.create('t', { data: { k: i } })));
    const values = Array.from({ length: 1000 }, (_, i) => i * 3);
    const page = await own.find('t', { filter: f({ k: { $in: values } }), limit: 100 });
    expect(sortedIds(page.items)).toEqual(sortedIds(docs.filter((d) => (d.k as number) % 3 === 0)));
  });

  test(target, 'filter.injection-strings', 'values that look like SQL or operators are plain strings', async () => {
    const own = freshApp(store());
    const nasty = ["' OR 1=1 --", '"; DROP TABLE t; --', '$where', '{"$gt": ""}', '%', '_', '\\', 'a%b'];
    const docs = await Promise.all(nasty.map((s) => own.create('t', { data: { s } })));
    for (const [i, s] of nasty.entries()) {
      const page = await own.find('t', { filter: f({ s }), limit: 100 });
      expect(
        page.items.map((d) => d.id),
        s,
      ).toEqual([docs[i]!.id]);
    }
    expect(await own.count('t')).toBe(nasty.length);
  });

  // --- $text --------------------------------------------------------------------------------
  const TEXT_DOCS: Array<{ id: string } & DocumentData> = [
    { id: 't1', title: 'The quick brown fox', body: 'jumps over the lazy dog' },
    { id: 't2', title: 'Quick start', body: 'a guide for foxes', tags: ['tutorial', 'FOX'] },
    { id: 't3', title: 'Café au lait', body: 'naïve recipes; CAFÉ crème' },
    { id: 't4', title: '東京 guide', body: 'trains' },
    { id: 't5', title: 'nothing here', body: 12 },
    { id: 't6', title: 'brown-bread, quick!', other: 'fox' },
    { id: 't7', title: 'ΟΔΟΣ', body: 'a\uE000b \u1C90\u1C91' },
  ];
  let textApp: AppStore;
  beforeAll(async () => {
    textApp = freshApp(store(), 'text');
    await textApp.ensureIndex('posts', { kind: 'text', name: 'search', fields: ['title', 'body', 'tags'] });
    for (const { id, ...data } of TEXT_DOCS) await textApp.create('posts', { id, data });
  });
  const textCases: Array<[string, string, string[]]> = [
    ['one-word', 'fox', ['t1', 't2']],
    ['case-insensitive', 'QUICK', ['t1', 't2', 't6']],
    ['all-words', 'quick fox', ['t1', 't2']],
    ['all-words-across-fields', 'fox lazy', ['t1']],
    ['whole-words', 'foxe', []],
    ['no-stemming', 'foxes', ['t2']],
    ['punctuation', 'brown bread', ['t6']],
    ['accents', 'café', ['t3']],
    ['accents-case', 'CAFÉ crème', ['t3']],
    ['unicode-word', '東京', ['t4']],
    ['array-elements', 'tutorial', ['t2']],
    ['unsearched-field', 'fox guide', ['t2']],
    ['stop-words-kept', 'the', ['t1']],
    ['no-match', 'zebra', []],
    ['greek-final-sigma', 'οδος', ['t7']],
    ['greek-medial-sigma', 'οδοσ', ['t7']],
    ['private-use-separates-words', 'a', ['t2', 't7']],
    ['georgian-mtavruli-folds', '\u10D0\u10D1', ['t7']],
  ];
  for (const [id, search, expected] of textCases) {
    test(target, `filter.text-${id}`, `$text ${JSON.stringify(search)}`, async () => {
      const filter = f({ $text: { $search: search } });
      const docs = await textApp.find('posts', { filter, limit: 100 });
      expect(sortedIds(docs.items)).toEqual(expected);
      const reference = TEXT_DOCS.filter((d) => matches(filter, d, { textFields: ['title', 'body', 'tags'] })).map(
        (d) => d.id,
      );
      expect(reference).toEqual(expected);
      expect(await textApp.count('posts', { filter })).toBe(expected.length);
    });
  }
  test(
    target,
    'filter.text-without-index',
    '$text on a collection without a text index is invalid_request',
    async () => {
      const app = freshApp(store(), 'notext');
      await app.create('posts', { data: { title: 'quick fox' } });
      await expect(app.find('posts', { filter: f({ $text: { $search: 'quick' } }), limit: 10 })).rejects.toMatchObject({
        code: 'invalid_request',
      });
      await expect(app.count('posts', { filter: f({ $text: { $search: 'quick' } }) })).rejects.toMatchObject({
        code: 'invalid_request',
      });
    },
  );
  test(target, 'filter.text-and-filter', '$text combined with other conditions, sorted and paged', async () => {
    const filter = f({ $text: { $search: 'quick' }, id: { $ne: 't2' } });
    const first = await textApp.find('posts', { filter, sort: [{ path: 'title', dir: 1 }], limit: 1 });
    expect(first.items.map((d) => d.id)).toEqual(['t1']);
    const second = await textApp.find('posts', {
      filter,
      sort: [{ path: 'title', dir: 1 }],
      limit: 1,
      after: first.next!,
    });
    expect(second.items.map((d) => d.id)).toEqual(['t6']);
    expect(second.next).toBeNull();
  });
  test(target, 'filter.text-sees-writes', '$text sees created, updated and deleted documents', async () => {
    const own = freshApp(store());
    await own.ensureIndex('posts', { kind: 'text', name: 'search', fields: ['title'] });
    const doc = await own.create('posts', { data: { title: 'alpha beta' } });
    const search = (s: string) =>
      own.find('posts', { filter: f({ $text: { $search: s } }), limit: 10 }).then((p) => p.items.length);
    expect(await search('alpha')).toBe(1);
    await own.update('posts', doc.id, { set: { title: 'gamma' } });
    expect(await search('alpha')).toBe(0);
    expect(await search('gamma')).toBe(1);
    await own.delete('posts', doc.id);
    expect(await search('gamma')).toBe(0);
  });

  test(target, 'filter.unknown-collection', 'find/count on a collection that was never written are empty', async () => {
    const own = freshApp(store());
    expect(await own.find('neverWritten', { filter: f({ a: 1 }), limit: 10 })).toEqual({ items: [], next: null });
    expect(await own.count('neverWritten')).toBe(0);
    expect(await own.count('neverWritten', { mode: 'estimated' })).toBe(0);
  });

  test(target, 'filter.bad-cursor-shape', 'a non-cursor string as after is invalid_request', async () => {
    await expectError(app.find('things', { limit: 5, after: 'not a cursor!' }), 'invalid_request');
  });
});
