import { compareStrings, deepEqual, getPath, isPlainObject } from './compare.js';
import { regexMatches } from './regex.js';
import type { FieldCondition, FilterNode, JsonValue } from './types.js';

/**
 * The reference semantics of the filter language (see types.ts). Both engines must return exactly
 * the documents for which `matches` is true; the property tests compare them against it.
 *
 * MongoDB's rule for arrays, which everything below follows: a condition on a field whose value is
 * an array is tried against the array itself and against each of its elements (one level deep),
 * and holds if any of those "candidates" satisfies it. `$ne`, `$nin` and `$not` are the plain
 * negations of `$eq`, `$in` and their conditions, so `{a: {$ne: 5}}` does not match `a: [5, 6]`.
 * `$size`, `$all` and `$elemMatch` look at the array as a whole.
 */

export interface MatchOptions {
  /** Paths of the collection's searchable fields, for `$text`. Without them `$text` matches nothing. */
  textFields?: readonly string[];
}

export function matches(filter: FilterNode, doc: Record<string, unknown>, options: MatchOptions = {}): boolean {
  switch (filter.op) {
    case 'all':
      return true;
    case 'and':
      return filter.children.every((child) => matches(child, doc, options));
    case 'or':
      return filter.children.some((child) => matches(child, doc, options));
    case 'nor':
      return !filter.children.some((child) => matches(child, doc, options));
    case 'field': {
      const value = getPath(doc, filter.path);
      return filter.conds.every((cond) => conditionHolds(cond, value, true));
    }
    case 'text':
      return textMatches(filter.search, doc, options.textFields ?? []);
  }
}

/**
 * Whether one condition holds for a field value (undefined = missing). `expandArrays` is true for
 * a document field and false for an element inside `$elemMatch` (MongoDB tests the element
 * itself there, without looking into nested arrays).
 */
function conditionHolds(cond: FieldCondition, value: unknown, expandArrays: boolean): boolean {
  const candidates = expandArrays && Array.isArray(value) ? [value, ...value] : [value];
  switch (cond.op) {
    case 'eq':
      return equalsAny(candidates, cond.value);
    case 'ne':
      return !equalsAny(candidates, cond.value);
    case 'in':
      return cond.values.some((target) => equalsAny(candidates, target));
    case 'nin':
      return !cond.values.some((target) => equalsAny(candidates, target));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const { op, value: bound } = cond;
      return candidates.some((candidate) => rangeHolds(op, candidate, bound));
    }
    case 'exists':
      return (value !== undefined) === cond.value;
    case 'regex':
      return candidates.some((candidate) => regexMatches(cond.pattern, cond.flags, candidate));
    case 'all':
      // MongoDB: {$all: [x, y]} is {$and: [{f: x}, {f: y}]}; an empty list matches nothing.
      return cond.values.length > 0 && cond.values.every((target) => equalsAny(candidates, target));
    case 'size':
      return Array.isArray(value) && value.length === cond.value;
    case 'elemMatch':
      return Array.isArray(value) && value.some((element) => elementMatches(cond, element));
    case 'not':
      return !cond.conds.every((inner) => conditionHolds(inner, value, expandArrays));
  }
}

/**
 * Equality against a target: some candidate deep-equals it. `null` also matches a missing field
 * (the only candidate is then undefined).
 */
function equalsAny(candidates: unknown[], target: JsonValue): boolean {
  return candidates.some((candidate) =>
    target === null ? candidate === null || candidate === undefined : deepEqual(candidate, target),
  );
}

/** Range comparisons only within one type: numbers with numbers, strings with strings. */
function rangeHolds(op: 'gt' | 'gte' | 'lt' | 'lte', candidate: unknown, bound: string | number): boolean {
  let order: number;
  if (typeof bound === 'number' && typeof candidate === 'number') {
    order = candidate < bound ? -1 : candidate > bound ? 1 : 0;
  } else if (typeof bound === 'string' && typeof candidate === 'string') {
    order = compareStrings(candidate, bound);
  } else {
    return false;
  }
  switch (op) {
    case 'gt':
      return order > 0;
    case 'gte':
      return order >= 0;
    case 'lt':
      return order < 0;
    case 'lte':
      return order <= 0;
  }
}

function elementMatches(cond: Extract<FieldCondition, { op: 'elemMatch' }>, element: unknown): boolean {
  if (cond.filter) return isPlainObject(element) && matches(cond.filter, element);
  return (cond.conds ?? []).every((inner) => conditionHolds(inner, element, false));
}

/**
 * Words of a text, for `$text`: split on anything that is not a letter, digit or combining mark
 * (Unicode-aware), lower-cased. Engines use the same tokenisation.
 */
export function textTokens(text: string): string[] {
  return (
    text
      .toLowerCase()
      // Final sigma: JavaScript lower-cases Σ to ς at the end of a word and to σ elsewhere; one form
      // makes "ΟΔΟΣ", "οδος" and "οδοσ" the same word.
      .replaceAll('ς', 'σ')
      .split(/[^\p{L}\p{N}\p{M}]+/u)
      .filter((token) => token.length > 0)
  );
}

/**
 * `$text`: every word of the search appears as a whole word in at least one searchable field
 * (string fields, or string elements of array fields). Case-insensitive.
 */
function textMatches(search: string, doc: Record<string, unknown>, textFields: readonly string[]): boolean {
  const terms = textTokens(search);
  if (terms.length === 0) return false;
  const words = new Set<string>();
  for (const path of textFields) {
    const value = getPath(doc, path);
    const texts = Array.isArray(value) ? value : [value];
    for (const text of texts) {
      if (typeof text === 'string') for (const word of textTokens(text)) words.add(word);
    }
  }
  return terms.every((term) => words.has(term));
}
