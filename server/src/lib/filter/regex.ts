import { RE2JS } from 're2js';
import { reasonError } from '../../errors.js';

/**
 * Regexes come from requests (filters, schema `pattern`s), so they never run on a backtracking
 * engine in this process: patterns are compiled and matched by RE2 (re2js, pure JS), whose
 * matching time is linear in the subject's length whatever the pattern — `^(.|.)*#$` included.
 * RE2 has no backreferences or lookaround; such patterns are refused as invalid. Patterns are
 * limited to MAX_REGEX_LENGTH characters and subjects to MAX_REGEX_SUBJECT (longer strings never
 * match where Hearth evaluates the regex), which bounds the work per value.
 *
 * Compiling is bounded too: counted repetitions multiply what RE2 compiles (`\p{L}{0,1000}` is a
 * thousand copies of a class), so `regexShape` estimates the compiled size from the pattern text
 * and patterns over MAX_REGEX_COST are refused before they are compiled; a filter's regexes share
 * MAX_FILTER_REGEX_COST (parse.ts). Compiled patterns are kept in a small LRU cache.
 *
 * The MongoDB engine hands patterns to the database, whose engine backtracks. So the shapes that
 * make backtracking explode are refused too: nested quantifiers (`(a+)+`: star height above 1),
 * more than MAX_REPETITIONS quantifiers, and a quantified group with alternatives (`(.|.)*`,
 * `(a|ab)+`).
 *
 * Reasons: `regex_invalid` (not RE2 syntax, unsupported `$options`), `regex_too_complex` (too
 * long, over the cost budget, or a backtracking shape).
 */
export const MAX_REGEX_LENGTH = 256;
export const MAX_REGEX_SUBJECT = 10_000;
/** Estimated compiled size of one pattern: one full `{0,1000}` and some (a few ms to compile). */
export const MAX_REGEX_COST = 1_500;
/** Estimated compiled size of all the regexes of one filter together. */
export const MAX_FILTER_REGEX_COST = 3_000;
/** Quantifiers in one pattern. */
const MAX_REPETITIONS = 25;
const CACHE_SIZE = 1_000;
/** RE2's own limit on a repetition count; larger counts are invalid, left for the compiler to say. */
const MAX_REPEAT = 1_000;

const cache = new Map<string, RE2JS>();

function compile(pattern: string, flags: '' | 'i'): RE2JS {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (re) {
    // Most recently used last, so eviction takes the oldest.
    cache.delete(key);
  } else {
    re = RE2JS.compile(pattern, flags === 'i' ? RE2JS.CASE_INSENSITIVE : 0);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, re);
  return re;
}

const tooComplex = (message: string, details?: Record<string, unknown>) =>
  reasonError('invalid_request', 'regex_too_complex', message, { operator: '$regex', ...details });

/** Checks a pattern from a request; returns its cost (for a filter's shared budget). */
export function assertSafeRegex(pattern: string, flags: string): number {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw tooComplex(`$regex is longer than ${MAX_REGEX_LENGTH} characters.`, {
      limit: 'length',
      max: MAX_REGEX_LENGTH,
    });
  }
  if (flags !== '' && flags !== 'i') {
    throw reasonError('invalid_request', 'regex_invalid', '$options supports only "i".', { operator: '$options' });
  }
  const { cost, nested, repetitions } = regexShape(pattern);
  if (cost > MAX_REGEX_COST) {
    throw tooComplex(
      `$regex is too complex to compile: its counted repetitions add up to more than ${MAX_REGEX_COST} (e.g. a{0,1000} twice).`,
      { limit: 'cost', max: MAX_REGEX_COST },
    );
  }
  try {
    compile(pattern, flags);
  } catch {
    throw reasonError(
      'invalid_request',
      'regex_invalid',
      '$regex is not a valid regular expression (RE2 syntax: no backreferences or lookaround).',
      { operator: '$regex' },
    );
  }
  if (nested || repetitions > MAX_REPETITIONS || hasQuantifiedAlternation(pattern)) {
    throw tooComplex(
      '$regex could take too long to evaluate (nested quantifiers or a repeated group of alternatives).',
    );
  }
  return cost;
}

/** The regexes of one filter: each checked, and their costs together within MAX_FILTER_REGEX_COST. */
export class RegexBudget {
  private spent = 0;

  check(pattern: string, flags: string): void {
    this.spent += assertSafeRegex(pattern, flags);
    if (this.spent > MAX_FILTER_REGEX_COST) {
      throw tooComplex(`The filter's regexes together are too complex to compile (over ${MAX_FILTER_REGEX_COST}).`, {
        limit: 'filterCost',
        max: MAX_FILTER_REGEX_COST,
      });
    }
  }
}

/** Tests a pre-validated pattern against a value; non-strings and oversized strings never match. */
export function regexMatches(pattern: string, flags: '' | 'i', value: unknown): boolean {
  if (typeof value !== 'string' || value.length > MAX_REGEX_SUBJECT) return false;
  return compile(pattern, flags).test(value);
}

