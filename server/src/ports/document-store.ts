import type { FilterNode, JsonValue, Path, SortSpec } from '../lib/filter/types.js';

/**
 * The document store port. Every piece of persistent state (app data, users, apps, keys, audit,
 * jobs…) goes through it. Engines: SQLite (embedded default) and MongoDB.
 *
 * Isolation by construction: the only way to data is `store.forApp(appId)`, and an `AppStore`
 * can only name collections of its own app. App ids match ID_PATTERN and collection names
 * NAME_PATTERN (lib/ids.ts); system state lives in the reserved app `SYSTEM_APP`.
 *
 * Errors: engines throw HearthError (errors.ts) with
 * - `not_found` for a missing document,
 * - `conflict` with details `{reason: 'version', expected, actual}` for a version mismatch, or
 *   `{reason: 'unique', index, fields, ids}` for a unique violation (`ids`: the clashing stored
 *   document ids),
 * - `invalid_request` for a bad cursor or an impossible operation (e.g. $inc on a string),
 * - `unavailable` when the engine cannot be reached.
 * Any provider error is mapped to one of these; nothing provider-specific leaves an engine: no
 * driver code name or message is in an error's message or details (the provider error is only
 * its `cause`, for logs).
 *
 * Bad input has one answer, the same on every engine (the conformance suite pins each case):
 * - a document id that cannot exist (not ID_PATTERN): `get` returns null and `update`, `replace`
 *   and `delete` (alone or in a batch) are `not_found`, exactly as for a well-formed id that is
 *   absent; `create` with such an id is `invalid_request`;
 * - a collection name that is not NAME_PATTERN, or an app id that is not ID_PATTERN (nor
 *   SYSTEM_APP), is `invalid_request` on every call (`forApp` throws);
 * - malformed input in a filter, sort, cursor or index spec is `invalid_request`, and a cursor
 *   value that looks like an operator is a forged cursor (`invalid_request`), never a query;
 * - a top-level field name starting with `$` (in data, or as the first segment of an update
 *   path) is `invalid_request`; below the top level `$` and `.` in keys are plain data.
 * Bad input never changes anything.
 */

export const SYSTEM_APP = '_system';

/** Fields every document has; clients cannot write them. */
export const SYSTEM_FIELDS = ['id', 'createdAt', 'updatedAt', 'owner', 'version'] as const;
export type SystemField = (typeof SYSTEM_FIELDS)[number];

export interface StoredDocument {
  id: string;
  /** ISO-8601 UTC. */
  createdAt: string;
  updatedAt: string;
  owner: string | null;
  /** Starts at 1, +1 on every write. */
  version: number;
  [field: string]: unknown;
}

/** Plain field data (no system fields). Values are JSON; dates are ISO-8601 strings. */
export type DocumentData = Record<string, JsonValue>;

export interface CreateInput {
  data: DocumentData;
  owner?: string | null;
  /** Chosen by the engine (newId) when absent. A duplicate id is a `conflict`. */
  id?: string;
}

/**
 * Update operators, already normalised by the caller. Paths may be dotted.
 * All of them are applied atomically with the version check.
 */
export interface UpdateSpec {
  /** Merge these values in (PATCH). */
  set?: Record<Path, JsonValue>;
  unset?: Path[];
  /** Add to a number (missing counts as 0); on a non-number it is `invalid_request`. */
  inc?: Record<Path, number>;
  /** Append each value (missing array is created). */
  push?: Record<Path, JsonValue[]>;
  /** Append each value not already present (deep equality). */
  addToSet?: Record<Path, JsonValue[]>;
  /** Remove every element deep-equal to one of the values. */
  pull?: Record<Path, JsonValue[]>;
  /** Change the owner. */
  owner?: string | null;
}

export interface WriteOptions {
  /** When set, the write only happens if the stored version equals it (else `conflict`). */
  expectedVersion?: number;
  /** When set, the write only happens if the stored document also matches this filter (else `not_found`). */
  where?: FilterNode;
}

export interface FindOptions {
  filter?: FilterNode;
  /** Multi-key sort; `id` ascending is always appended as the final tie-break. Default: id. */
  sort?: SortSpec;
  /** 1..1000 (callers enforce the API's bounds). */
  limit: number;
  /** Opaque keyset cursor from a previous page's `next` (same filter and sort). */
  after?: string;
  /** Rows to skip (after applying `after`). */
  offset?: number;
  /** Projection: top-level or dotted paths to return; `id` is always returned. Absent: all. */
  fields?: Path[];
}

export interface FindResult {
  items: StoredDocument[];
  /** Cursor for the next page, or null when this page is the last. */
  next: string | null;
}

/** A page of `findJson`: each document as JSON text. */
export interface FindJsonResult {
  /** `JSON.stringify` of each document `find` would return (same order, same keys). */
  items: string[];
  next: string | null;
}

export type CountMode = 'exact' | 'estimated';

