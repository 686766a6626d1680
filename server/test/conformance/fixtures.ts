import type { DocumentData } from '../../src/ports/document-store.js';

/**
 * The fixed documents the filter suite queries (ids d01…d12, d01 owned by u1): numbers, strings
 * of every case and script, arrays (empty, scalar-vs-array, nested), objects, null vs missing,
 * ISO dates, mixed types in `c`.
 */
export const FILTER_DOCS: ReadonlyArray<{ id: string } & DocumentData> = [
  {
    id: 'd01',
    n: 1,
    s: 'apple',
    tags: ['red', 'green'],
    a: [1, 2, 3],
    obj: { x: 1, y: 'a' },
    b: true,
    at: '2024-01-15T10:00:00.000Z',
    c: 1,
  },
  {
    id: 'd02',
    n: 2,
    s: 'Apple',
    tags: ['blue'],
    a: [4],
    obj: { x: 2, y: 'b' },
    b: false,
    at: '2024-02-01T00:00:00.000Z',
    c: '1',
  },
  {
    id: 'd03',
    n: 2.5,
    s: 'banana',
    tags: [],
    a: [],
    obj: { x: null },
    b: true,
    at: '2023-12-31T23:59:59.999Z',
    c: true,
  },
  { id: 'd04', n: -1, s: 'é', tags: 'red', a: 2, obj: {}, at: '2024-01-31T23:59:59.999Z', c: null },
  { id: 'd05', n: 0, s: '日本', tags: ['green', 'ünï'], a: [2, 2], obj: 'scalar', c: 0 },
  { id: 'd06', n: null, s: '😀', tags: null, a: null, obj: null, b: null, c: [1, 2] },
  { id: 'd07' },
  {
    id: 'd08',
    n: 100,
    s: '',
    tags: ['red', 'blue', 'green'],
    a: [[1, 2]],
    obj: { x: 3, y: 'c', z: { deep: true } },
    b: false,
    c: { k: 1 },
  },
  {
    id: 'd09',
    n: 10,
    s: 'zebra',
    items: [
      { qty: 5, sku: 'a' },
      { qty: 1, sku: 'b' },
    ],
    at: '2024-03-01T00:00:00.000Z',
    c: 'b',
  },
  { id: 'd10', n: 9, s: 'ÉCOLE', items: [{ qty: 10, sku: 'a' }], tags: ['Red'], c: false },
  { id: 'd11', n: 3, s: 'a b', nested: { a: { b: { c: 1 } } }, c: '' },
  { id: 'd12', n: '5', s: 5, tags: ['red', 'red'] },
];

export const FILTER_DOC_OWNERS: Record<string, string> = { d01: 'u1' };

export interface FilterCase {
  id: string;
  filter: Record<string, unknown>;
  /** Matching ids (the reference evaluator must agree; checked by the suite). */
  expected: string[];
}

const all = FILTER_DOCS.map((d) => d.id);
const except = (...ids: string[]) => all.filter((id) => !ids.includes(id));

