import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareStrings, compareValues, deepEqual, getPath } from './compare.js';

describe('compareValues', () => {
  // Each entry is strictly less than the next one.
  const ascending: unknown[] = [
    null,
    -10,
    -1.5,
    0,
    2,
    100,
    '',
    'A',
    'B',
    'a',
    'ab',
    'b',
    'é',
    '\uff01', // U+FF01: below every astral character in code-point (UTF-8) order
    '😀', // U+1F600, a surrogate pair in UTF-16
    {},
    { a: 1 },
    { a: 1, b: 0 },
    { a: 2 },
    { b: 0 },
    [],
    [1],
    [1, 2],
    [2],
    ['a'],
    false,
    true,
  ];

  it.each(ascending.slice(0, -1).map((a, i) => [a, ascending[i + 1]]))('%j < %j', (a, b) => {
    expect(compareValues(a, b)).toBe(-1);
    expect(compareValues(b, a)).toBe(1);
  });

  it('treats missing and null as equal (MongoDB sorts missing as null)', () => {
    expect(compareValues(undefined, null)).toBe(0);
    expect(compareValues(undefined, 0)).toBe(-1);
    expect(compareValues(null, undefined)).toBe(0);
  });

  it('compares numbers numerically, not as text', () => {
    expect(compareValues(9, 10)).toBe(-1);
    expect(compareValues(1, 1.0)).toBe(0);
    expect(compareValues(0, -0)).toBe(0);
  });

  it('ignores object key order', () => {
    expect(compareValues({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(0);
  });

  it('orders strings by code point, unlike JS < on UTF-16 units', () => {
    expect('\uff01' < '😀').toBe(false); // what JS does
    expect(compareStrings('\uff01', '😀')).toBe(-1);
    expect(compareStrings('😀', '😁')).toBe(-1);
    expect(compareStrings('a😀', 'a\uffff')).toBe(1);
    expect(compareStrings('abc', 'abc')).toBe(0);
    expect(compareStrings('ab', 'abc')).toBe(-1);
  });

  it('matches UTF-8 byte order for any strings', () => {
    const codePoint = fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0xd7ff }),
      fc.integer({ min: 0xe000, max: 0xffff }),
      fc.integer({ min: 0x10000, max: 0x10ffff }),
    );
    const text = fc.array(codePoint, { maxLength: 6 }).map((cps) => String.fromCodePoint(...cps));
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(compareStrings(a, b)).toBe(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
      }),
      { numRuns: 1000 },
    );
  });

  it('is a total order consistent with deepEqual', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (a, b, c) => {
        expect(compareValues(a, a)).toBe(0);
        expect(compareValues(a, b)).toBe(-compareValues(b, a) || 0);
        expect(compareValues(a, b) === 0).toBe(deepEqual(a, b));
        if (compareValues(a, b) <= 0 && compareValues(b, c) <= 0) expect(compareValues(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('deepEqual', () => {
  it.each([
    [1, 1, true],
    [1, '1', false],
    [null, null, true],
    [null, undefined, false],
    [[1, 2], [1, 2], true],
    [[1, 2], [2, 1], false],
    [[1], [1, 1], false],
    [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: undefined }, { b: undefined }, false],
    [{}, [], false],
    [[], {}, false],
    [true, 1, false],
  ])('deepEqual(%j, %j) = %s', (a, b, expected) => {
    expect(deepEqual(a, b)).toBe(expected);
    expect(deepEqual(b, a)).toBe(expected);
  });
});

describe('getPath', () => {
  const doc = { a: 1, n: null, obj: { x: { y: 'deep' }, arr: [{ z: 1 }] }, list: [{ b: 1 }], s: 'str' };

  it.each([
    ['a', 1],
    ['n', null],
    ['obj.x.y', 'deep'],
    ['obj.x', { y: 'deep' }],
    ['missing', undefined],
    ['obj.missing.y', undefined],
    ['a.b', undefined], // through a scalar
    ['n.b', undefined], // through null
    ['s.length', undefined], // no properties of strings
    ['list.b', undefined], // does not descend into arrays
    ['obj.arr.z', undefined],
    ['list', [{ b: 1 }]],
    ['constructor', undefined], // own properties only
    ['obj.toString', undefined],
    ['__proto__', undefined],
  ])('%s → %j', (path, expected) => {
    expect(getPath(doc, path)).toEqual(expected);
  });
});
