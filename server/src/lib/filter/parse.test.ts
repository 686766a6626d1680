import { describe, expect, it } from 'vitest';
import { HearthError } from '../../errors.js';
import { FILTER_LIMITS, parseFilter } from './parse.js';
import type { FilterNode } from './types.js';

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

const field = (path: string, ...conds: Extract<FilterNode, { op: 'field' }>['conds']): FilterNode => ({
  op: 'field',
  path,
  conds,
});

describe('parseFilter: valid filters', () => {
  const cases: Array<[string, unknown, FilterNode]> = [
    ['empty filter', {}, { op: 'all' }],
    ['implicit equality', { a: 1 }, field('a', { op: 'eq', value: 1 })],
    ['implicit equality with null', { a: null }, field('a', { op: 'eq', value: null })],
    ['implicit equality with an array', { tags: ['x', 'y'] }, field('tags', { op: 'eq', value: ['x', 'y'] })],
    ['implicit equality with an object', { obj: { x: 1 } }, field('obj', { op: 'eq', value: { x: 1 } })],
    ['implicit equality with an empty object', { obj: {} }, field('obj', { op: 'eq', value: {} })],
    ['dotted path', { 'address.city': 'Oslo' }, field('address.city', { op: 'eq', value: 'Oslo' })],
    ['underscore path', { _private: true }, field('_private', { op: 'eq', value: true })],
    [
      'implicit AND of keys',
      { a: 1, b: 'x' },
      { op: 'and', children: [field('a', { op: 'eq', value: 1 }), field('b', { op: 'eq', value: 'x' })] },
    ],
    ['$eq', { a: { $eq: 'x' } }, field('a', { op: 'eq', value: 'x' })],
    ['$ne', { a: { $ne: null } }, field('a', { op: 'ne', value: null })],
    ['$gt number', { a: { $gt: 1.5 } }, field('a', { op: 'gt', value: 1.5 })],
    ['$gte string', { a: { $gte: '2024-01-01' } }, field('a', { op: 'gte', value: '2024-01-01' })],
    ['$lt', { a: { $lt: -3 } }, field('a', { op: 'lt', value: -3 })],
    ['$lte', { a: { $lte: 'm' } }, field('a', { op: 'lte', value: 'm' })],
    [
      'several operators on one field',
      { a: { $gt: 1, $lt: 5 } },
      field('a', { op: 'gt', value: 1 }, { op: 'lt', value: 5 }),
    ],
    ['$in', { a: { $in: [1, 'x', null, [1]] } }, field('a', { op: 'in', values: [1, 'x', null, [1]] })],
    ['$in empty', { a: { $in: [] } }, field('a', { op: 'in', values: [] })],
    ['$nin', { a: { $nin: [2] } }, field('a', { op: 'nin', values: [2] })],
    ['$exists true', { a: { $exists: true } }, field('a', { op: 'exists', value: true })],
    ['$exists false', { a: { $exists: false } }, field('a', { op: 'exists', value: false })],
    ['$regex', { s: { $regex: '^ab' } }, field('s', { op: 'regex', pattern: '^ab', flags: '' })],
    [
      '$regex with $options i',
      { s: { $options: 'i', $regex: 'ab' } },
      field('s', { op: 'regex', pattern: 'ab', flags: 'i' }),
    ],
    [
      '$regex with empty $options',
      { s: { $regex: 'a', $options: '' } },
      field('s', { op: 'regex', pattern: 'a', flags: '' }),
    ],
    ['$all', { tags: { $all: ['a', 'b'] } }, field('tags', { op: 'all', values: ['a', 'b'] })],
    ['$size', { tags: { $size: 0 } }, field('tags', { op: 'size', value: 0 })],
    [
      '$elemMatch with operators',
      { a: { $elemMatch: { $gt: 1, $lt: 3 } } },
      field('a', {
        op: 'elemMatch',
        conds: [
          { op: 'gt', value: 1 },
          { op: 'lt', value: 3 },
        ],
      }),
    ],
    [
      '$elemMatch with a sub-filter',
      { items: { $elemMatch: { qty: { $gt: 1 }, name: 'x' } } },
      field('items', {
        op: 'elemMatch',
        filter: {
          op: 'and',
          children: [field('qty', { op: 'gt', value: 1 }), field('name', { op: 'eq', value: 'x' })],
        },
      }),
    ],
    [
      '$elemMatch with $or',
      { items: { $elemMatch: { $or: [{ q: 1 }] } } },
      field('items', { op: 'elemMatch', filter: { op: 'or', children: [field('q', { op: 'eq', value: 1 })] } }),
    ],
    ['$not', { a: { $not: { $gt: 5 } } }, field('a', { op: 'not', conds: [{ op: 'gt', value: 5 }] })],
    [
      '$not with $regex',
      { s: { $not: { $regex: 'x', $options: 'i' } } },
      field('s', { op: 'not', conds: [{ op: 'regex', pattern: 'x', flags: 'i' }] }),
    ],
    [
      '$and (single child kept explicit)',
      { $and: [{ a: 1 }] },
      { op: 'and', children: [field('a', { op: 'eq', value: 1 })] },
    ],
    [
      '$or',
      { $or: [{ a: 1 }, { b: 2 }] },
      { op: 'or', children: [field('a', { op: 'eq', value: 1 }), field('b', { op: 'eq', value: 2 })] },
    ],
    ['$nor', { $nor: [{}] }, { op: 'nor', children: [{ op: 'all' }] }],
    ['$text', { $text: { $search: 'hello world' } }, { op: 'text', search: 'hello world' }],
    [
      '$text with other keys',
      { $text: { $search: 'hi' }, a: 1 },
      { op: 'and', children: [{ op: 'text', search: 'hi' }, field('a', { op: 'eq', value: 1 })] },
    ],
    [
      'nested logic',
      { $or: [{ a: { $in: [1, 2] } }, { $and: [{ b: true }, { 'c.d': { $exists: false } }] }] },
      {
        op: 'or',
        children: [
          field('a', { op: 'in', values: [1, 2] }),
          {
            op: 'and',
            children: [field('b', { op: 'eq', value: true }), field('c.d', { op: 'exists', value: false })],
          },
        ],
      },
    ],
    ['eight path segments', { 'a.b.c.d.e.f.g.h': 1 }, field('a.b.c.d.e.f.g.h', { op: 'eq', value: 1 })],
    [
      'literal object with odd but harmless keys',
      { j: { 'Content-Type': 'x' } },
      field('j', { op: 'eq', value: { 'Content-Type': 'x' } }),
    ],
  ];

  it.each(cases)('%s', (_name, input, expected) => {
    expect(parseFilter(input)).toEqual(expected);
  });

  it.each(cases)('%s (as a JSON string)', (_name, input, expected) => {
    expect(parseFilter(JSON.stringify(input))).toEqual(expected);
  });

  it('accepts filters right at the limits', () => {
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 1; i < FILTER_LIMITS.maxDepth; i++) deep = { $and: [deep] };
    expect(() => parseFilter(deep)).not.toThrow();
    expect(() => parseFilter({ a: { $in: Array.from({ length: 1000 }, (_, i) => i) } })).not.toThrow();
    const wide = { $or: Array.from({ length: 249 }, (_, i) => ({ a: i })) }; // 1 + 249 × 2 = 499 nodes
    expect(() => parseFilter(wide)).not.toThrow();
  });
});

