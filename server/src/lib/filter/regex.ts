import { RE2JS } from 're2js';
import safeRegex from 'safe-regex2';
import { invalidRequest } from '../../errors.js';

/**
 * Regexes come from requests (filters, schema `pattern`s), so they never run on a backtracking
 * engine in this process: patterns are compiled and matched by RE2 (re2js, pure JS), whose
 * matching time is linear in the subject's length whatever the pattern — `^(.|.)*#$` included.
 * RE2 has no backreferences or lookaround; such patterns are refused as invalid. Patterns are
 * limited to MAX_REGEX_LENGTH characters and subjects to MAX_REGEX_SUBJECT (longer strings never
 * match), which bounds the work per value.
 *
 * The MongoDB engine hands patterns to the database, whose engine backtracks. So the shapes that
 * make backtracking explode are refused too: nested quantifiers (`(a+)+`, safe-regex2's star
 * height) and a quantified group with alternatives (`(.|.)*`, `(a|ab)+`).
 */
export const MAX_REGEX_LENGTH = 256;
export const MAX_REGEX_SUBJECT = 10_000;

const cache = new Map<string, RE2JS>();

function compile(pattern: string, flags: '' | 'i'): RE2JS {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (!re) {
    re = RE2JS.compile(pattern, flags === 'i' ? RE2JS.CASE_INSENSITIVE : 0);
    if (cache.size > 1000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

export function assertSafeRegex(pattern: string, flags: string): void {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw invalidRequest(`$regex is longer than ${MAX_REGEX_LENGTH} characters.`, { operator: '$regex' });
  }
  if (flags !== '' && flags !== 'i') {
    throw invalidRequest('$options supports only "i".', { operator: '$options' });
  }
  if (!safeRegex(pattern, { limit: 25 }) || hasQuantifiedAlternation(pattern)) {
    throw invalidRequest(
      '$regex could take too long to evaluate (nested quantifiers or a repeated group of alternatives).',
      {
        operator: '$regex',
      },
    );
  }
  try {
    compile(pattern, flags);
  } catch {
    throw invalidRequest('$regex is not a valid regular expression (RE2 syntax: no backreferences or lookaround).', {
      operator: '$regex',
    });
  }
}

/** Tests a pre-validated pattern against a value; non-strings and oversized strings never match. */
export function regexMatches(pattern: string, flags: '' | 'i', value: unknown): boolean {
  if (typeof value !== 'string' || value.length > MAX_REGEX_SUBJECT) return false;
  return compile(pattern, flags).test(value);
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