export type IndexSpec =
  | {
      kind: 'regular';
      /** [A-Za-z][A-Za-z0-9_]*, unique per collection. */
      name: string;
      fields: ReadonlyArray<{ path: Path; dir: 1 | -1 }>;
      unique?: boolean;
    }
  | { kind: 'text'; name: string; fields: Path[] };

export type Accumulator = { op: 'count' } | { op: 'sum' | 'avg' | 'min' | 'max'; path: Path };

/**
 * Aggregation pipeline (already validated). `$group` output rows are flat:
 * `{ [byPath]: value, ..., [accumulatorName]: value }`; stages after a `$group` see those rows.
 * `sum`/`avg` ignore non-numbers (avg of nothing is null); `min`/`max` compare like sort.
 */
export type AggregateStage =
  | { stage: 'match'; filter: FilterNode }
  | { stage: 'group'; by: Path[]; accumulators: Record<string, Accumulator> }
  | { stage: 'sort'; sort: SortSpec }
  | { stage: 'limit'; limit: number };

export type BatchOp =
  | ({ op: 'create'; collection: string } & CreateInput)
  | ({ op: 'update'; collection: string; id: string; update: UpdateSpec } & WriteOptions)
  | ({ op: 'replace'; collection: string; id: string; data: DocumentData } & WriteOptions)
  | ({ op: 'delete'; collection: string; id: string } & WriteOptions);

/** A condition on the state after a batch's ops (see `AppStore.batch`). */
export interface BatchRequirement {
  collection: string;
  filter: FilterNode;
  /** true: some document must match; false: none may. */
  exists: boolean;
  /** The conflict's message when it does not hold, and details merged into `{reason: 'precondition'}`. */
  message: string;
  details?: Record<string, unknown>;
}

export interface AppStore {
  readonly appId: string;

  create(collection: string, input: CreateInput): Promise<StoredDocument>;
  /** null when missing (or when `where` does not match). */
  get(
    collection: string,
    id: string,
    options?: { fields?: Path[]; where?: FilterNode },
  ): Promise<StoredDocument | null>;
  update(collection: string, id: string, update: UpdateSpec, options?: WriteOptions): Promise<StoredDocument>;
  /** Replace all non-system fields (PUT). */
  replace(collection: string, id: string, data: DocumentData, options?: WriteOptions): Promise<StoredDocument>;
  /** Returns the deleted document. */
  delete(collection: string, id: string, options?: WriteOptions): Promise<StoredDocument>;

  find(collection: string, options: FindOptions): Promise<FindResult>;
  /**
   * `find` without a projection, each document as its JSON text (what `JSON.stringify` makes of
   * the document `find` returns): for replies that send whole documents, so an engine that stores
   * JSON text hands it over without parsing and re-serialising it. Same page and `next` as `find`.
   */
  findJson(collection: string, options: Omit<FindOptions, 'fields'>): Promise<FindJsonResult>;
  count(collection: string, options?: { filter?: FilterNode; mode?: CountMode }): Promise<number>;
  aggregate(collection: string, pipeline: AggregateStage[]): Promise<Record<string, JsonValue>[]>;

  /** Create (idempotent by name). A unique index that existing data violates is a `conflict`. */
  ensureIndex(collection: string, index: IndexSpec): Promise<void>;
  dropIndex(collection: string, name: string): Promise<void>;
  listIndexes(collection: string): Promise<IndexSpec[]>;

  /**
   * All-or-nothing: either every op applies or none does (the first failure is thrown).
   * `require`: conditions checked after the ops, in the same transaction; if one does not hold,
   * nothing applies and the batch fails with `conflict` `{reason: 'precondition', ...details}`.
   * (Referential integrity uses them: a referenced document still exists, nothing still refers
   * to a deleted one.)
   */
  batch(ops: BatchOp[], options?: { require?: BatchRequirement[] }): Promise<StoredDocument[]>;

  /**
   * The names of this app's collections (engine level, `_`-prefixed ones included), ascending:
   * every collection that holds a document or an index. A dropped collection is not listed; one
   * emptied by deletes and without indexes may or may not be. For backups.
   */
  listCollections(): Promise<string[]>;

  /**
   * Restore only (modules/backups; no public route reaches it): inserts the documents exactly as
   * given, keeping `id`, `createdAt`, `updatedAt`, `owner` and `version`. Each document must be a
   * well-formed stored document (ID_PATTERN id, ISO timestamps, version a positive integer, owner
   * a string or null, no forbidden top-level name), else `invalid_request` before anything is
   * written. An id already present, or a unique clash, is a `conflict`; documents of the same
   * call before the clashing one may then be stored (restores write into a new, empty app and
   * remove it when they fail).
   */
  importDocuments(collection: string, docs: StoredDocument[]): Promise<void>;

  /** Delete a collection's documents and indexes. */
  dropCollection(collection: string): Promise<void>;
  /** Delete every collection of this app. */
  dropApp(): Promise<void>;
}

export interface DocumentStore {
  readonly engine: 'sqlite' | 'mongodb';
  forApp(appId: string): AppStore;
  /** Throws `unavailable` when the engine cannot serve requests (used by /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
