import type { Document } from 'mongodb';
import { isPlainObject } from '../../lib/filter/compare.js';
import type { JsonValue, SortSpec } from '../../lib/filter/types.js';
import type { CursorPosition } from '../../lib/cursor.js';
import { MATCH_NOTHING, andQueries } from './filter.compile.js';
import { storedPath } from './paths.js';

/**
 * Sorts and keyset cursors in MongoDB terms. The order is the port's: the sort keys, then `id`
 * ascending (normaliseSort already cut the keys after an explicit `id`). MongoDB's own order of
 * types matches the reference's for JSON values (null/missing < numbers < strings < objects <
 * arrays < booleans), so a cursor position becomes "strictly after the last row" as an `$or` of
 * range conditions that also step across types.
 *
 * Sorting on a field that holds arrays is where MongoDB differs (it sorts by the smallest or
 * largest element); the port's sort keys are meant for scalar fields.
 */

/** The sort as MongoDB `[path, dir]` pairs (an array keeps the key order), `_id` last. */
export function mongoSort(sort: SortSpec): Array<[string, 1 | -1]> {
  const pairs: Array<[string, 1 | -1]> = sort.map(({ path, dir }) => [storedPath(path), dir]);
  if (!pairs.some(([p]) => p === '_id')) pairs.push(['_id', 1]);
  return pairs;
}

/** Type ranks of the value order, with MongoDB `$type` aliases. */
const TYPES = ['null', 'number', 'string', 'object', 'array', 'bool'] as const;

function rank(v: JsonValue): number {
  if (v === null) return 0;
  if (typeof v === 'number') return 1;
  if (typeof v === 'string') return 2;
  if (typeof v === 'boolean') return 5;
  return Array.isArray(v) ? 4 : isPlainObject(v) ? 3 : 0;
}

/** Documents whose value at `path` is of one of these type ranks (rank 0 = null or missing). */
function ofRanks(path: string, ranks: number[]): Document {
  const parts = ranks.map((r) => (r === 0 ? { [path]: null } : { [path]: { $type: TYPES[r] } }));
  return parts.length === 0 ? MATCH_NOTHING : parts.length === 1 ? parts[0]! : { $or: parts };
}

/** Value at `path` sorts equal to `v`. */
function equalTo(path: string, v: JsonValue): Document {
  return v === null ? { [path]: null } : { [path]: { $eq: v } };
}

/** Value at `path` comes strictly after `v` in direction `dir`. */
function after(path: string, v: JsonValue, dir: 1 | -1): Document {
  // Ids are always strings.
  if (path === '_id') return { _id: { [dir === 1 ? '$gt' : '$lt']: v } };
  const r = rank(v);
  const sameType: Document | null =
    r === 0
      ? null
      : r === 5
        ? dir === 1
          ? v === false
            ? { [path]: true }
            : null
          : v === true
            ? { [path]: false }
            : null
        : { [path]: { [dir === 1 ? '$gt' : '$lt']: v } };
  const otherRanks = [0, 1, 2, 3, 4, 5].filter((x) => (dir === 1 ? x > r : x < r));
  const parts = [...(sameType ? [sameType] : []), ...(otherRanks.length ? [ofRanks(path, otherRanks)] : [])];
  return parts.length === 0 ? MATCH_NOTHING : parts.length === 1 ? parts[0]! : { $or: parts };
}

/** Documents strictly after the cursor position in the order of `sort` (+ `_id`). */
export function afterPosition(sort: SortSpec, position: CursorPosition): Document {
  const keys: Array<{ path: string; dir: 1 | -1; value: JsonValue }> = sort.map(({ path, dir }, i) => ({
    path: storedPath(path),
    dir,
    value: position.values[i] ?? null,
  }));
  if (!keys.some((k) => k.path === '_id')) keys.push({ path: '_id', dir: 1, value: position.id });
  const branches: Document[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const equalBefore = keys.slice(0, i).map((k) => equalTo(k.path, k.value));
    branches.push(andQueries([...equalBefore, after(key.path, key.value, key.dir)]));
  }
  return branches.length === 1 ? branches[0]! : { $or: branches };
}
