import { describe, expect, it } from 'vitest';
import { where } from './build.js';
import { matches } from './evaluate.js';

describe('where (filter builders)', () => {
  it('builds the same trees as hand-written literals', () => {
    expect(where.eq('appId', 'a1')).toEqual({ op: 'field', path: 'appId', conds: [{ op: 'eq', value: 'a1' }] });
    expect(where.in('id', ['x', 'y'])).toEqual({ op: 'field', path: 'id', conds: [{ op: 'in', values: ['x', 'y'] }] });
    expect(where.and()).toEqual({ op: 'all' });
    expect(where.and(where.eq('a', 1))).toEqual(where.eq('a', 1));
  });

  it('matches like the parsed filter language', () => {
    const doc = { appId: 'a1', n: 5, revokedAt: null };
    expect(matches(where.and(where.eq('appId', 'a1'), where.gt('n', 4), where.eq('revokedAt', null)), doc)).toBe(true);
    expect(matches(where.or(where.eq('appId', 'b'), where.lte('n', 4)), doc)).toBe(false);
    expect(matches(where.exists('missing', false), doc)).toBe(true);
    expect(matches(where.nin('appId', ['a1']), doc)).toBe(false);
    expect(matches(where.startsWith('appId', 'a'), doc)).toBe(true);
    expect(matches(where.startsWith('appId', '.1'), doc)).toBe(false);
    expect(matches(where.startsWith('email', 'a.b+'), { email: 'a.b+c@x' })).toBe(true);
    expect(matches(where.startsWith('email', 'a.b+'), { email: 'axb+c@x' })).toBe(false);
  });
});
