import { describe, expect, it } from 'vitest';
import { matches, textTokens } from './evaluate.js';
import { parseFilter } from './parse.js';
import type { FilterNode } from './types.js';

type Doc = Record<string, unknown>;

/**
 * Each row: a filter (user JSON, parsed first), then documents it must match and documents it must
 * not match. `{}` stands for a document where the field is missing.
 */
const cases: Array<[string, Doc, Doc[], Doc[]]> = [
  // --- equality ---
  [
    'implicit eq scalar',
    { a: 5 },
    [{ a: 5 }, { a: 5.0 }, { a: [1, 5] }],
    [{ a: 6 }, { a: '5' }, {}, { a: null }, { a: [[5]] }],
  ],
  [
    'eq string is case-sensitive',
    { s: 'Apple' },
    [{ s: 'Apple' }, { s: ['x', 'Apple'] }],
    [{ s: 'apple' }, { s: 'APPLE' }],
  ],
  ['eq boolean', { b: true }, [{ b: true }, { b: [false, true] }], [{ b: 1 }, { b: 'true' }, { b: false }]],
  [
    'eq whole array',
    { a: [1, 2] },
    [{ a: [1, 2] }, { a: [[1, 2], 3] }],
    [{ a: [2, 1] }, { a: [1, 2, 3] }, { a: 1 }, { a: [1] }],
  ],
  ['eq empty array', { a: [] }, [{ a: [] }, { a: [[], 1] }], [{ a: [1] }, {}, { a: null }]],
  [
    'eq object (key order-insensitive)',
    { o: { x: 1, y: 2 } },
    [{ o: { y: 2, x: 1 } }, { o: [{ x: 1, y: 2 }] }],
    [{ o: { x: 1 } }, { o: { x: 1, y: 2, z: 3 } }],
  ],
  [
    'eq null matches null and missing',
    { a: null },
    [{ a: null }, {}, { a: [1, null] }, { b: 1 }],
    [{ a: 0 }, { a: '' }, { a: [] }, { a: [1] }, { a: false }],
  ],
  ['$eq explicit', { a: { $eq: 'x' } }, [{ a: 'x' }, { a: ['x'] }], [{ a: 'X' }, {}]],
  [
    'eq unicode',
    { s: 'ümlaut 日本 😀' },
    [{ s: 'ümlaut 日本 😀' }],
    [{ s: 'Ümlaut 日本 😀' }, { s: 'umlaut 日本 😀' }],
  ],

  // --- $ne ---
  ['$ne scalar', { a: { $ne: 5 } }, [{ a: 6 }, {}, { a: null }, { a: '5' }, { a: [6, 7] }], [{ a: 5 }, { a: [5, 6] }]],
  [
    '$ne null excludes null and missing',
    { a: { $ne: null } },
    [{ a: 0 }, { a: [] }, { a: [1] }],
    [{ a: null }, {}, { a: [1, null] }],
  ],
  ['$ne whole array', { a: { $ne: [1, 2] } }, [{ a: [2, 1] }, {}, { a: 1 }], [{ a: [1, 2] }, { a: [[1, 2]] }]],

  // --- ranges: type bracketing and arrays ---
  [
    '$gt number',
    { a: { $gt: 1 } },
    [{ a: 2 }, { a: 1.5 }, { a: [0, 5] }],
    [{ a: 1 }, { a: 0 }, { a: '2' }, {}, { a: null }, { a: true }, { a: [0, 1] }, { a: [[5]] }],
  ],
  ['$gte number', { a: { $gte: 1 } }, [{ a: 1 }, { a: [1] }], [{ a: 0.999 }, { a: '1' }]],
  [
    '$lt number',
    { a: { $lt: 0 } },
    [{ a: -1 }, { a: [3, -0.5] }],
    [{ a: 0 }, { a: null }, {}, { a: '-1' }, { a: false }],
  ],
  ['$lte number', { a: { $lte: 0 } }, [{ a: 0 }, { a: -0 }], [{ a: 0.1 }]],
  [
    '$gt string',
    { s: { $gt: 'b' } },
    [{ s: 'c' }, { s: 'ba' }, { s: ['a', 'z'] }, { s: 'é' }],
    [{ s: 'b' }, { s: 'B' }, { s: 'a' }, { s: 5 }, {}],
  ],
  [
    '$lt string compares code points',
    { s: { $lt: 'a' } },
    [{ s: 'Z' }, { s: '' }, { s: '9' }],
    [{ s: 'a' }, { s: 'á' }, { s: 1 }],
  ],
  ['$gt string astral vs BMP', { s: { $gt: '\uff01' } }, [{ s: '😀' }], [{ s: '\u00ff' }]],
  [
    '$gte dates as ISO strings',
    { d: { $gte: '2024-01-01T00:00:00.000Z' } },
    [{ d: '2024-06-01T00:00:00.000Z' }],
    [{ d: '2023-12-31T23:59:59.999Z' }],
  ],
  [
    'range pair on one field: each condition may hold for a different element',
    { a: { $gt: 1, $lt: 5 } },
    [{ a: 3 }, { a: [0, 3] }, { a: [0, 10] }, { a: [0, 5] }],
    [{ a: 1 }, { a: 5 }, { a: [5, 6] }, { a: [] }],
  ],
  [
    'range on a string bound ignores numbers',
    { a: { $gte: '' } },
    [{ a: '' }, { a: 'x' }, { a: [1, 'x'] }],
    [{ a: 1 }, { a: null }, {}, { a: [1, 2] }],
  ],

  // --- $in / $nin ---
  ['$in', { a: { $in: [1, 'x'] } }, [{ a: 1 }, { a: 'x' }, { a: [0, 'x'] }], [{ a: 2 }, { a: 'X' }, {}, { a: null }]],
  [
    '$in with null matches missing',
    { a: { $in: [null, 2] } },
    [{}, { a: null }, { a: 2 }, { a: [null] }],
    [{ a: 1 }, { a: [1] }],
  ],
  ['$in with an array value', { a: { $in: [[1, 2]] } }, [{ a: [1, 2] }, { a: [[1, 2]] }], [{ a: 1 }, { a: [2, 1] }]],
  ['$in empty matches nothing', { a: { $in: [] } }, [], [{ a: 1 }, {}, { a: null }]],
  ['$nin', { a: { $nin: [1, 2] } }, [{ a: 3 }, {}, { a: null }, { a: [3, 4] }], [{ a: 1 }, { a: [0, 2] }]],
  ['$nin with null', { a: { $nin: [null] } }, [{ a: 0 }, { a: [1] }], [{}, { a: null }, { a: [1, null] }]],
  ['$nin empty matches everything', { a: { $nin: [] } }, [{ a: 1 }, {}], []],

  // --- $exists ---
  ['$exists true', { a: { $exists: true } }, [{ a: null }, { a: 0 }, { a: [] }, { a: false }], [{}, { b: 1 }]],
  ['$exists false', { a: { $exists: false } }, [{}, { b: 1 }], [{ a: null }, { a: 0 }]],
  [
    '$exists on a nested path',
    { 'o.x': { $exists: true } },
    [{ o: { x: null } }],
    [{ o: {} }, { o: 5 }, { o: null }, {}, { o: [{ x: 1 }] }],
  ],

  // --- $regex ---
  [
    '$regex',
    { s: { $regex: '^ap' } },
    [{ s: 'apple' }, { s: ['x', 'apricot'] }],
    [{ s: 'Apple' }, { s: 'grape' }, { s: 5 }, {}, { s: null }, { s: [['apple']] }],
  ],
  ['$regex i', { s: { $regex: '^ap', $options: 'i' } }, [{ s: 'APPLE' }, { s: 'apple' }], [{ s: 'grape' }]],
  ['$regex unicode', { s: { $regex: 'ü' } }, [{ s: 'Müller' }], [{ s: 'Muller' }, { s: 'MÜLLER' }]],
  ['$regex unicode i', { s: { $regex: 'ü', $options: 'i' } }, [{ s: 'MÜLLER' }], [{ s: 'MULLER' }]],
  ['$regex does not match numbers', { n: { $regex: '1' } }, [{ n: '1' }], [{ n: 1 }, { n: [1, 10] }, { n: true }]],

  // --- $all ---
  [
    '$all',
    { tags: { $all: ['a', 'b'] } },
    [{ tags: ['b', 'x', 'a'] }, { tags: ['a', 'b'] }],
    [{ tags: ['a'] }, { tags: 'a' }, {}, { tags: [] }],
  ],
  ['$all single value on a scalar', { tags: { $all: ['a'] } }, [{ tags: 'a' }, { tags: ['a'] }], [{ tags: 'b' }]],
  ['$all with duplicates', { tags: { $all: ['a', 'a'] } }, [{ tags: ['a'] }], [{ tags: ['b'] }]],
  ['$all empty matches nothing', { tags: { $all: [] } }, [], [{ tags: [] }, { tags: ['a'] }, {}]],

  // --- $size ---
  [
    '$size 0',
    { tags: { $size: 0 } },
    [{ tags: [] }],
    [{}, { tags: null }, { tags: '' }, { tags: ['a'] }, { tags: {} }],
  ],
  [
    '$size 2',
    { tags: { $size: 2 } },
    [{ tags: ['a', 'b'] }, { tags: [[1, 2, 3], null] }],
    [{ tags: ['a'] }, { tags: 'ab' }, { tags: [['a', 'b']] }],
  ],

  // --- $elemMatch ---
  [
    '$elemMatch operators',
    { a: { $elemMatch: { $gt: 1, $lt: 5 } } },
    [{ a: [0, 3] }, { a: [3] }],
    [{ a: [0, 10] }, { a: 3 }, {}, { a: [] }, { a: [[3]] }],
  ],
  ['$elemMatch eq', { a: { $elemMatch: { $eq: 'x' } } }, [{ a: ['y', 'x'] }], [{ a: 'x' }, { a: ['X'] }]],
  ['$elemMatch ne', { a: { $elemMatch: { $ne: 'x' } } }, [{ a: ['x', 'y'] }], [{ a: ['x'] }, { a: [] }, { a: 'y' }]],
  ['$elemMatch regex', { a: { $elemMatch: { $regex: '^b' } } }, [{ a: ['a', 'bc'] }], [{ a: ['ab'] }, { a: 'bc' }]],
  ['$elemMatch in', { a: { $elemMatch: { $in: [1, null] } } }, [{ a: [null] }, { a: [2, 1] }], [{ a: [2] }, {}]],
  ['$elemMatch not', { a: { $elemMatch: { $not: { $gt: 2 } } } }, [{ a: [5, 1] }], [{ a: [3, 4] }, { a: [] }]],
  [
    '$elemMatch sub-filter',
    { items: { $elemMatch: { qty: { $gt: 1 }, name: 'x' } } },
    [
      { items: [{ qty: 2, name: 'x' }] },
      {
        items: [
          { qty: 0, name: 'x' },
          { qty: 5, name: 'x' },
        ],
      },
    ],
    [
      {
        items: [
          { qty: 2, name: 'y' },
          { qty: 0, name: 'x' },
        ],
      },
      { items: { qty: 2, name: 'x' } },
      { items: [1, 2] },
      {},
    ],
  ],
  [
    '$elemMatch sub-filter with nested path',
    { items: { $elemMatch: { 'p.q': 1 } } },
    [{ items: [{ p: { q: 1 } }] }],
    [{ items: [{ p: { q: 2 } }] }, { items: [{ 'p.q': 1 }] }],
  ],

  // --- $not ---
  [
    '$not $gt',
    { a: { $not: { $gt: 5 } } },
    [{ a: 5 }, {}, { a: null }, { a: 'z' }, { a: [1, 2] }],
    [{ a: 6 }, { a: [1, 10] }],
  ],
  ['$not several conditions (NOT of AND)', { a: { $not: { $gt: 1, $lt: 5 } } }, [{ a: 0 }, { a: 7 }, {}], [{ a: 3 }]],
  [
    '$not $regex',
    { s: { $not: { $regex: '^a', $options: 'i' } } },
    [{ s: 'b' }, {}, { s: 1 }],
    [{ s: 'Abc' }, { s: ['x', 'abc'] }],
  ],
  ['$not $exists', { a: { $not: { $exists: true } } }, [{}], [{ a: null }]],
  ['$not $size', { a: { $not: { $size: 1 } } }, [{ a: [] }, {}, { a: 1 }], [{ a: [1] }]],
  ['$not $in', { a: { $not: { $in: [1] } } }, [{ a: 2 }, {}], [{ a: 1 }, { a: [1, 2] }]],

  // --- nested paths (Hearth does not descend into arrays of objects; see types.ts) ---
  [
    'dotted path',
    { 'o.x': 1 },
    [{ o: { x: 1 } }, { o: { x: [1, 2] } }],
    [{ o: { x: 2 } }, { o: 1 }, {}, { o: [{ x: 1 }] }, { 'o.x': 1 }],
  ],
  ['deep dotted path', { 'a.b.c': 'v' }, [{ a: { b: { c: 'v' } } }], [{ a: { b: 'v' } }, { a: { b: { c: 'w' } } }]],
  [
    'dotted path null matches missing parents',
    { 'o.x': null },
    [{}, { o: null }, { o: {} }, { o: 5 }, { o: { x: null } }],
    [{ o: { x: 0 } }],
  ],
  ['dotted path $ne matches missing', { 'o.x': { $ne: 1 } }, [{}, { o: {} }, { o: { x: 2 } }], [{ o: { x: 1 } }]],
  [
    'prototype names are never read',
    { 'o.length': { $exists: true } },
    [{ o: { length: 0 } }],
    [{ o: 'abc' }, { o: [1, 2] }],
  ],

  // --- logic ---
  ['match all', {}, [{}, { a: 1 }], []],
  ['implicit and', { a: 1, b: 2 }, [{ a: 1, b: 2 }], [{ a: 1 }, { b: 2 }]],
  ['$and', { $and: [{ a: { $gt: 0 } }, { a: { $lt: 2 } }] }, [{ a: 1 }, { a: [5, -5] }], [{ a: 2 }]],
  ['$or', { $or: [{ a: 1 }, { b: 2 }] }, [{ a: 1 }, { b: 2 }, { a: 1, b: 2 }], [{ a: 2, b: 1 }, {}]],
  ['$nor', { $nor: [{ a: 1 }, { b: 2 }] }, [{ a: 2 }, {}], [{ a: 1 }, { b: 2 }]],
  ['$nor of match-all matches nothing', { $nor: [{}] }, [], [{}, { a: 1 }]],
  [
    'nested logic',
    { $or: [{ a: { $in: [1, 2] } }, { $and: [{ b: true }, { c: { $exists: false } }] }] },
    [{ a: 2 }, { b: true }, { a: 3, b: [true] }],
    [{ b: true, c: null }, { a: 3 }, { b: false }],
  ],
];

