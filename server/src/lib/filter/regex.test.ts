import { describe, expect, it } from 'vitest';
import { matches } from './evaluate.js';
import { parseFilter } from './parse.js';
import { MAX_REGEX_SUBJECT, regexMatches } from './regex.js';

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