export const FILTER_CASES: FilterCase[] = [
  // --- equality and types ---
  { id: 'eq-all', filter: {}, expected: all },
  { id: 'eq-int', filter: { n: 2 }, expected: ['d02'] },
  { id: 'eq-float', filter: { n: 2.5 }, expected: ['d03'] },
  { id: 'eq-explicit', filter: { n: { $eq: 1 } }, expected: ['d01'] },
  { id: 'eq-negative', filter: { n: -1 }, expected: ['d04'] },
  { id: 'eq-zero-not-false', filter: { c: 0 }, expected: ['d05'] },
  { id: 'eq-false-not-zero', filter: { c: false }, expected: ['d10'] },
  { id: 'eq-true-not-one', filter: { c: true }, expected: ['d03'] },
  { id: 'eq-one-not-string', filter: { c: 1 }, expected: ['d01', 'd06'] },
  { id: 'eq-string-not-number', filter: { c: '1' }, expected: ['d02'] },
  { id: 'eq-empty-string', filter: { c: '' }, expected: ['d11'] },
  { id: 'eq-string-case', filter: { s: 'apple' }, expected: ['d01'] },
  { id: 'eq-string-empty', filter: { s: '' }, expected: ['d08'] },
  { id: 'eq-number-in-string-field', filter: { s: 5 }, expected: ['d12'] },
  { id: 'eq-string-in-number-field', filter: { n: '5' }, expected: ['d12'] },
  { id: 'eq-bool-true', filter: { b: true }, expected: ['d01', 'd03'] },
  { id: 'eq-bool-false', filter: { b: false }, expected: ['d02', 'd08'] },
  { id: 'eq-object', filter: { c: { k: 1 } }, expected: ['d08'] },
  { id: 'eq-object-exact', filter: { obj: { x: 1, y: 'a' } }, expected: ['d01'] },
  { id: 'eq-object-partial-no', filter: { obj: { x: 1 } }, expected: [] },
  { id: 'eq-object-empty', filter: { obj: {} }, expected: ['d04'] },
  { id: 'eq-unknown-field', filter: { nope: 1 }, expected: [] },
  // --- null vs missing ---
  { id: 'null-eq', filter: { n: null }, expected: ['d06', 'd07'] },
  { id: 'null-eq-explicit', filter: { n: { $eq: null } }, expected: ['d06', 'd07'] },
  { id: 'null-ne', filter: { n: { $ne: null } }, expected: except('d06', 'd07') },
  { id: 'null-exists-true', filter: { n: { $exists: true } }, expected: except('d07') },
  { id: 'null-exists-false', filter: { n: { $exists: false } }, expected: ['d07'] },
  { id: 'null-in', filter: { n: { $in: [null, 1] } }, expected: ['d01', 'd06', 'd07'] },
  { id: 'null-nin', filter: { n: { $nin: [null] } }, expected: except('d06', 'd07') },
  { id: 'null-ne-true-includes-missing', filter: { b: { $ne: true } }, expected: except('d01', 'd03') },
  { id: 'null-missing-field-everywhere', filter: { nope: null }, expected: all },
  { id: 'null-object', filter: { obj: null }, expected: ['d06', 'd07', 'd09', 'd10', 'd11', 'd12'] },
  { id: 'null-dotted', filter: { 'obj.x': null }, expected: except('d01', 'd02', 'd08') },
  {
    id: 'null-dotted-exists-false',
    filter: { 'obj.x': { $exists: false } },
    expected: except('d01', 'd02', 'd03', 'd08'),
  },
  { id: 'null-dotted-exists-true', filter: { 'obj.x': { $exists: true } }, expected: ['d01', 'd02', 'd03', 'd08'] },
  { id: 'null-array-field', filter: { tags: null }, expected: ['d06', 'd07', 'd09', 'd11'] },
  { id: 'null-exists-null-value', filter: { b: { $exists: true } }, expected: ['d01', 'd02', 'd03', 'd06', 'd08'] },
  // --- $ne ---
  { id: 'ne-number', filter: { n: { $ne: 2 } }, expected: except('d02') },
  { id: 'ne-array-element', filter: { tags: { $ne: 'red' } }, expected: except('d01', 'd04', 'd08', 'd12') },
  { id: 'ne-string', filter: { s: { $ne: 'apple' } }, expected: except('d01') },
  // --- ranges ---
  { id: 'range-gt', filter: { n: { $gt: 2 } }, expected: ['d03', 'd08', 'd09', 'd10', 'd11'] },
  { id: 'range-gte', filter: { n: { $gte: 2 } }, expected: ['d02', 'd03', 'd08', 'd09', 'd10', 'd11'] },
  { id: 'range-lt', filter: { n: { $lt: 0 } }, expected: ['d04'] },
  { id: 'range-lte', filter: { n: { $lte: 0 } }, expected: ['d04', 'd05'] },
  { id: 'range-between', filter: { n: { $gt: 1, $lt: 10 } }, expected: ['d02', 'd03', 'd10', 'd11'] },
  { id: 'range-float-bound', filter: { n: { $gte: 2.5, $lte: 9 } }, expected: ['d03', 'd10', 'd11'] },
  { id: 'range-string-gt', filter: { s: { $gt: 'b' } }, expected: ['d03', 'd04', 'd05', 'd06', 'd09', 'd10'] },
  { id: 'range-string-lt', filter: { s: { $lt: 'B' } }, expected: ['d02', 'd08'] },
  { id: 'range-string-codepoint', filter: { s: { $gte: 'é' } }, expected: ['d04', 'd05', 'd06'] },
  { id: 'range-number-ignores-strings', filter: { c: { $gt: 0 } }, expected: ['d01', 'd06'] },
  { id: 'range-string-ignores-numbers', filter: { c: { $gte: '' } }, expected: ['d02', 'd09', 'd11'] },
  {
    id: 'range-date-month',
    filter: { at: { $gte: '2024-01-01T00:00:00.000Z', $lt: '2024-02-01T00:00:00.000Z' } },
    expected: ['d01', 'd04'],
  },
  { id: 'range-date-before', filter: { at: { $lt: '2024-01-01' } }, expected: ['d03'] },
  { id: 'range-date-after', filter: { at: { $gt: '2024-02-01T00:00:00.000Z' } }, expected: ['d09'] },
  { id: 'range-array-any', filter: { a: { $gt: 3 } }, expected: ['d02'] },
  { id: 'range-array-split', filter: { a: { $gt: 1, $lt: 3 } }, expected: ['d01', 'd04', 'd05'] },
  { id: 'range-dotted', filter: { 'obj.x': { $gte: 2 } }, expected: ['d02', 'd08'] },
  // --- $in / $nin ---
  { id: 'in-mixed', filter: { n: { $in: [1, 2, '5'] } }, expected: ['d01', 'd02', 'd12'] },
  { id: 'in-array-field', filter: { tags: { $in: ['blue', 'Red'] } }, expected: ['d02', 'd08', 'd10'] },
  { id: 'in-empty', filter: { tags: { $in: [] } }, expected: [] },
  { id: 'in-unicode', filter: { s: { $in: ['é', '😀', '日本'] } }, expected: ['d04', 'd05', 'd06'] },
  {
    id: 'nin-array-field',
    filter: { tags: { $nin: ['red'] } },
    expected: ['d02', 'd03', 'd05', 'd06', 'd07', 'd09', 'd10', 'd11'],
  },
  { id: 'nin-empty', filter: { n: { $nin: [] } }, expected: all },
  { id: 'nin-several', filter: { n: { $nin: [1, 2, 100] } }, expected: except('d01', 'd02', 'd08') },
  // --- arrays ---
  { id: 'array-contains', filter: { tags: 'red' }, expected: ['d01', 'd04', 'd08', 'd12'] },
  { id: 'array-exact', filter: { tags: ['red', 'green'] }, expected: ['d01'] },
  { id: 'array-exact-order', filter: { tags: ['green', 'red'] }, expected: [] },
  { id: 'array-empty', filter: { tags: [] }, expected: ['d03'] },
  { id: 'array-nested-element', filter: { a: [1, 2] }, expected: ['d08'] },
  { id: 'array-in-nested', filter: { a: { $in: [[1, 2]] } }, expected: ['d08'] },
  { id: 'array-all', filter: { tags: { $all: ['red', 'green'] } }, expected: ['d01', 'd08'] },
  { id: 'array-all-one', filter: { tags: { $all: ['blue'] } }, expected: ['d02', 'd08'] },
  { id: 'array-all-scalar', filter: { tags: { $all: ['red'] } }, expected: ['d01', 'd04', 'd08', 'd12'] },
  { id: 'array-all-empty', filter: { tags: { $all: [] } }, expected: [] },
  { id: 'array-size-0', filter: { tags: { $size: 0 } }, expected: ['d03'] },
  { id: 'array-size-1', filter: { a: { $size: 1 } }, expected: ['d02', 'd08'] },
  { id: 'array-size-2', filter: { tags: { $size: 2 } }, expected: ['d01', 'd05', 'd12'] },
  { id: 'array-size-scalar', filter: { n: { $size: 1 } }, expected: [] },
  { id: 'array-elemmatch-range', filter: { a: { $elemMatch: { $gt: 1, $lt: 3 } } }, expected: ['d01', 'd05'] },
  { id: 'array-elemmatch-one', filter: { a: { $elemMatch: { $gt: 3 } } }, expected: ['d02'] },
  {
    id: 'array-elemmatch-filter',
    filter: { items: { $elemMatch: { qty: { $gt: 4 }, sku: 'a' } } },
    expected: ['d09', 'd10'],
  },
  { id: 'array-elemmatch-same-element', filter: { items: { $elemMatch: { qty: 1, sku: 'a' } } }, expected: [] },
  { id: 'array-elemmatch-eq', filter: { items: { $elemMatch: { sku: 'b' } } }, expected: ['d09'] },
  {
    id: 'array-elemmatch-or',
    filter: { items: { $elemMatch: { $or: [{ qty: 10 }, { sku: 'b' }] } } },
    expected: ['d09', 'd10'],
  },
  { id: 'array-elemmatch-regex', filter: { tags: { $elemMatch: { $regex: '^gr' } } }, expected: ['d01', 'd05', 'd08'] },
  // --- regex ---
  { id: 'regex-prefix', filter: { s: { $regex: '^a' } }, expected: ['d01', 'd11'] },
  { id: 'regex-prefix-i', filter: { s: { $regex: '^a', $options: 'i' } }, expected: ['d01', 'd02', 'd11'] },
  { id: 'regex-infix', filter: { s: { $regex: 'an' } }, expected: ['d03'] },
  { id: 'regex-suffix', filter: { s: { $regex: 'e$' } }, expected: ['d01', 'd02'] },
  { id: 'regex-empty-string', filter: { s: { $regex: '^$' } }, expected: ['d08'] },
  { id: 'regex-unicode', filter: { s: { $regex: 'É' } }, expected: ['d10'] },
  { id: 'regex-cjk', filter: { s: { $regex: '日' } }, expected: ['d05'] },
  { id: 'regex-i-ascii', filter: { s: { $regex: 'P', $options: 'i' } }, expected: ['d01', 'd02'] },
  { id: 'regex-class', filter: { s: { $regex: '^[a-z]+$' } }, expected: ['d01', 'd03', 'd09'] },
  {
    id: 'regex-array',
    filter: { tags: { $regex: '^re', $options: 'i' } },
    expected: ['d01', 'd04', 'd08', 'd10', 'd12'],
  },
  { id: 'regex-not-numbers', filter: { c: { $regex: '1' } }, expected: ['d02'] },
  { id: 'regex-string-in-number-field', filter: { n: { $regex: '5' } }, expected: ['d12'] },
  { id: 'regex-dotted', filter: { 'obj.y': { $regex: '[ab]' } }, expected: ['d01', 'd02'] },
  { id: 'regex-literal-dot', filter: { s: { $regex: 'a\\.b|a b' } }, expected: ['d11'] },
  // --- $not ---
  { id: 'not-range', filter: { n: { $not: { $gt: 2 } } }, expected: ['d01', 'd02', 'd04', 'd05', 'd06', 'd07', 'd12'] },
  { id: 'not-regex', filter: { s: { $not: { $regex: '^a' } } }, expected: except('d01', 'd11') },
  { id: 'not-size', filter: { tags: { $not: { $size: 0 } } }, expected: except('d03') },
  { id: 'not-two', filter: { n: { $not: { $gte: 1, $lte: 3 } } }, expected: except('d01', 'd02', 'd03', 'd11') },
  // --- logical ---
  { id: 'or', filter: { $or: [{ n: 1 }, { s: 'banana' }] }, expected: ['d01', 'd03'] },
  { id: 'and', filter: { $and: [{ b: true }, { n: { $gt: 1 } }] }, expected: ['d03'] },
  {
    id: 'nor',
    filter: { $nor: [{ b: true }, { b: false }] },
    expected: ['d04', 'd05', 'd06', 'd07', 'd09', 'd10', 'd11', 'd12'],
  },
  { id: 'implicit-and', filter: { b: true, n: 1 }, expected: ['d01'] },
  { id: 'or-with-and', filter: { $or: [{ 'obj.x': 1 }, { 'obj.y': 'b' }], n: { $gte: 1 } }, expected: ['d01', 'd02'] },
  {
    id: 'nested-logic',
    filter: { $and: [{ $or: [{ n: 1 }, { n: 2 }] }, { $nor: [{ s: 'Apple' }] }] },
    expected: ['d01'],
  },
  { id: 'or-empty-branch', filter: { $or: [{}, { n: 1 }] }, expected: all },
  { id: 'nor-all', filter: { $nor: [{}] }, expected: [] },
  // --- nested paths ---
  { id: 'path-dotted', filter: { 'obj.y': 'a' }, expected: ['d01'] },
  { id: 'path-deep', filter: { 'nested.a.b.c': 1 }, expected: ['d11'] },
  { id: 'path-deep-object', filter: { 'nested.a.b': { c: 1 } }, expected: ['d11'] },
  { id: 'path-three', filter: { 'obj.z.deep': true }, expected: ['d08'] },
  { id: 'path-through-scalar', filter: { 'obj.length': { $exists: true } }, expected: [] },
  // --- system fields ---
  { id: 'system-id', filter: { id: 'd03' }, expected: ['d03'] },
  { id: 'system-id-in', filter: { id: { $in: ['d01', 'd05', 'nope'] } }, expected: ['d01', 'd05'] },
  { id: 'system-id-range', filter: { id: { $gt: 'd10' } }, expected: ['d11', 'd12'] },
  { id: 'system-version', filter: { version: 1 }, expected: all },
  { id: 'system-owner', filter: { owner: 'u1' }, expected: ['d01'] },
  { id: 'system-owner-null', filter: { owner: null }, expected: except('d01') },
  { id: 'system-created', filter: { createdAt: { $gt: '2000-01-01T00:00:00.000Z' } }, expected: all },
  { id: 'system-created-none', filter: { createdAt: { $lt: '2000-01-01T00:00:00.000Z' } }, expected: [] },
];

/** 23 documents with ties, nulls, missing values and mixed types in `v`. */
export const PAGING_DOCS: Array<{ id: string } & DocumentData> = Array.from({ length: 23 }, (_, i) => {
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
