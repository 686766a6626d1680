import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterToJson, makeFilterArbitraries, type FilterArbitraries } from '../support/filter-arbitraries.js';
import type { FilterNode, SortSpec } from '../../src/lib/filter/types.js';
import type { AppStore, DocumentData, DocumentStore } from '../../src/ports/document-store.js';
import { targets, type OpenedStore, type TargetName } from './engines.js';
import { ids, referenceFind } from './support.js';

/**
 * Property: for random documents, filters and sorts, each engine returns exactly the ids the
 * reference evaluator (evaluate.ts `matches`, ordered by compareValues then id) gives, in that
 * order, whether fetched in one page or page by page with cursors, and count agrees.
 *
 * sqlite and a real mongod use the full arbitraries; jongodb the `jongodbSafe` profile (the
 * cases where jongodb departs from MongoDB are left out, see filter-arbitraries.ts).
 * 1,000 cases per engine, split over a few `it`s; one store per engine, a fresh collection per case.
 *
 * A failure prints the seed and the shrunk case as user JSON; rerun one with
 * HEARTH_PROPERTY_SEED=<seed> (and HEARTH_PROPERTY_PATH=<path>).
 */
const RUNS_PER_ENGINE = 1000;
const CHUNKS = 4;

const profiles: Record<TargetName, FilterArbitraries> = {
  sqlite: makeFilterArbitraries(),
  jongodb: makeFilterArbitraries({ jongodbSafe: true }),
  mongod: makeFilterArbitraries(),
};

interface PropertyCase {
  docs: DocumentData[];
  filter: FilterNode;
  sort: SortSpec;
  limit: number;
}

const seedFromEnv = process.env.HEARTH_PROPERTY_SEED ? Number(process.env.HEARTH_PROPERTY_SEED) : undefined;
const pathFromEnv = process.env.HEARTH_PROPERTY_PATH;

for (const target of targets()) {
  describe.skipIf(target.skip)(`property: engine = reference [${target.title}]`, () => {
    let opened: OpenedStore;
    let store: DocumentStore;
    let app: AppStore;
    let caseNo = 0;
    beforeAll(async () => {
      opened = await target.open();
      store = opened.store;
      app = store.forApp(`prop_${Math.random().toString(36).slice(2, 8)}`);
    });
    afterAll(async () => {
      await opened?.cleanup();
    });
    const arbs = profiles[target.name];
    const caseArb = fc.record({
      docs: arbs.documentsArb,
      filter: arbs.filterArb,
      sort: arbs.sortArb,
      limit: fc.integer({ min: 1, max: 12 }),
    });

    const check = async ({ docs, filter, sort, limit }: PropertyCase) => {
      const collection = `p${++caseNo}`;
      const stored = await Promise.all(docs.map((data) => app.create(collection, { data })));
      try {
        const expected = ids(referenceFind(stored, filter, sort));
        const context = () => JSON.stringify({ filter: filterToJson(filter), sort, limit });
        const one = await app.find(collection, { filter, sort, limit: 1000 });
        expect(ids(one.items), `one page ${context()}`).toEqual(expected);
        expect(one.next).toBeNull();
        const paged: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages <= docs.length + 1; pages++) {
          const page = await app.find(collection, { filter, sort, limit, ...(after !== undefined ? { after } : {}) });
          paged.push(...ids(page.items));
          if (!page.next) break;
          after = page.next;
        }
        expect(paged, `by cursor ${context()}`).toEqual(expected);
        expect(await app.count(collection, { filter }), `count ${context()}`).toBe(expected.length);
      } finally {
        await app.dropCollection(collection);
      }
    };

    for (let chunk = 0; chunk < CHUNKS; chunk++) {
      it(`${RUNS_PER_ENGINE / CHUNKS} random cases (part ${chunk + 1}/${CHUNKS}): find, find by cursor and count match the reference`, async () => {
        await fc.assert(fc.asyncProperty(caseArb, check), {
          numRuns: RUNS_PER_ENGINE / CHUNKS,
          ...(seedFromEnv !== undefined ? { seed: seedFromEnv + chunk } : {}),
          ...(pathFromEnv ? { path: pathFromEnv } : {}),
          endOnFailure: false,
        });
      }, 300_000);
    }
  });
}

/**
 * Property: `$text` (with a text index on title, body, tags) returns what the reference gives:
 * every search word appears as a whole word, case-insensitively, with no stemming and no accent
 * folding (café ≠ cafe), words split at anything that is not a letter, digit or mark.
 */
const TEXT_RUNS_PER_ENGINE = 300;
const WORDS = [
  'fox',
  'Fox',
  'FOX',
  'foxes',
  'café',
  'cafe',
  'CAFÉ',
  'naïve',
  'naive',
  'über',
  'uber',
  'Über',
  '東京',
  '日本',
  'x1',
  '42',
  'straße',
  'STRASSE',
  'the',
  'a',
] as const;
const SEPARATORS = [' ', ', ', '-', '_', "'", '.', ' / ', '…'] as const;
const textArb = fc
  .array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...SEPARATORS)), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.map(([w, s]) => w + s).join(''));
const textDocArb = fc
  .record({
    title: fc.option(textArb, { nil: undefined }),
    body: fc.option(fc.oneof(textArb, fc.constant(42)), { nil: undefined }),
    tags: fc.option(fc.array(fc.constantFrom(...WORDS), { maxLength: 3 }), { nil: undefined }),
    other: fc.option(textArb, { nil: undefined }),
  })
  .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as DocumentData);
const searchArb = fc
  .array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 2 })
  .chain((words) => fc.constantFrom(...SEPARATORS.slice(0, 3)).map((sep) => words.join(sep)));

for (const target of targets()) {
  describe.skipIf(target.skip)(`property: $text = reference [${target.title}]`, () => {
    let opened: OpenedStore;
    let app: AppStore;
    let caseNo = 0;
    beforeAll(async () => {
      opened = await target.open();
      app = opened.store.forApp(`text_${Math.random().toString(36).slice(2, 8)}`);
    });
    afterAll(async () => {
      await opened?.cleanup();
    });
    it(`${TEXT_RUNS_PER_ENGINE} random documents and searches`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(textDocArb, { maxLength: 12 }), searchArb, async (docs, search) => {
          const collection = `tx${++caseNo}`;
          await app.ensureIndex(collection, { kind: 'text', name: 'search', fields: ['title', 'body', 'tags'] });
          const stored = await Promise.all(docs.map((data) => app.create(collection, { data })));
          try {
            const filter = { op: 'text', search } as const;
            const expected = ids(referenceFind(stored, filter, [], { textFields: ['title', 'body', 'tags'] }));
            const page = await app.find(collection, { filter, limit: 100 });
            expect(ids(page.items), JSON.stringify({ search, docs })).toEqual(expected);
            expect(await app.count(collection, { filter })).toBe(expected.length);
          } finally {
            await app.dropCollection(collection);
          }
        }),
        {
          numRuns: TEXT_RUNS_PER_ENGINE,
          ...(seedFromEnv !== undefined ? { seed: seedFromEnv } : {}),
          endOnFailure: false,
        },
      );
    }, 300_000);
  });
}
