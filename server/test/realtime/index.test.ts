import { describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/lib/filter/parse.js';
import { patternMatches, validateChannelRules } from '../../src/modules/realtime/channels.js';
import { equalityTerm, SubscriptionIndex, type Subscription } from '../../src/modules/realtime/subscriptions.js';

/** The subscription index picks candidates without evaluating every subscription; channel patterns. */
const caller = { appId: 'a', privileged: false, user: null, scopes: [], principal: 'key:k' };
let n = 0;
const sub = (filter: unknown, extra: Partial<Subscription> = {}): Subscription => ({
  id: `s${n}`,
  query: `s${n++}`,
  appId: 'a',
  collection: 'c',
  filter: filter === null ? null : parseFilter(filter),
  docId: null,
  caller,
  socketId: 'x',
  active: true,
  ...extra,
});

describe('SubscriptionIndex', () => {
  it('files subscriptions by id, by an equality term, or in the rest, and returns only possible matches', () => {
    const index = new SubscriptionIndex();
    const rooms = Array.from({ length: 1000 }, (_, i) => sub({ room: `r${i}`, done: false }));
    const byId = sub(null, { docId: 'd1' });
    const rest = sub({ priority: { $gt: 3 } });
    const numeric = sub({ n: 1 });
    const other = sub({ room: 'r1' }, { collection: 'other' });
    for (const s of [...rooms, byId, rest, numeric, other]) index.add(s);
    expect(index.size).toBe(1004);
    const ids = (docs: Array<Record<string, unknown> | null>) =>
      index
        .candidates('a', 'c', docs)
        .map((s) => s.id)
        .sort();
    expect(ids([{ id: 'x', room: 'r5' }])).toEqual([rooms[5]!.id, rest.id].sort());
    // An update moving a document between rooms: both rooms' subscribers (enter and leave).
    expect(
      ids([
        { id: 'd1', room: 'r1' },
        { id: 'd1', room: 'r2' },
      ]),
    ).toEqual([rooms[1]!.id, rooms[2]!.id, byId.id, rest.id].sort());
    // Arrays match element-wise, as in the filter language; 1 and "1" stay apart.
    expect(ids([{ id: 'x', room: ['r7', 'r8'] }])).toEqual([rooms[7]!.id, rooms[8]!.id, rest.id].sort());
    expect(ids([{ id: 'x', n: '1' }])).toEqual([rest.id]);
    expect(ids([{ id: 'x', n: 1 }])).toEqual([numeric.id, rest.id].sort());
    expect(index.candidates('b', 'c', [{ id: 'x' }])).toEqual([]);
    for (const s of rooms) index.remove(s);
    index.remove(rest);
    expect(ids([{ id: 'x', room: 'r5' }])).toEqual([]);
    expect(rooms[0]!.active).toBe(false);
    index.remove(rest); // twice is fine
    expect(index.size).toBe(3);
  });

  it('equality terms: scalars only, never null (it matches missing fields), top-level or in $and', () => {
    expect(equalityTerm(parseFilter({ a: 1 }))).toEqual({ path: 'a', value: 'n1' });
    expect(equalityTerm(parseFilter({ $and: [{ b: { $gt: 1 } }, { c: true }] }))).toEqual({
      path: 'c',
      value: 'btrue',
    });
    expect(equalityTerm(parseFilter({ a: null }))).toBeNull();
    expect(equalityTerm(parseFilter({ $or: [{ a: 1 }, { b: 2 }] }))).toBeNull();
    expect(equalityTerm(parseFilter({ a: { $in: [1, 2] } }))).toBeNull();
    expect(equalityTerm(null)).toBeNull();
  });
});

describe('channel rules', () => {
  it('patterns: * matches any run of characters', () => {
    expect(patternMatches('room:*', 'room:1')).toBe(true);
    expect(patternMatches('room:*', 'room:')).toBe(true);
    expect(patternMatches('room:*', 'rooms:1')).toBe(false);
    expect(patternMatches('team:*:chat', 'team:a:b:chat')).toBe(true);
    expect(patternMatches('team:*:chat', 'team:chat')).toBe(false);
    expect(patternMatches('lobby', 'lobby')).toBe(true);
    expect(patternMatches('lobby', 'lobby2')).toBe(false);
    expect(patternMatches('*', 'anything')).toBe(true);
  });

  it('rules may only test the caller', () => {
    const ok = { rules: [{ pattern: 'a:*', join: { '@auth.roles': 'x' }, publish: 'authenticated' as const }] };
    expect(validateChannelRules(ok)).toBe(ok);
    expect(() =>
      validateChannelRules({ rules: [{ pattern: 'a', join: { owner: '@auth.id' }, publish: null }] }),
    ).toThrow(/only test the caller/);
    expect(() => validateChannelRules({ rules: [{ pattern: 'a', join: { '@auth.nope': 1 }, publish: null }] })).toThrow(
      /Unknown rule variable/,
    );
  });
});
