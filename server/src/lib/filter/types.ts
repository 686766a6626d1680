/**
 * The filter language as a typed tree. User JSON (a subset of MongoDB's query language) is parsed
 * and validated once by `parseFilter` (parse.ts); engines only ever see this tree and compile it
 * (SQLite → SQL, MongoDB → a MongoDB query). `evaluate` (evaluate.ts) is the reference semantics
 * both engines must agree with.
 *
 * Semantics follow MongoDB's for the supported subset:
 * - a condition on a path whose value is an array matches when the array itself or any element
 *   matches (`{tags: "a"}` matches `tags: ["a","b"]`), except `$size`, `$all`, `$elemMatch`,
 *   which look at the array;
 * - `$eq: null` matches null and missing; `$ne` / `$nin` match missing;
 * - `$gt/$gte/$lt/$lte` compare within one type only (numbers with numbers, strings with strings;
 *   dates are ISO-8601 strings and compare as strings);
 * - dotted paths descend into nested objects (not into arrays of objects).
 */

/** A dotted path of identifier segments, e.g. "address.city". Never starts with `$`. */
export type Path = string;

export type JsonScalar = string | number | boolean | null;
export type JsonValue = JsonScalar | JsonValue[] | { [key: string]: JsonValue };

export type FieldCondition =
  | { op: 'eq' | 'ne'; value: JsonValue }
  | { op: 'gt' | 'gte' | 'lt' | 'lte'; value: string | number }
  | { op: 'in' | 'nin'; values: JsonValue[] }
  | { op: 'exists'; value: boolean }
  /** `pattern` has passed the regex checks (regex.ts: valid RE2, no explosive shapes); flags is '' or 'i'. */
  | { op: 'regex'; pattern: string; flags: '' | 'i' }
  | { op: 'all'; values: JsonValue[] }
  | { op: 'size'; value: number }
  /**
   * `$elemMatch`: an array element matches `conds` (element is a scalar: `{$elemMatch: {$gt: 1}}`)
   * or `filter` (element is an object: `{$elemMatch: {qty: {$gt: 1}}}`). Exactly one is set.
   */
  | { op: 'elemMatch'; conds?: FieldCondition[]; filter?: FilterNode }
  /** `$not`: the conditions (ANDed) do not hold. Matches missing fields. */
  | { op: 'not'; conds: FieldCondition[] };

export type FilterNode =
  /** Matches every document (the empty filter `{}`). */
  | { op: 'all' }
  | { op: 'and' | 'or' | 'nor'; children: FilterNode[] }
  /** All `conds` hold for the value at `path`. */
  | { op: 'field'; path: Path; conds: FieldCondition[] }
  /** Full-text search over the collection's searchable fields (top level only). */
  | { op: 'text'; search: string };

export const MATCH_ALL: FilterNode = { op: 'all' };

export type SortDirection = 1 | -1;
export type SortSpec = ReadonlyArray<{ path: Path; dir: SortDirection }>;
