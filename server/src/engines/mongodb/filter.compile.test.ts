import { describe, expect, it } from 'vitest';
import { matches } from '../../lib/filter/evaluate.js';
import { parseFilter } from '../../lib/filter/parse.js';
import type { FilterNode } from '../../lib/filter/types.js';
import { MATCH_NOTHING, andQueries, compileFilter, orderings, usesText } from './filter.compile.js';
import { physicalIndexName, physicalKeys } from './catalog.js';
import { portKey, storedKey, storedPath } from './paths.js';
import { afterPosition, mongoSort } from './sort.compile.js';

const f = (json: Record<string, unknown>): FilterNode => parseFilter(json);

describe('paths', () => {
  it('maps id to _id and escapes data fields that look like _id, reversibly', () => {
    expect(storedKey('id')).toBe('_id');
    expect(storedKey('_id')).toBe('__id');
    expect(storedKey('__id')).toBe('___id');
    expect(storedKey('idx')).toBe('idx');
    expect(storedKey('_idx')).toBe('_idx');
    for (const key of ['_id', '__id', '___id', 'name', '_x', 'id_']) expect(portKey(storedKey(key))).toBe(key);
    expect(portKey('_id')).toBe('id');
    expect(storedPath('id')).toBe('_id');
    expect(storedPath('_id.x')).toBe('__id.x');
    expect(storedPath('a._id')).toBe('a._id');
  });
});

describe('compileFilter', () => {
  it('compiles plain conditions to native operators, id to _id', () => {
    expect(compileFilter(f({ a: 1, id: 'x' }))).toEqual({ a: { $eq: 1 }, _id: { $eq: 'x' } });
    expect(compileFilter(f({ n: { $gt: 1, $lt: 5 } }))).toEqual({ $and: [{ n: { $gt: 1 } }, { n: { $lt: 5 } }] });
    expect(compileFilter(f({ s: { $regex: '^a', $options: 'i' } }))).toEqual({ s: { $regex: '^a', $options: 'i' } });
    expect(compileFilter(f({}))).toEqual({});
  });

  it('negations are $nor of the positive condition', () => {
    expect(compileFilter(f({ a: { $ne: 1 } }))).toEqual({ $nor: [{ a: { $eq: 1 } }] });
    expect(compileFilter(f({ a: { $nin: [null, 2] } }))).toEqual({ $nor: [{ a: { $in: [null, 2] } }] });
    expect(compileFilter(f({ a: { $not: { $gt: 2 } } }))).toEqual({ $nor: [{ a: { $gt: 2 } }] });
  });

  it('$all is an AND of equalities; an empty $all matches nothing', () => {
    expect(compileFilter(f({ t: { $all: ['x', 'y'] } }))).toEqual({ $and: [{ t: { $eq: 'x' } }, { t: { $eq: 'y' } }] });
    expect(compileFilter({ op: 'field', path: 't', conds: [{ op: 'all', values: [] }] })).toEqual(MATCH_NOTHING);
  });

  it('guards dotted paths against arrays; conditions that hold for missing also match through arrays', () => {
    const positive = compileFilter(f({ 'a.b.c': 1 }));
    expect(positive).toEqual({ $nor: [{ a: { $type: 'array' } }, { 'a.b': { $type: 'array' } }], 'a.b.c': { $eq: 1 } });
    const negative = compileFilter(f({ 'a.b': { $exists: false } }));
    expect(negative).toEqual({
      $or: [{ $nor: [{ a: { $type: 'array' } }], 'a.b': { $exists: false } }, { a: { $type: 'array' } }],
    });
  });

  it('object literals match in any key order', () => {
    expect(compileFilter(f({ o: { x: 1, y: 2 } }))).toEqual({
      o: {
        $in: [
          { x: 1, y: 2 },
          { y: 2, x: 1 },
        ],
      },
    });
    expect(orderings({ a: { b: 1, c: 2 }, d: 3 })).toHaveLength(4);
    expect(orderings([{ a: 1, b: 2 }, 'x'])).toEqual([
      [{ a: 1, b: 2 }, 'x'],
      [{ b: 2, a: 1 }, 'x'],
    ]);
    // Past the cap: the given order and the sorted order.
    const big = Object.fromEntries('hgfedcba'.split('').map((k, i) => [k, i]));
    const capped = orderings(big);
    expect(capped).toHaveLength(2);
    expect(Object.keys(capped[1] as object)).toEqual('abcdefgh'.split(''));
  });

  it('$elemMatch: scalar form as an operator object, object form as a sub-query without path mapping', () => {
    expect(compileFilter(f({ a: { $elemMatch: { $gt: 1, $lt: 3 } } }))).toEqual({
      a: { $elemMatch: { $gt: 1, $lt: 3 } },
    });
    expect(compileFilter(f({ items: { $elemMatch: { id: 'x', qty: { $gt: 1 } } } }))).toEqual({
      items: { $elemMatch: { id: { $eq: 'x' }, qty: { $gt: 1 } } },
    });
  });

  it('an $or inside $elemMatch is lifted out (some element matches A, or some element matches B)', () => {
    expect(compileFilter(f({ items: { $elemMatch: { $or: [{ qty: 10 }, { sku: 'b' }] } } }))).toEqual({
      $or: [{ items: { $elemMatch: { qty: { $eq: 10 } } } }, { items: { $elemMatch: { sku: { $eq: 'b' } } } }],
    });
  });

  it('$text without text fields is invalid_request; no words match nothing; with fields every word must appear', () => {
    expect(() => compileFilter(f({ $text: { $search: 'hello' } }))).toThrow(/text index/);
    expect(compileFilter({ op: 'text', search: '!!' }, { textFields: ['title'] })).toEqual(MATCH_NOTHING);
    expect(usesText({ op: 'or', children: [f({ a: 1 }), { op: 'text', search: 'x' }] })).toBe(true);
    expect(usesText(f({ a: 1 }))).toBe(false);
    expect(usesText(f({ a: 1, $text: { $search: 'x' } }))).toBe(true);
    const q = compileFilter(f({ $text: { $search: 'big Cat' } }), { textFields: ['title', 'body'] });
    expect(q.$and ?? [q]).toHaveLength(2);
  });

  it('andQueries merges disjoint parts and falls back to $and', () => {
    expect(andQueries([{}, { a: 1 }])).toEqual({ a: 1 });
    expect(andQueries([{ a: 1 }, { b: 2 }])).toEqual({ a: 1, b: 2 });
    expect(andQueries([{ a: 1 }, { a: 2 }])).toEqual({ $and: [{ a: 1 }, { a: 2 }] });
  });
});

