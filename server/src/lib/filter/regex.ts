import safeRegex from 'safe-regex2';
import { invalidRequest } from '../../errors.js';

/**
 * Regexes come from requests, so they are checked before anything evaluates them:
 * a length limit, a star-height check (safe-regex2) that refuses patterns with nested
 * quantifiers (the catastrophic-backtracking shapes), no backreferences, and engines only test
 * strings up to MAX_REGEX_SUBJECT characters.
 */
export const MAX_REGEX_LENGTH = 256;
export const MAX_REGEX_SUBJECT = 10_000;

export function assertSafeRegex(pattern: string, flags: string): void {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw invalidRequest(`$regex is longer than ${MAX_REGEX_LENGTH} characters.`, { operator: '$regex' });
  }
  if (flags !== '' && flags !== 'i') {
    throw invalidRequest('$options supports only "i".', { operator: '$options' });
  }
  let compiled: RegExp;
  try {
    compiled = new RegExp(pattern, flags);
  } catch {
    throw invalidRequest('$regex is not a valid regular expression.', { operator: '$regex' });
  }
  if (/\\[1-9]|\\k</.test(pattern)) {
    throw invalidRequest('$regex may not use backreferences.', { operator: '$regex' });
  }
  if (!safeRegex(compiled, { limit: 25 })) {
    throw invalidRequest('$regex could take too long to evaluate (nested quantifiers).', { operator: '$regex' });
  }
}

const cache = new Map<string, RegExp>();

/** Tests a pre-validated pattern against a value; non-strings and oversized strings never match. */
export function regexMatches(pattern: string, flags: '' | 'i', value: unknown): boolean {
  if (typeof value !== 'string' || value.length > MAX_REGEX_SUBJECT) return false;
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (!re) {
    re = new RegExp(pattern, flags);
    if (cache.size > 1000) cache.clear();
    cache.set(key, re);
  }
  return re.test(value);
}
