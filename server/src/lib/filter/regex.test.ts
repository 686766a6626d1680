import { describe, expect, it } from 'vitest';
import { matches } from './evaluate.js';
import { parseFilter } from './parse.js';
import type { HearthError } from '../../errors.js';
import {
  MAX_FILTER_REGEX_COST,
  MAX_REGEX_COST,
  MAX_REGEX_SUBJECT,
  assertSafeRegex,
  regexShape,
  regexMatches,
} from './regex.js';

/** Filter regexes run on RE2: linear in the subject, whatever pattern passed the checks. */
describe('regex evaluation', () => {
  it('a polynomial-backtracking pattern runs in linear time on a maximal subject', () => {
    // Accepted by the structural checks (no nesting, no repeated alternation), yet O(n^5) on a
    // backtracking engine for a subject that almost matches.
    const filter = parseFilter({ s: { $regex: '^\\d*\\d*\\d*\\d*\\d*x$' } });
    const subject = '1'.repeat(MAX_REGEX_SUBJECT - 1) + 'y';
    const started = performance.now();
    expect(matches(filter, { s: subject })).toBe(false);
    expect(matches(filter, { s: '123x' })).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('matches like JavaScript for the supported syntax (case-insensitive, unicode letters, anchors)', () => {
    expect(regexMatches('^ap+le$', 'i', 'APPLE')).toBe(true);
    expect(regexMatches('ü', 'i', 'Ümlaut')).toBe(true);
    expect(regexMatches('^[A-Z]', '', 'apple')).toBe(false);
    expect(regexMatches('b|z', '', 'zebra')).toBe(true);
    expect(regexMatches('^$', '', '')).toBe(true);
    expect(regexMatches('a', '', 42)).toBe(false);
    expect(regexMatches('a', '', 'a'.repeat(MAX_REGEX_SUBJECT + 1))).toBe(false);
  });
});

/**
 * Finding 5 of the security probe: compiling a pattern such as `\p{L}{0,1000}` repeated 15 times
 * took 55–170 ms, and 20 different ones in parallel held the event loop for a second. Counted
 * repetitions multiply what RE2 compiles, so the cost is bounded before compiling.
 */
describe('regex compile cost', () => {
  const reasonOf = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (e) {
      return (e as HearthError).details;
    }
    return 'accepted';
  };

  it('refuses patterns whose counted repetitions multiply past the budget, without compiling them', () => {
    for (let i = 0; i < 20; i++) {
      const pattern = `${i}` + '\\p{L}{0,1000}'.repeat(15);
      const started = performance.now();
      expect(reasonOf(() => assertSafeRegex(pattern, ''))).toEqual({
        operator: '$regex',
        reason: 'regex_too_complex',
        limit: 'cost',
        max: MAX_REGEX_COST,
      });
      expect(performance.now() - started).toBeLessThan(20);
    }
    expect(reasonOf(() => assertSafeRegex('(?:a{0,40}){0,40}', ''))).toMatchObject({ reason: 'regex_too_complex' });
    expect(reasonOf(() => assertSafeRegex('[a-z]{0,800}[0-9]{0,800}', ''))).toMatchObject({
      reason: 'regex_too_complex',
    });
  });

  it('accepts ordinary patterns, bounded repetitions and unicode classes within the budget', () => {
    for (const p of [
      '^buy',
      '\\p{L}{0,1000}',
      '^[A-Z]{2}-\\d{4}$',
      '(?i)caf\\x{e9}',
      'a{2}b{3,}?',
      '[[:alpha:]]+x',
      '\\Q(a+)+\\E',
      '(?:ab)+',
      '(?i:ab)*c',
      '(?P<y>\\d{4})-(?<m>\\d\\d)',
    ])
      expect(
        reasonOf(() => assertSafeRegex(p, '')),
        p,
      ).toBe('accepted');
    expect(regexShape('\\p{L}{0,1000}').cost).toBeLessThanOrEqual(MAX_REGEX_COST);
    expect(regexShape('(?:a{0,30}){0,30}').cost).toBeGreaterThan(900);
  });

  it('an unbalanced or unsupported pattern is regex_invalid, not "could take too long"', () => {
    for (const p of ['(a', 'a)', '[a', 'a{2,1}', '(?<=a)b', '(a)\\1', 'a{0,5000}']) {
      const error = (() => {
        try {
          assertSafeRegex(p, '');
        } catch (e) {
          return e as HearthError;
        }
        throw new Error(`${p} was accepted`);
      })();
      expect(error.details, p).toEqual({ operator: '$regex', reason: 'regex_invalid' });
      expect(error.message).toBe(
        '$regex is not a valid regular expression (RE2 syntax: no backreferences or lookaround).',
      );
    }
    for (const p of ['(a+)+$', '(a*b?){2}', '(?:x+)*', 'a?'.repeat(26)])
      expect(
        reasonOf(() => assertSafeRegex(p, '')),
        p,
      ).toEqual({ operator: '$regex', reason: 'regex_too_complex' });
  });

  it("a filter's regexes share one budget", () => {
    const each = '[a-z]{0,400}';
    expect(reasonOf(() => parseFilter({ a: { $regex: each } }))).toBe('accepted');
    const many = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, { $regex: `${i}${each}` }]));
    expect(reasonOf(() => parseFilter(many))).toEqual({
      operator: '$regex',
      reason: 'regex_too_complex',
      limit: 'filterCost',
      max: MAX_FILTER_REGEX_COST,
    });
  });
});
