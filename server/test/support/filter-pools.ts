import type { JsonScalar } from '../../src/lib/filter/types.js';

/** The small value pools the filter arbitraries draw from (filter-arbitraries.ts). */
export const INT_POOL = [-2, -1, 0, 1, 2, 3] as const;
export const NUMBER_POOL = [...INT_POOL, -1.5, 0.5, 2.5, 100] as const;
/** Case variants and unicode, incl. an astral character and U+FF01 (they sort differently in UTF-16). */
export const STRING_POOL = [
  '',
  'a',
  'A',
  'b',
  'apple',
  'Apple',
  'APPLE',
  'banana',
  'zebra',
  '10',
  '9',
  'a b',
  'é',
  'É',
  'ümlaut',
  'Ümlaut',
  '日本',
  '\uff01',
  '😀',
] as const;
export const TAG_POOL = ['red', 'Red', 'green', 'blue', 'ünï', '😀'] as const;
/** Strings most documents hold, so that equality on `s` hits often; the rest of STRING_POOL is rarer. */
export const HOT_STRINGS = ['a', 'apple', 'Apple', 'b', 'ümlaut'] as const;
export const MIXED_POOL = [0, 1, 2, '1', 'a', 'A', 'b', true, false] as const;
export const OBJ_Y_POOL = ['a', 'apple', 'Ä'] as const;
/** Values of other types, so that filters also probe type bracketing. */
export const WILD_POOL: readonly JsonScalar[] = [0, 1, 'a', 'red', true, null];

export type Regex = { pattern: string; flags: '' | 'i' };
export const rx = (pattern: string, flags: '' | 'i' = ''): Regex => ({ pattern, flags });
/** Patterns for any field (fields with strings also have their own pool that hits more often). */
export const REGEX_POOL: readonly Regex[] = [
  rx('^a'),
  rx('^a', 'i'),
  rx('an'),
  rx('e$'),
  rx('^[A-Z]'),
  rx('ü'),
  rx('^$'),
  rx('p.e'),
  rx('\\d'),
  rx('^ap+le$', 'i'),
  rx('b|z'),
  rx('RED', 'i'),
  rx('^re'),
  rx('日'),
];

/** Fields that never hold arrays or objects, so sorting on them means the same everywhere. */
export const SORT_FIELDS = ['b', 'c', 'n', 's', 'obj.x', 'obj.y'] as const;