/**
 * What the checks need to know about a pattern, from its text alone (RE2 syntax):
 * - `cost`: an estimate of the size of RE2's compiled program: each atom (a character, an escape,
 *   a class) counts 1, a group its contents, and a counted repetition `{n,m}` multiplies what it
 *   repeats by max(n, m) — nested ones multiply again;
 * - `nested`: a repetition applies to something that holds a repetition (`(a+)+`, `(a*b?){2}`):
 *   star height above 1, which backtracking engines (MongoDB's) explode on;
 * - `repetitions`: how many quantifiers there are.
 * Malformed patterns get some answer; the compiler then calls them invalid.
 */
export function regexShape(pattern: string): { cost: number; nested: boolean; repetitions: number } {
  interface Frame {
    total: number;
    /** Cost of the last atom or group, which a following quantifier repeats. */
    last: number;
    /** Whether the last atom or group holds a repetition, and whether the frame does. */
    lastRepeats: boolean;
    repeats: boolean;
  }
  const frame = (): Frame => ({ total: 0, last: 0, lastRepeats: false, repeats: false });
  const stack: Frame[] = [frame()];
  let top = stack[0]!;
  let nested = false;
  let repetitions = 0;
  const atom = (cost: number, repeats = false) => {
    top.total += cost;
    top.last = cost;
    top.lastRepeats = repeats;
    top.repeats ||= repeats;
  };
  const quantified = () => {
    repetitions++;
    if (top.lastRepeats) nested = true;
    top.lastRepeats = true;
    top.repeats = true;
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === 'Q') {
        // \Q…\E: literal text.
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end === -1 ? pattern.length : end;
        atom(stop - i - 2);
        i = end === -1 ? pattern.length : end + 1;
      } else if ((next === 'p' || next === 'P' || next === 'x') && pattern[i + 2] === '{') {
        // \p{Greek}, \x{e9}: the braces belong to the escape, not a repetition.
        const close = pattern.indexOf('}', i + 3);
        i = close === -1 ? pattern.length : close;
        atom(1);
      } else {
        i += next === 'p' || next === 'P' ? 2 : 1;
        atom(1);
      }
    } else if (c === '[') {
      i++;
      if (pattern[i] === '^') i++;
      if (pattern[i] === ']') i++;
      while (i < pattern.length && pattern[i] !== ']') {
        if (pattern[i] === '[' && pattern[i + 1] === ':') {
          const close = pattern.indexOf(':]', i + 2);
          i = close === -1 ? pattern.length : close + 2;
        } else i += pattern[i] === '\\' ? 2 : 1;
      }
      atom(1);
    } else if (c === '(') {
      stack.push((top = frame()));
      // (?:…), (?i), (?i-s:…), (?P<name>…), (?<name>…): the prefix is not a quantifier.
      if (pattern[i + 1] === '?') {
        const named = /^\?P?<[^>]*>/.exec(pattern.slice(i + 1, i + 80));
        const flags = /^\?[A-Za-z-]*:?/.exec(pattern.slice(i + 1, i + 20))!;
        i += (named ?? flags)[0].length;
      }
    } else if (c === ')' && stack.length > 1) {
      const inner = stack.pop()!;
      top = stack[stack.length - 1]!;
      atom(inner.total + 1, inner.repeats);
    } else if (c === '|') {
      top.total += 1;
      top.last = 0;
      top.lastRepeats = false;
    } else if (c === '{') {
      const m = /^\{(\d{1,7})(,(\d{0,7}))?\}/.exec(pattern.slice(i, i + 17));
      if (!m) {
        atom(1);
        continue;
      }
      const min = Number(m[1]);
      const max = m[3] ? Number(m[3]) : m[2] !== undefined ? min + 1 : min;
      const times = Math.min(Math.max(min, max, 1), MAX_REPEAT);
      top.total += top.last * (times - 1);
      top.last *= times;
      quantified();
      i += m[0].length - 1;
    } else if (c === '*' || c === '+' || c === '?') {
      // A `?` right after a quantifier makes it lazy; it is not another repetition.
      const prev = pattern[i - 1];
      if (c === '?' && (prev === '*' || prev === '+' || prev === '?' || prev === '}') && top.lastRepeats) continue;
      top.total += 1;
      quantified();
    } else {
      atom(1);
    }
  }
  // An unbalanced `(`: count what is open (the compiler then calls the pattern invalid).
  return { cost: stack.reduce((sum, f) => sum + f.total, 0), nested, repetitions };
}

/** Whether a group holding a top-level `|` is followed by a quantifier (`(x|y)*`, `(x|y){2,}`). */
function hasQuantifiedAlternation(pattern: string): boolean {
  const groups: boolean[] = []; // per open group: has it a top-level `|`?
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      // Skip a character class: `]` right after `[` or `[^` is literal.
      i++;
      if (pattern[i] === '^') i++;
      if (pattern[i] === ']') i++;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
    } else if (c === '(') {
      groups.push(false);
    } else if (c === '|') {
      if (groups.length > 0) groups[groups.length - 1] = true;
    } else if (c === ')') {
      const alternated = groups.pop() ?? false;
      const next = pattern[i + 1];
      if (alternated && (next === '*' || next === '+' || next === '?' || next === '{')) return true;
    }
  }
  return false;
}
