import { describe, expect, it } from 'vitest';
import { HearthError } from '../../errors.js';
import { matches } from '../../lib/filter/evaluate.js';
import type { FilterNode } from '../../lib/filter/types.js';
import { andFilters, compileRule, ruleFilter, type RuleVariables } from './rules.compile.js';
import type { RuleDef, RuleKind } from './collection.schema.js';

const NOW = '2024-05-01T12:00:00.000Z';
const alice: RuleVariables = { auth: { id: 'alice', roles: ['editor'], anonymous: false }, now: NOW };
const bob: RuleVariables = { auth: { id: 'bob', roles: [], anonymous: false }, now: NOW };
const anon: RuleVariables = { auth: { id: 'anon1', roles: [], anonymous: true }, now: NOW };
const nobody: RuleVariables = { auth: null, now: NOW };

/** Does `doc` pass `rule` for `vars`? (null rule filter = denied outright) */
function allows(rule: RuleDef, vars: RuleVariables, doc: Record<string, unknown>, kind: RuleKind = 'list'): boolean {
  const filter = ruleFilter(compileRule(rule, kind), vars);
  return filter !== null && matches(filter, doc);
}

const compileError = (rule: RuleDef, kind: RuleKind = 'list'): HearthError => {
  try {
    compileRule(rule, kind);
  } catch (e) {
    return e as HearthError;
  }
  throw new Error('expected the rule to be refused');
};

describe('rules: the fixed kinds', () => {
  it('null denies everyone who reaches rules; public allows all; authenticated needs a user (anonymous counts)', () => {
    expect(ruleFilter(compileRule(null, 'list'), alice)).toBeNull();
    expect(ruleFilter(compileRule('public', 'list'), nobody)).toEqual({ op: 'all' });
    expect(ruleFilter(compileRule('authenticated', 'list'), nobody)).toBeNull();
    expect(ruleFilter(compileRule('authenticated', 'list'), anon)).toEqual({ op: 'all' });
  });
});

describe('rules: filters with variables', () => {
  const ownerOnly = { owner: '@auth.id' };

  it("owner-only matches only the caller's documents; nobody signed in matches nothing, not even owner null", () => {
    expect(allows(ownerOnly, alice, { owner: 'alice' })).toBe(true);
    expect(allows(ownerOnly, bob, { owner: 'alice' })).toBe(false);
    expect(allows(ownerOnly, nobody, { owner: null })).toBe(false);
    expect(allows(ownerOnly, nobody, {})).toBe(false);
    expect(allows({ owner: { $ne: '@auth.id' } }, nobody, { owner: 'alice' })).toBe(true);
  });

  it('public-or-member: arrays of user ids', () => {
    const rule = { $or: [{ public: true }, { members: '@auth.id' }] };
    expect(allows(rule, bob, { public: false, members: ['alice', 'bob'] })).toBe(true);
    expect(allows(rule, bob, { public: false, members: ['alice'] })).toBe(false);
    expect(allows(rule, nobody, { public: true })).toBe(true);
    expect(allows(rule, nobody, { public: false, members: [] })).toBe(false);
  });

  it('@auth.roles compares as "one of the roles" (eq → in, ne → nin, spliced into $in/$all)', () => {
    expect(allows({ team: '@auth.roles' }, alice, { team: 'editor' })).toBe(true);
    expect(allows({ team: '@auth.roles' }, bob, { team: 'editor' })).toBe(false);
    expect(allows({ team: { $ne: '@auth.roles' } }, alice, { team: 'editor' })).toBe(false);
    expect(allows({ team: { $in: '@auth.roles' } }, alice, { team: 'editor' })).toBe(true);
    expect(allows({ team: { $in: ['@auth.roles', 'all'] } }, bob, { team: 'all' })).toBe(true);
    expect(allows({ team: { $nin: '@auth.roles' } }, alice, { team: 'viewer' })).toBe(true);
    expect(allows({ team: { $in: '@auth.roles' } }, nobody, { team: 'editor' })).toBe(false);
  });

  it('variable keys test the caller and fold to all/none', () => {
    const editors = { '@auth.roles': 'editor' };
    expect(ruleFilter(compileRule(editors, 'list'), alice)).toEqual({ op: 'all' });
    expect(ruleFilter(compileRule(editors, 'list'), bob)).toBeNull();
    const registered = { '@auth.anonymous': false };
    expect(ruleFilter(compileRule(registered, 'list'), alice)).toEqual({ op: 'all' });
    expect(ruleFilter(compileRule(registered, 'list'), anon)).toBeNull();
    expect(ruleFilter(compileRule(registered, 'list'), nobody)).toBeNull();
    // roles OR owner: for a non-editor only the owner part remains in the query
    const mixed = { $or: [{ '@auth.roles': 'admin' }, { owner: '@auth.id' }] };
    const forBob = ruleFilter(compileRule(mixed, 'list'), bob) as FilterNode;
    expect(forBob).toEqual({ op: 'field', path: 'owner', conds: [{ op: 'eq', value: 'bob' }] });
    const forAdmin = ruleFilter(compileRule(mixed, 'list'), {
      ...bob,
      auth: { id: 'bob', roles: ['admin'], anonymous: false },
    });
    expect(forAdmin).toEqual({ op: 'all' });
    // $nor over a caller test
    expect(ruleFilter(compileRule({ $nor: [{ '@auth.anonymous': true }] }, 'list'), anon)).toBeNull();
  });

  it('@now compares with dates; @data reads the incoming write', () => {
    const notExpired = { expiresAt: { $gt: '@now' } };
    expect(allows(notExpired, nobody, { expiresAt: '2030-01-01T00:00:00.000Z' })).toBe(true);
    expect(allows(notExpired, nobody, { expiresAt: '2020-01-01T00:00:00.000Z' })).toBe(false);
    const noRoleChange = { '@data.role': { $exists: false } };
    expect(ruleFilter(compileRule(noRoleChange, 'update'), { ...alice, data: { title: 'x' } })).toEqual({ op: 'all' });
    expect(ruleFilter(compileRule(noRoleChange, 'update'), { ...alice, data: { role: 'admin' } })).toBeNull();
    const sameAuthor = { author: '@data.author' };
    expect(allows(sameAuthor, { ...alice, data: { author: 'x' } }, { author: 'x' }, 'create')).toBe(true);
    expect(allows(sameAuthor, { ...alice, data: {} }, { author: 'x' }, 'create')).toBe(false);
    // a non-comparable @data value under $gt matches nothing instead of erroring
    expect(allows({ n: { $lt: '@data.n' } }, { ...alice, data: { n: true } }, { n: 1 }, 'update')).toBe(false);
  });

  it('@@ escapes a literal @', () => {
    expect(allows({ handle: '@@bob' }, nobody, { handle: '@bob' })).toBe(true);
    expect(allows({ handle: '@@bob' }, nobody, { handle: '@@bob' })).toBe(false);
  });

  it('instantiation never shares or mutates the compiled template', () => {
    const rule = compileRule({ owner: '@auth.id' }, 'list');
    const a = ruleFilter(rule, alice);
    const b = ruleFilter(rule, bob);
    expect(a).toEqual({ op: 'field', path: 'owner', conds: [{ op: 'eq', value: 'alice' }] });
    expect(b).toEqual({ op: 'field', path: 'owner', conds: [{ op: 'eq', value: 'bob' }] });
  });
});

