import { describe, expect, it } from 'vitest';
import { HearthError } from '../../errors.js';
import { parseFilter } from './parse.js';
import { collectPaths, parseFields, parseSort } from './paths.js';

/** Runs fn and returns the HearthError it throws (failing the test when it does not). */
function errorOf(fn: () => unknown): HearthError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HearthError);
    return e as HearthError;
  }
  throw new Error('expected an error');
}

describe('collectPaths', () => {
  it('lists every referenced path once, in order', () => {
    const filter = parseFilter({
      a: 1,
      $or: [{ 'b.c': { $gt: 1 } }, { a: { $ne: 2 } }, { $nor: [{ d: { $exists: true } }] }],
      items: { $elemMatch: { qty: 1 } },
      $text: { $search: 'x' },
    });
    expect(collectPaths(filter)).toEqual(['a', 'b.c', 'd', 'items']);
  });

  it('is empty for match-all and text-only filters', () => {
    expect(collectPaths(parseFilter({}))).toEqual([]);
    expect(collectPaths(parseFilter({ $text: { $search: 'x' } }))).toEqual([]);
  });
});

describe('parseSort', () => {
  it.each([
    ['name', [{ path: 'name', dir: 1 }]],
    ['-createdAt', [{ path: 'createdAt', dir: -1 }]],
    ['+name', [{ path: 'name', dir: 1 }]],
    [
      '-createdAt,name, obj.x ',
      [
        { path: 'createdAt', dir: -1 },
        { path: 'name', dir: 1 },
        { path: 'obj.x', dir: 1 },
      ],
    ],
  ])('%j', (input, expected) => {
    expect(parseSort(input)).toEqual(expected);
  });

  it.each([
    ['', { parameter: 'sort' }],
    ['  ', { parameter: 'sort' }],
    ['a,,b', { parameter: 'sort', path: '' }],
    ['-', { parameter: 'sort', path: '' }],
    ['--a', { parameter: 'sort', path: '-a' }],
    ['a,-a', { parameter: 'sort', path: 'a' }],
    ['a.__proto__', { parameter: 'sort', path: 'a.__proto__' }],
    ['$natural', { parameter: 'sort', path: '$natural' }],
    ['a,b,c,d,e,f,g,h,i', { parameter: 'sort', max: 8 }],
  ])('rejects %j', (input, details) => {
    const error = errorOf(() => parseSort(input));
    expect(error.code).toBe('invalid_request');
    expect(error.details).toEqual(details);
  });

  it('rejects a non-string', () => {
    expect(errorOf(() => parseSort(['a'] as unknown as string)).details).toEqual({ parameter: 'sort' });
  });
});

describe('parseFields', () => {
  it.each([
    ['title', ['title']],
    ['title, body,obj.x', ['title', 'body', 'obj.x']],
    ['a,a', ['a']],
    ['a.b,a', ['a']],
    ['a,a.b,ab.c', ['a', 'ab.c']],
  ])('%j', (input, expected) => {
    expect(parseFields(input)).toEqual(expected);
  });

  it.each([
    ['', { parameter: 'fields' }],
    ['a,', { parameter: 'fields', path: '' }],
    ['a,constructor', { parameter: 'fields', path: 'constructor' }],
    ['a b', { parameter: 'fields', path: 'a b' }],
    [Array.from({ length: 101 }, (_, i) => `f${i}`).join(','), { parameter: 'fields', max: 100 }],
  ])('rejects %j', (input, details) => {
    const error = errorOf(() => parseFields(input));
    expect(error.code).toBe('invalid_request');
    expect(error.details).toEqual(details);
  });
});