/** The text regex, run by JavaScript (the same syntax PCRE and Java accept), against the reference. */
describe('$text regexes agree with the reference tokeniser', () => {
  const fields = ['t'];
  const texts = [
    'The big cat',
    'concatenate',
    'CAT!',
    'a_cat',
    'Ça va, ÉCOLE',
    'école',
    'naïve café',
    'x-ray',
    '日本 語',
    'straße',
    '',
    'cat\ndog',
  ];
  const searches = ['cat', 'CAT dog', 'école', 'ECOLE', 'ça', 'ray', 'x', '語', 'STRASSE', 'straße', 'big the'];
  for (const search of searches) {
    it(`"${search}"`, () => {
      const query = compileFilter({ op: 'text', search }, { textFields: fields });
      const holds = (text: string): boolean => evaluateRegexQuery(query, { t: text });
      for (const text of texts) {
        expect(holds(text), JSON.stringify(text)).toBe(
          matches({ op: 'text', search }, { t: text }, { textFields: fields }),
        );
      }
    });
  }
});

/** A tiny evaluator for the regex/$and/$or queries compileText makes. */
function evaluateRegexQuery(query: Record<string, unknown>, doc: Record<string, string>): boolean {
  if (Array.isArray(query.$and))
    return (query.$and as Array<Record<string, unknown>>).every((q) => evaluateRegexQuery(q, doc));
  if (Array.isArray(query.$or))
    return (query.$or as Array<Record<string, unknown>>).some((q) => evaluateRegexQuery(q, doc));
  return Object.entries(query).every(([field, cond]) => {
    const { $regex } = cond as { $regex: string };
    return new RegExp($regex, 'u').test(doc[field] ?? '');
  });
}

describe('sort and cursor conditions', () => {
  it('appends _id unless the sort has id', () => {
    expect(mongoSort([{ path: 'a', dir: -1 }])).toEqual([
      ['a', -1],
      ['_id', 1],
    ]);
    expect(mongoSort([{ path: 'id', dir: -1 }])).toEqual([['_id', -1]]);
  });

  it('a position steps across types in the value order', () => {
    // after the number 5 ascending: greater numbers, or any type ranked above numbers
    const q = afterPosition([{ path: 'v', dir: 1 }], { values: [5], id: 'k' });
    expect(q).toEqual({
      $or: [
        {
          $or: [
            { v: { $gt: 5 } },
            {
              $or: [
                { v: { $type: 'string' } },
                { v: { $type: 'object' } },
                { v: { $type: 'array' } },
                { v: { $type: 'bool' } },
              ],
            },
          ],
        },
        { v: { $eq: 5 }, _id: { $gt: 'k' } },
      ],
    });
    // after null descending: nothing sorts lower than null, so only the id tie-break remains
    expect(afterPosition([{ path: 'v', dir: -1 }], { values: [null], id: 'k' })).toEqual({
      $or: [MATCH_NOTHING, { v: null, _id: { $gt: 'k' } }],
    });
    // after true ascending: nothing is above true
    expect(afterPosition([{ path: 'v', dir: 1 }], { values: [true], id: 'k' })).toEqual({
      $or: [MATCH_NOTHING, { v: { $eq: true }, _id: { $gt: 'k' } }],
    });
  });
});

describe('physical indexes', () => {
  it('non-unique indexes end with _id (the final sort key); unique ones do not; names follow the definition', () => {
    const created = {
      kind: 'regular' as const,
      name: 'auto_created',
      fields: [{ path: 'createdAt', dir: 1 as const }],
    };
    expect(physicalKeys(created)).toEqual([
      ['createdAt', 1],
      ['_id', 1],
    ]);
    expect(physicalKeys({ ...created, unique: true })).toEqual([['createdAt', 1]]);
    expect(physicalKeys({ ...created, fields: [{ path: 'id', dir: -1 }] })).toEqual([['_id', -1]]);
    expect(physicalKeys({ ...created, fields: [{ path: '_id', dir: 1 }] })).toEqual([
      ['__id', 1],
      ['_id', 1],
    ]);
    expect(physicalIndexName(created)).toBe(physicalIndexName({ ...created, name: 'other' }));
    expect(physicalIndexName(created)).not.toBe(physicalIndexName({ ...created, unique: true }));
    expect(physicalIndexName(created)).toMatch(/^hearth_[A-Za-z0-9_-]{16}$/);
  });
});