describe('rules: refused at compile time', () => {
  it.each<[string, RuleDef, RuleKind, RegExp]>([
    ['unknown variable', { owner: '@auth.email' }, 'list', /Unknown rule variable/],
    ['@data in a read rule', { owner: '@data.owner' }, 'list', /only available in create and update/],
    ['@data in a delete rule', { '@data.x': true }, 'delete', /only available in create and update/],
    ['$where', { $where: 'sleep(1000)' }, 'list', /\$where/],
    ['unknown operator', { a: { $foo: 1 } }, 'list', /\$foo/],
    ['$text', { $text: { $search: 'x' } }, 'list', /\$text/],
    ['variable in $regex', { a: { $regex: '@auth.id' } }, 'list', /\$regex/],
    ['roles with $gt', { a: { $gt: '@auth.roles' } }, 'list', /roles/],
    ['variable compared with variable', { '@auth.id': '@data.owner' }, 'update', /another variable/],
    ['bad path', { 'a..b': 1 }, 'list', /path/i],
    ['not an object', { $and: 'x' } as unknown as RuleDef, 'list', /\$and/],
  ])('%s', (_name, rule, kind, message) => {
    const e = compileError(rule, kind);
    expect(e).toBeInstanceOf(HearthError);
    expect(e.code).toBe('invalid_request');
    expect(e.message).toMatch(message);
  });

  it('a 10,000-deep rule is refused without blowing the stack', () => {
    let rule: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 10_000; i++) rule = { $and: [rule] };
    expect(compileError(rule as RuleDef).message).toMatch(/nested/);
  });
});

describe('andFilters', () => {
  it('drops match-all on either side', () => {
    const f: FilterNode = { op: 'field', path: 'a', conds: [{ op: 'eq', value: 1 }] };
    expect(andFilters({ op: 'all' }, f)).toBe(f);
    expect(andFilters(f, undefined)).toBe(f);
    expect(andFilters(f, f)).toEqual({ op: 'and', children: [f, f] });
  });
});