describe('parseFilter: invalid filters', () => {
  const cases: Array<[string, unknown, Record<string, unknown>]> = [
    ['not JSON', '{a: 1', { reason: 'invalid_json' }],
    ['a JSON array', [], { expected: 'object' }],
    ['a JSON array string', '[{"a":1}]', { expected: 'object' }],
    ['null', null, { expected: 'object' }],
    ['a number', 5, { expected: 'object' }],
    ['the string "null"', 'null', { expected: 'object' }],
    ['$where', { $where: 'sleep(1000)' }, { operator: '$where' }],
    ['$function', { a: { $function: {} } }, { operator: '$function' }],
    ['$expr', { $expr: { $eq: ['$a', '$b'] } }, { operator: '$expr' }],
    ['$jsonSchema', { $jsonSchema: {} }, { operator: '$jsonSchema' }],
    ['unknown top-level operator', { $foo: 1 }, { operator: '$foo' }],
    ['unknown field operator', { a: { $mod: [2, 0] } }, { operator: '$mod' }],
    ['$type', { a: { $type: 'string' } }, { operator: '$type' }],
    ['$where inside $or', { $or: [{ $where: '1' }] }, { operator: '$where' }],
    ['$where inside $elemMatch', { a: { $elemMatch: { $where: '1' } } }, { operator: '$where' }],
    ['$and inside a field', { a: { $and: [{ $gt: 1 }] } }, { operator: '$and' }],
    ['$text inside a field', { a: { $text: { $search: 'x' } } }, { operator: '$text' }],
    ['$text nested in $and', { $and: [{ $text: { $search: 'x' } }] }, { operator: '$text' }],
    ['$text nested in $elemMatch', { a: { $elemMatch: { $text: { $search: 'x' } } } }, { operator: '$text' }],
    ['$text without $search', { $text: {} }, { operator: '$text' }],
    ['$text with a non-string $search', { $text: { $search: 1 } }, { operator: '$text' }],
    ['$text with $language', { $text: { $search: 'x', $language: 'en' } }, { operator: '$language' }],
    ['$text not an object', { $text: 'x' }, { operator: '$text' }],
    ['$text with no words', { $text: { $search: ' !! ' } }, { operator: '$text' }],
    ['$text too long', { $text: { $search: 'a'.repeat(257) } }, { operator: '$text', max: 256 }],
    ['$text too many words', { $text: { $search: 'w '.repeat(17) } }, { operator: '$text', max: 16 }],
    ['mixing operators and fields', { a: { $gt: 1, b: 2 } }, { path: 'a' }],
    ['mixing fields and operators', { a: { b: 2, $gt: 1 } }, { path: 'a' }],
    ['operator key inside a literal', { a: { b: { $gt: 1 } } }, { operator: '$gt' }],
    ['operator key inside an $in value', { a: { $in: [{ $where: 1 }] } }, { operator: '$where' }],
    ['__proto__ key in a literal', JSON.parse('{"a": {"b": {"__proto__": {"x": 1}}}}'), { key: '__proto__' }],
    ['dotted key in a literal', { a: { 'b.c': 1 } }, { key: 'b.c' }],
    ['empty key in a literal', { a: { '': 1 } }, { key: '' }],
    ['empty path', { '': 1 }, { path: '' }],
    ['path with an empty segment', { 'a..b': 1 }, { path: 'a..b' }],
    ['path with a trailing dot', { 'a.': 1 }, { path: 'a.' }],
    ['path starting with a digit', { '1a': 1 }, { path: '1a' }],
    ['numeric array index', { 'a.0': 1 }, { path: 'a.0' }],
    ['path with a dash', { 'a-b': 1 }, { path: 'a-b' }],
    ['path with a space', { 'a b': 1 }, { path: 'a b' }],
    ['unicode path', { ä: 1 }, { path: 'ä' }],
    ['__proto__ path', JSON.parse('{"__proto__": 1}'), { path: '__proto__' }],
    ['constructor path', { constructor: 1 }, { path: 'constructor' }],
    ['prototype segment', { 'a.prototype.b': 1 }, { path: 'a.prototype.b' }],
    ['nine segments', { 'a.b.c.d.e.f.g.h.i': 1 }, { path: 'a.b.c.d.e.f.g.h.i' }],
    ['path longer than 256', { ['a'.repeat(257)]: 1 }, { path: `${'a'.repeat(64)}…` }],
    ['$in not an array', { a: { $in: 1 } }, { operator: '$in' }],
    ['$nin not an array', { a: { $nin: 'x' } }, { operator: '$nin' }],
    ['$all not an array', { a: { $all: { x: 1 } } }, { operator: '$all' }],
    ['$in too large', { a: { $in: Array.from({ length: 1001 }, (_, i) => i) } }, { operator: '$in', max: 1000 }],
    ['$gt boolean', { a: { $gt: true } }, { operator: '$gt' }],
    ['$gte null', { a: { $gte: null } }, { operator: '$gte' }],
    ['$lt array', { a: { $lt: [1] } }, { operator: '$lt' }],
    ['$lte object', { a: { $lte: {} } }, { operator: '$lte' }],
    ['$gt NaN', { a: { $gt: Number.NaN } }, { operator: '$gt' }],
    ['$gt Infinity', { a: { $gt: Infinity } }, { operator: '$gt' }],
    ['$exists number', { a: { $exists: 1 } }, { operator: '$exists' }],
    ['$exists string', { a: { $exists: 'true' } }, { operator: '$exists' }],
    ['$size negative', { a: { $size: -1 } }, { operator: '$size' }],
    ['$size fraction', { a: { $size: 1.5 } }, { operator: '$size' }],
    ['$size string', { a: { $size: '1' } }, { operator: '$size' }],
    ['$regex not a string', { a: { $regex: 1 } }, { operator: '$regex' }],
    ['$regex invalid', { a: { $regex: '(' } }, { operator: '$regex', reason: 'regex_invalid' }],
    ['$regex catastrophic', { a: { $regex: '(a+)+$' } }, { operator: '$regex', reason: 'regex_too_complex' }],
    [
      '$regex catastrophic under $not',
      { a: { $not: { $regex: '(x*)*y' } } },
      { operator: '$regex', reason: 'regex_too_complex' },
    ],
    ['$regex backreference', { a: { $regex: '(a)\\1' } }, { operator: '$regex', reason: 'regex_invalid' }],
    ['$regex lookahead', { a: { $regex: '(?=a)b' } }, { operator: '$regex', reason: 'regex_invalid' }],
    [
      '$regex repeated alternatives',
      { a: { $regex: '^(.|.)*#$' } },
      { operator: '$regex', reason: 'regex_too_complex' },
    ],
    [
      '$regex repeated alternatives with a bound',
      { a: { $regex: '(\\w|\\d){2,}x' } },
      { operator: '$regex', reason: 'regex_too_complex' },
    ],
    [
      '$regex too long',
      { a: { $regex: 'a'.repeat(257) } },
      { operator: '$regex', reason: 'regex_too_complex', limit: 'length', max: 256 },
    ],
    ['$options other than i', { a: { $regex: 'a', $options: 'g' } }, { operator: '$options', reason: 'regex_invalid' }],
    ['$options multiline', { a: { $regex: 'a', $options: 'm' } }, { operator: '$options', reason: 'regex_invalid' }],
    ['$options not a string', { a: { $regex: 'a', $options: 1 } }, { operator: '$options' }],
    ['$options without $regex', { a: { $options: 'i' } }, { operator: '$options' }],
    ['$and not an array', { $and: { a: 1 } }, { operator: '$and' }],
    ['$and empty', { $and: [] }, { operator: '$and' }],
    ['$or with a non-object', { $or: [1] }, { operator: '$or' }],
    ['$nor with an array element', { $nor: [[{ a: 1 }]] }, { operator: '$nor' }],
    ['$or with null', { $or: [null] }, { operator: '$or' }],
    ['$not with a literal', { a: { $not: 5 } }, { operator: '$not' }],
    ['$not with an empty object', { a: { $not: {} } }, { operator: '$not' }],
    ['$not with a field object', { a: { $not: { b: 1 } } }, { operator: '$not' }],
    ['$not inside $not', { a: { $not: { $not: { $gt: 1 } } } }, { operator: '$not' }],
    ['$elemMatch empty', { a: { $elemMatch: {} } }, { operator: '$elemMatch' }],
    ['$elemMatch not an object', { a: { $elemMatch: [1] } }, { operator: '$elemMatch' }],
    ['$elemMatch with a bad inner path', { a: { $elemMatch: { 'x-y': 1 } } }, { path: 'x-y' }],
    ['$elemMatch mixing operators and fields', { a: { $elemMatch: { $gt: 1, b: 2 } } }, { operator: '$elemMatch' }],
    ['$elemMatch mixing fields and operators', { a: { $elemMatch: { b: 2, $gt: 1 } } }, { operator: '$elemMatch' }],
    ['$not mixing operators and fields', { a: { $not: { $gt: 1, b: 2 } } }, { operator: '$not' }],
    ['non-JSON value (undefined)', { a: undefined }, { reason: 'not_json' }],
    ['non-JSON value (Date)', { a: new Date() }, { reason: 'not_json' }],
    ['non-JSON value (function)', { a: { $eq: () => 1 } }, { reason: 'not_json' }],
    ['non-finite number in a literal', { a: [1, Infinity] }, { reason: 'number' }],
    ['huge operator name is shortened', { [`$${'x'.repeat(100)}`]: 1 }, { operator: `$${'x'.repeat(63)}…` }],
  ];

  it.each(cases)('%s', (_name, input, details) => {
    const error = errorOf(() => parseFilter(input));
    expect(error.code).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.details).toEqual(details);
  });

  it('names the operator in the message', () => {
    expect(errorOf(() => parseFilter({ $where: 'x' })).message).toContain('$where');
    expect(errorOf(() => parseFilter({ a: { $foo: 1 } })).message).toContain('$foo');
  });
});