describe('matches', () => {
  for (const [name, json, yes, no] of cases) {
    describe(name, () => {
      const filter = parseFilter(json);
      it.each(yes.map((d) => [JSON.stringify(d), d]))('matches %s', (_s, doc) => {
        expect(matches(filter, doc)).toBe(true);
      });
      it.each(no.map((d) => [JSON.stringify(d), d]))('does not match %s', (_s, doc) => {
        expect(matches(filter, doc)).toBe(false);
      });
    });
  }

  it('evaluates typed trees the parser does not produce the same way', () => {
    const elemFilter: FilterNode = {
      op: 'field',
      path: 'a',
      conds: [{ op: 'elemMatch', filter: { op: 'all' } }],
    };
    expect(matches(elemFilter, { a: [1, { x: 1 }] })).toBe(true);
    expect(matches(elemFilter, { a: [1, 2] })).toBe(false);
  });
});

describe('$text', () => {
  const doc = {
    title: 'The Quick brown Fox',
    body: 'jumps over the lazy-dog; Ça marche! 東京 2024',
    tags: ['Météo', 'news'],
    other: 'zebra',
    n: 5,
  };
  const textFields = ['title', 'body', 'tags', 'n'];
  const search = (s: string) => matches({ op: 'text', search: s }, doc, { textFields });

  it.each([
    ['quick', true],
    ['QUICK fox', true],
    ['fox jumps', true], // terms may come from different fields
    ['lazy', true],
    ['dog', true],
    ['lazy-dog', true],
    ['ça', true],
    ['ÇA MARCHE', true],
    ['météo', true], // array of strings
    ['東京', true],
    ['2024', true],
    ['quick zebra', false], // zebra is not a searchable field
    ['qui', false], // whole words only
    ['foxes', false],
    ['meteo', false], // accents matter
    ['5', false], // non-string fields are not searched
  ])('%j → %s', (s, expected) => {
    expect(search(s)).toBe(expected);
  });

  it('matches nothing without searchable fields', () => {
    expect(matches({ op: 'text', search: 'quick' }, doc)).toBe(false);
    expect(matches({ op: 'text', search: 'quick' }, doc, { textFields: [] })).toBe(false);
  });

  it('searches nested paths', () => {
    expect(matches({ op: 'text', search: 'deep' }, { o: { t: 'a deep text' } }, { textFields: ['o.t'] })).toBe(true);
  });

  it('combines with other conditions', () => {
    const filter = parseFilter({ $text: { $search: 'fox' }, n: { $gt: 10 } });
    expect(matches(filter, doc, { textFields })).toBe(false);
    expect(matches(filter, { ...doc, n: 11 }, { textFields })).toBe(true);
  });

  it('tokenises on non-letters and digits, lower-cased', () => {
    expect(textTokens("Hello, WORLD! it's 2-fold_x Ünïcödé 東京")).toEqual([
      'hello',
      'world',
      'it',
      's',
      '2',
      'fold',
      'x',
      'ünïcödé',
      '東京',
    ]);
    expect(textTokens('  ')).toEqual([]);
    // a combining accent stays inside its word
    expect(textTokens('cafe\u0301 noir')).toEqual(['cafe\u0301', 'noir']);
  });
});
