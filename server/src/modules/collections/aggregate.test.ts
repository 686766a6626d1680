import { describe, expect, it } from 'vitest';
import { HearthError } from '../../errors.js';
import type { FilterNode } from '../../lib/filter/types.js';
import type { Caller } from './access.js';
import { parsePipeline } from './aggregate.js';
import { compileCollection } from './collection.compile.js';
import { DEFAULT_RULES } from './collection.schema.js';
import { parseExpand } from './expand.js';
import { DocumentEvents, type DocumentEvent } from './events.js';

const col = compileCollection(
  'app1',
  {
    name: 'orders',
    fields: [
      { name: 'status', type: 'string' },
      { name: 'amount', type: 'number' },
      { name: 'cost', type: 'number', hidden: true },
      { name: 'note', type: 'string', searchable: true },
    ],
    indexes: [],
    strict: true,
    rules: DEFAULT_RULES,
  },
  1,
);
const user: Caller = {
  appId: 'app1',
  privileged: false,
  user: { id: 'u1', roles: [], anonymous: false },
  scopes: [],
  principal: 'user:u1',
};
const secret: Caller = { ...user, privileged: true, user: null, principal: 'key:k' };
const rule: FilterNode = { op: 'field', path: 'owner', conds: [{ op: 'eq', value: 'u1' }] };

const err = (fn: () => unknown): HearthError => {
  try {
    fn();
  } catch (e) {
    return e as HearthError;
  }
  throw new Error('expected an error');
};

describe('parsePipeline', () => {
  it('turns the MongoDB-like stages into port stages and ANDs the read rule into the first $match', () => {
    const { stages, rowsAreDocuments } = parsePipeline(
      user,
      col,
      [
        { $match: { status: 'paid' } },
        {
          $group: {
            _id: '$status',
            n: { $count: {} },
            total: { $sum: '$amount' },
            avg: { $avg: '$amount' },
            c: { $sum: 1 },
          },
        },
        { $sort: { total: -1 } },
        { $limit: 5 },
      ],
      rule,
    );
    expect(rowsAreDocuments).toBe(false);
    expect(stages[0]).toEqual({
      stage: 'match',
      filter: { op: 'and', children: [rule, { op: 'field', path: 'status', conds: [{ op: 'eq', value: 'paid' }] }] },
    });
    expect(stages[1]).toEqual({
      stage: 'group',
      by: ['status'],
      accumulators: {
        n: { op: 'count' },
        total: { op: 'sum', path: 'amount' },
        avg: { op: 'avg', path: 'amount' },
        c: { op: 'count' },
      },
    });
    expect(stages.slice(2)).toEqual([
      { stage: 'sort', sort: [{ path: 'total', dir: -1 }] },
      { stage: 'limit', limit: 5 },
    ]);
  });

  it('puts the rule first even when the pipeline does not start with $match, and caps rows', () => {
    const { stages, rowsAreDocuments } = parsePipeline(user, col, [{ $sort: '-amount' }], rule);
    expect(stages).toEqual([
      { stage: 'match', filter: rule },
      { stage: 'sort', sort: [{ path: 'amount', dir: -1 }] },
      { stage: 'limit', limit: 1000 },
    ]);
    expect(rowsAreDocuments).toBe(true);
  });

  it('hidden fields cannot be named before a $group by non-privileged callers (but after it, names are outputs)', () => {
    expect(err(() => parsePipeline(user, col, [{ $match: { cost: { $gt: 10 } } }], rule)).details).toMatchObject({
      path: 'cost',
    });
    expect(err(() => parsePipeline(user, col, [{ $group: { _id: '$cost' } }], rule)).code).toBe('invalid_request');
    expect(err(() => parsePipeline(user, col, [{ $group: { _id: null, m: { $max: '$cost' } } }], rule)).code).toBe(
      'invalid_request',
    );
    expect(err(() => parsePipeline(user, col, [{ $sort: { cost: 1 } }], rule)).code).toBe('invalid_request');
    expect(parsePipeline(secret, col, [{ $match: { cost: { $gt: 10 } } }], undefined).stages[0]!.stage).toBe('match');
    expect(
      parsePipeline(
        user,
        col,
        [{ $group: { _id: '$status', cost: { $sum: '$amount' } } }, { $match: { cost: { $gt: 1 } } }],
        rule,
      ).stages,
    ).toHaveLength(4);
  });

  it.each([
    [[{ $lookup: {} }], '$lookup'],
    [[{ $match: { $where: 'x' } }], '$where'],
    [[{ $group: { _id: '$status', x: { $push: '$amount' } } }], '$push'],
    [[{ $group: { _id: 'status' } }], '$group._id'],
    [[{ $limit: 1e9 }], '$limit'],
    [[{ $limit: 0 }], '$limit'],
    [[{ $sort: { amount: 2 } }], '$sort'],
    [[{ $match: { $text: { $search: 'x' } } }, { $match: 'x' }], '$match'],
  ])('refuses %j naming %s', (pipeline, operator) => {
    const e = err(() => parsePipeline(user, col, pipeline as Record<string, unknown>[], rule));
    expect(e.code).toBe('invalid_request');
    expect(e.details).toMatchObject({ operator });
  });

  it('a 10,000-deep $match is refused', () => {
    let f: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 10_000; i++) f = { $and: [f] };
    expect(err(() => parsePipeline(user, col, [{ $match: f }], rule)).details).toMatchObject({ limit: 'depth' });
  });
});

describe('parseExpand', () => {
  it('builds a tree and refuses bad or too deep paths', () => {
    const tree = parseExpand('author,author.org,tags');
    expect([...tree.keys()]).toEqual(['author', 'tags']);
    expect([...tree.get('author')!.keys()]).toEqual(['org']);
    for (const bad of ['a.b.c.d', 'a..b', '$where', '__proto__x.y z', '']) {
      expect(err(() => parseExpand(bad)).details).toMatchObject({ parameter: 'expand' });
    }
  });
});

describe('DocumentEvents', () => {
  it('delivers frozen copies per type and to *, isolates throwing listeners, unsubscribes', () => {
    const errors: unknown[] = [];
    const events = new DocumentEvents((e) => errors.push(e));
    const seen: DocumentEvent[] = [];
    const all: string[] = [];
    events.on('documents.create', () => {
      throw new Error('boom');
    });
    const off = events.on('documents.create', (e) => seen.push(e));
    events.on('*', (e) => all.push(e.type));
    const after = { id: 'd', createdAt: 'x', updatedAt: 'x', owner: null, version: 1, tags: ['a'] };
    events.emit({ type: 'documents.create', appId: 'a', collection: 'c', before: null, after });
    events.emit({ type: 'documents.delete', appId: 'a', collection: 'c', before: after, after: null });
    expect(seen).toHaveLength(1);
    expect(all).toEqual(['documents.create', 'documents.delete']);
    expect(errors).toHaveLength(1);
    expect(Object.isFrozen(seen[0]!.after)).toBe(true);
    expect(() => (seen[0]!.after!.tags as string[]).push('b')).toThrow();
    after.tags.push('mutated later');
    expect(seen[0]!.after!.tags).toEqual(['a']);
    off();
    events.emit({ type: 'documents.create', appId: 'a', collection: 'c', before: null, after });
    expect(seen).toHaveLength(1);
  });
});