describe('parseFilter: limits', () => {
  /** `{$and: [{$and: [... {a: 1} ...]}]}` with `levels` objects. */
  const nestedAnd = (levels: number): Record<string, unknown> => {
    let filter: Record<string, unknown> = { a: 1 };
    for (let i = 1; i < levels; i++) filter = { $and: [filter] };
    return filter;
  };
  /** JSON text of 10,000 nested `$or`s, built without recursion. */
  const deepJson = (levels: number) => '{"$or":['.repeat(levels) + '{"a":1}' + ']}'.repeat(levels);

  it('rejects 10,000 levels of nesting fast, without overflowing the stack', () => {
    const started = performance.now();
    for (const input of [nestedAnd(10_000), deepJson(10_000)]) {
      const error = errorOf(() => parseFilter(input));
      expect(error.code).toBe('invalid_request');
      expect(error.details).toEqual({ limit: 'depth', max: 16 });
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('rejects deep nesting through $elemMatch and $not', () => {
    let filter: unknown = { $gt: 1 };
    for (let i = 0; i < 10_000; i++) filter = { $elemMatch: filter };
    expect(errorOf(() => parseFilter({ a: filter })).details).toEqual({ limit: 'depth', max: 16 });
  });

  it('rejects deeply nested literal values (checked iteratively)', () => {
    let value: unknown = 1;
    for (let i = 0; i < 10_000; i++) value = { x: value };
    expect(errorOf(() => parseFilter({ a: value })).details).toEqual({ limit: 'depth', max: 16 });
    let list: unknown = 1;
    for (let i = 0; i < 10_000; i++) list = [list];
    expect(errorOf(() => parseFilter({ a: { $in: [list] } })).details).toEqual({ limit: 'depth', max: 16 });
  });

  it('rejects one level past maxDepth, and honours a custom maxDepth', () => {
    expect(errorOf(() => parseFilter(nestedAnd(17))).details).toEqual({ limit: 'depth', max: 16 });
    expect(() => parseFilter(nestedAnd(4), { maxDepth: 4 })).not.toThrow();
    expect(errorOf(() => parseFilter(nestedAnd(5), { maxDepth: 4 })).details).toEqual({ limit: 'depth', max: 4 });
  });

  it('rejects too many nodes', () => {
    const wide = { $or: Array.from({ length: 300 }, (_, i) => ({ a: i })) };
    expect(errorOf(() => parseFilter(wide)).details).toEqual({ limit: 'nodes', max: 500 });
    expect(errorOf(() => parseFilter({ a: 1, b: 2, c: 3 }, { maxNodes: 5 })).details).toEqual({
      limit: 'nodes',
      max: 5,
    });
    expect(() => parseFilter({ a: 1, b: 2 }, { maxNodes: 5 })).not.toThrow();
  });

  it('rejects too many literal values in total', () => {
    const big = Array.from({ length: 11 }, (_, i) => ({
      [`f${i}`]: { $in: Array.from({ length: 1000 }, (_, j) => j) },
    }));
    expect(errorOf(() => parseFilter({ $or: big })).details).toEqual({ limit: 'values', max: 10_000 });
  });
});
