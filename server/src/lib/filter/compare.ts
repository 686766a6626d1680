/**
 * Ordering and equality of JSON values, shared by the reference evaluator, sorting and min/max.
 *
 * The order follows MongoDB's BSON comparison order restricted to JSON types:
 *   missing = null < numbers < strings < objects < arrays < booleans (false < true).
 * Numbers compare numerically. Strings compare by Unicode code point, which is the order of their
 * UTF-8 bytes: MongoDB's default ("simple", binary) collation and SQLite's BINARY collation both
 * compare UTF-8 bytes. (Plain UTF-16 code-unit order, what JS `<` does, differs for characters
 * above U+FFFF versus U+E000–U+FFFF, so it is not used.)
 * Arrays compare element by element, then by length. Objects compare as their entries sorted by
 * key (key first, then value), then by size, so `compareValues(a, b) === 0` exactly when
 * `deepEqual(a, b)` for JSON values.
 */

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Rank of a value's type in the sort order. Missing (undefined) and null share a rank: MongoDB
 * sorts a missing field as null.
 */
function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return 1;
  if (typeof v === 'string') return 2;
  if (typeof v === 'boolean') return 5;
  if (Array.isArray(v)) return 4;
  return 3;
}

const sign = (x: number, y: number): number => (x < y ? -1 : x > y ? 1 : 0);

/**
 * Maps a UTF-16 code unit so that surrogates (code points ≥ U+10000) sort after U+E000–U+FFFF,
 * which turns code-unit order into code-point order.
 */
const codePointOrderUnit = (u: number): number => (u >= 0xe000 ? u - 0x800 : u >= 0xd800 ? u + 0x2000 : u);

/** Strings by Unicode code point (= UTF-8 byte order). */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return sign(codePointOrderUnit(x), codePointOrderUnit(y));
  }
  return sign(a.length, b.length);
}

/** A total order over JSON values (plus undefined = missing, equal to null). Returns -1, 0 or 1. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return sign(ra, rb);
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return sign(a as number, b as number);
    case 2:
      return compareStrings(a as string, b as string);
    case 5:
      return sign(Number(a), Number(b));
    case 4:
      return compareArrays(a as unknown[], b as unknown[]);
    default:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>);
  }
}

function compareArrays(a: unknown[], b: unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return sign(a.length, b.length);
}

function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a).sort(compareStrings);
  const kb = Object.keys(b).sort(compareStrings);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const keyA = ka[i]!;
    const keyB = kb[i]!;
    const byKey = compareStrings(keyA, keyB);
    if (byKey !== 0) return byKey;
    const byValue = compareValues(a[keyA], b[keyB]);
    if (byValue !== 0) return byValue;
  }
  return sign(ka.length, kb.length);
}

/** Structural equality of JSON values; object key order does not matter, array order does. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The value at a dotted path, or undefined when any step is missing. Steps only descend into
 * plain objects: a path through an array (or a scalar) is missing. Only own properties are read.
 */
export function getPath(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  for (const segment of path.split('.')) {
    if (!isPlainObject(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}
