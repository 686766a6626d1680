import type { ClientSession, Collection, Document } from 'mongodb';
import { HearthError, invalidRequest, unavailable } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { getPath } from '../../lib/filter/compare.js';
import type { FilterNode, JsonValue, Path } from '../../lib/filter/types.js';
import { ID_PATTERN } from '../../lib/ids.js';
import type {
  AggregateStage,
  AppStore,
  BatchOp,
  BatchRequirement,
  CountMode,
  CreateInput,
  DocumentData,
  FindOptions,
  FindResult,
  IndexSpec,
  StoredDocument,
  UpdateSpec,
  WriteOptions,
} from '../../ports/document-store.js';
import { pushdownPrefix, runStagesAsync } from '../shared/aggregate.js';
import {
  applyUpdate,
  assertCollectionName,
  assertId,
  changeOf,
  documentNotFound,
  duplicateId,
  newDocument,
  normaliseSort,
  project,
  normaliseIndex,
  replacedDocument,
  requirementFailed,
  uniqueConflict,
  sortValues,
  versionConflict,
} from '../shared/documents.js';
import {
  createPhysicalIndex,
  physicalIndexName,
  physicalKeys,
  type Catalog,
  type RawDoc,
  type StoredIndex,
} from './catalog.js';
import { fromStored, toStored } from './documents.js';
import { guarded, isDuplicateKey, mapMongoError } from './errors.js';
import { andQueries, compileFilter, usesText } from './filter.compile.js';
import { storedPath } from './paths.js';
import { afterPosition, mongoSort } from './sort.compile.js';

/** What an app store needs from the document store. */
export interface StoreContext {
  catalog: Catalog;
  now(): string;
  /** Attempts of the read → compute → compare-and-set loop before giving up as `unavailable`. */
  maxWriteAttempts: number;
  /** Starts a session for a batch transaction (only called when transactions are available). */
  startSession(): ClientSession;
}

type RegularIndex = Extract<IndexSpec, { kind: 'regular' }>;

const MAX_CLASHING_IDS = 20;
/** MongoDB types a unique index covers: everything but null (and missing). */
const NON_NULL_TYPES = ['number', 'string', 'object', 'array', 'bool'];

/**
 * One app's view of the MongoDB engine. Writes are read → compute in memory (the shared
 * applyUpdate / replacedDocument) → compare-and-set on `version` (`replaceOne({_id, version})`),
 * retried when another writer won the race and no expectedVersion was given. So `$inc`, `$push`,
 * `$pull`… are atomic under concurrency on every server (including test servers without those
 * update operators), the version check and `where` hold at the moment of the write, and the
 * result is exactly the shared semantics. The cost is one extra round trip per write and retries
 * under contention on one document.
 */
export class MongoAppStore implements AppStore {
  constructor(
    readonly appId: string,
    private readonly ctx: StoreContext,
  ) {}

  private get catalog(): Catalog {
    return this.ctx.catalog;
  }

  private collectionOf(collection: string, register = false): Promise<Collection<RawDoc>> {
    return this.catalog.collection(this.appId, collection, { register });
  }

  /** Compiles a filter, looking up the text fields when it uses `$text`. */
  private async query(collection: string, filter: FilterNode | undefined): Promise<Document> {
    if (!filter) return {};
    const textFields = usesText(filter) ? ((await this.catalog.entry(this.appId, collection))?.text?.fields ?? []) : [];
    return compileFilter(filter, { textFields });
  }

  // ---- reads ----------------------------------------------------------------------------------

  async get(
    collection: string,
    id: string,
    options: { fields?: Path[]; where?: FilterNode } = {},
  ): Promise<StoredDocument | null> {
    assertCollectionName(collection);
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return null;
    return guarded(async () => {
      const col = await this.collectionOf(collection);
      const where = await this.query(collection, options.where);
      const raw = await col.findOne(andQueries([{ _id: id }, where]), projectionOf(options.fields, []));
      return raw ? project(fromStored(raw), options.fields) : null;
    });
  }

  async find(collection: string, options: FindOptions): Promise<FindResult> {
    assertCollectionName(collection);
    const sort = normaliseSort(options.sort);
    const position = options.after !== undefined ? decodeCursor(sort, options.after) : null;
    const limit = Math.max(1, Math.min(Math.floor(options.limit), 1000));
    const offset = Math.max(0, Math.floor(options.offset ?? 0));
    return guarded(async () => {
      const col = await this.collectionOf(collection);
      const filter = await this.query(collection, options.filter);
      const query = andQueries([filter, position ? afterPosition(sort, position) : {}]);
      const rows = await col
        .find(query, {
          sort: mongoSort(sort),
          skip: offset,
          limit: limit + 1,
          ...projectionOf(
            options.fields,
            sort.map((s) => s.path),
          ),
        })
        .toArray();
      const docs = rows.slice(0, limit).map(fromStored);
      const last = docs[docs.length - 1];
      const next =
        rows.length > limit && last ? encodeCursor(sort, { values: sortValues(last, sort), id: last.id }) : null;
      return { items: docs.map((d) => project(d, options.fields)), next };
    });
  }

  async count(collection: string, options: { filter?: FilterNode; mode?: CountMode } = {}): Promise<number> {
    assertCollectionName(collection);
    return guarded(async () => {
      const col = await this.collectionOf(collection);
      const unfiltered = !options.filter || options.filter.op === 'all';
      if (options.mode === 'estimated' && unfiltered) return col.estimatedDocumentCount();
      return col.countDocuments(await this.query(collection, options.filter));
    });
  }

  async aggregate(collection: string, pipeline: AggregateStage[]): Promise<Record<string, JsonValue>[]> {
    assertCollectionName(collection);
    const { filters, sort, limit, rest } = pushdownPrefix(pipeline);
    return guarded(async () => {
      const col = await this.collectionOf(collection);
      const filter: FilterNode | undefined = filters.length === 0 ? undefined : { op: 'and', children: filters };
      // A leading $group only needs its own fields from each document.
      const first = rest[0];
      const groupPaths =
        first?.stage === 'group'
          ? [...first.by, ...Object.values(first.accumulators).flatMap((a) => (a.op === 'count' ? [] : [a.path]))]
          : null;
      const cursor = col.find(await this.query(collection, filter), groupPaths ? projectionOf(groupPaths, []) : {});
      if (sort) cursor.sort(mongoSort(normaliseSort(sort)));
      if (limit !== null && limit < 1) return [];
      if (limit !== null) cursor.limit(Math.floor(limit));
      // The documents stream from the server through the in-memory stages (a leading $group
      // keeps one state per group, not the documents).
      const rows = (async function* () {
        for await (const raw of cursor) yield fromStored(raw) as Record<string, unknown>;
      })();
      return (await runStagesAsync(rows, rest)) as Record<string, JsonValue>[];
    });
  }

  // ---- writes ---------------------------------------------------------------------------------

  async create(collection: string, input: CreateInput): Promise<StoredDocument> {
    assertCollectionName(collection);
    const doc = newDocument(input, this.ctx.now());
    return guarded(() => this.insert(collection, doc));
  }

  async update(
    collection: string,
    id: string,
    update: UpdateSpec,
    options: WriteOptions = {},
  ): Promise<StoredDocument> {
    return guarded(async () => {
      const { after } = await this.write(collection, id, options, (stored) =>
        applyUpdate(stored, update, this.ctx.now()),
      );
      return after!;
    });
  }

  async replace(
    collection: string,
    id: string,
    data: DocumentData,
    options: WriteOptions = {},
  ): Promise<StoredDocument> {
    return guarded(async () => {
      const { after } = await this.write(collection, id, options, (stored) =>
        replacedDocument(stored, data, this.ctx.now()),
      );
      return after!;
    });
  }

  async delete(collection: string, id: string, options: WriteOptions = {}): Promise<StoredDocument> {
    return guarded(async () => (await this.write(collection, id, options, () => null)).before);
  }

  private async insert(collection: string, doc: StoredDocument, session?: ClientSession): Promise<StoredDocument> {
    const col = await this.collectionOf(collection, true);
    try {
      await col.insertOne(toStored(doc), { session });
    } catch (e) {
      if (isDuplicateKey(e)) throw await this.uniqueError(e, collection, col, doc);
      throw e;
    }
    return doc;
  }

  /**
   * One document's read → change → compare-and-set. `change` returns the new document, or null
   * to delete it. Returns the stored document before and the one written (null for a delete).
   */
  private async write(
    collection: string,
    id: string,
    options: WriteOptions,
    change: (stored: StoredDocument) => StoredDocument | null,
    session?: ClientSession,
  ): Promise<{ before: StoredDocument; after: StoredDocument | null }> {
    assertCollectionName(collection);
    assertId(id);
    const col = await this.collectionOf(collection);
    const where = await this.query(collection, options.where);
    for (let attempt = 1; ; attempt++) {
      const raw = await col.findOne(andQueries([{ _id: id }, where]), { session });
      if (!raw) throw documentNotFound(collection, id);
      const before = fromStored(raw);
      if (options.expectedVersion !== undefined && options.expectedVersion !== before.version) {
        throw versionConflict(options.expectedVersion, before.version);
      }
      const after = change(before);
      const guard = { _id: id, version: before.version };
      let written: boolean;
      if (after === null) {
        written = (await col.deleteOne(guard, { session })).deletedCount === 1;
      } else {
        try {
          written = (await col.replaceOne(guard, toStored(after), { session })).matchedCount === 1;
        } catch (e) {
          if (isDuplicateKey(e)) throw await this.uniqueError(e, collection, col, after);
          throw e;
        }
      }
      if (written) return { before, after };
      // Another writer changed the document between our read and our write. With an expected
      // version the next read reports the conflict (or not_found); without one, try again.
      if (attempt >= this.ctx.maxWriteAttempts) {
        throw unavailable('The document is being changed by too many writers at once. Retry later.');
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 2)));
    }
  }

  async batch(ops: BatchOp[], options: { require?: BatchRequirement[] } = {}): Promise<StoredDocument[]> {
    const requirements = options.require ?? [];
    for (const r of requirements) assertCollectionName(r.collection);
    if (!Array.isArray(ops)) throw invalidRequest('A batch is a list of operations.');
    // Everything that can be checked without the database is checked before anything is written.
    const created = ops.map((op) => {
      if (!op || !['create', 'update', 'replace', 'delete'].includes(op.op))
        throw invalidRequest('Unknown batch operation.');
      assertCollectionName(op.collection);
      if (op.op === 'create') return newDocument(op, this.ctx.now());
      assertId(op.id);
      return null;
    });
    if (ops.length === 0 && requirements.length === 0) return [];
    return guarded(async () => {
      // Collections are registered outside any transaction (catalog writes are not part of it).
      for (const op of ops) if (op.op === 'create') await this.collectionOf(op.collection, true);
      return this.ctx.catalog.caps.transactions
        ? this.batchInTransaction(ops, created, requirements)
        : this.batchWithUndo(ops, created, requirements);
    });
  }

  /**
   * Checks a batch's requirements after its ops (inside its transaction when there is one). In a
   * transaction a concurrent writer that changes a checked document makes one of the two abort;
   * a concurrent insert that would break a `exists: false` requirement is not seen (MongoDB
   * transactions detect write conflicts, not read-write ones).
   */
  private async checkRequirements(requirements: BatchRequirement[], session?: ClientSession): Promise<void> {
    for (const requirement of requirements) {
      const col = await this.collectionOf(requirement.collection);
      const query = await this.query(requirement.collection, requirement.filter);
      const found = (await col.findOne(query, { projection: { _id: 1 }, ...(session ? { session } : {}) })) !== null;
      if (found !== requirement.exists) throw requirementFailed(requirement);
    }
  }

  private applyOp(op: BatchOp, created: StoredDocument | null, session?: ClientSession) {
    switch (op.op) {
      case 'create':
        return this.insert(op.collection, created!, session).then((doc) => ({ before: null, after: doc }));
      case 'update':
      case 'replace':
        return this.write(
          op.collection,
          op.id,
          op,
          changeOf(op, () => this.ctx.now()),
          session,
        );
      case 'delete':
        return this.write(op.collection, op.id, op, () => null, session);
    }
  }

  /** All-or-nothing by a multi-document transaction (replica sets and sharded clusters). */
  private async batchInTransaction(
    ops: BatchOp[],
    created: Array<StoredDocument | null>,
    requirements: BatchRequirement[],
  ): Promise<StoredDocument[]> {
    for (let attempt = 1; ; attempt++) {
      const session = this.ctx.startSession();
      try {
        session.startTransaction({ readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } });
        const results: StoredDocument[] = [];
        for (let i = 0; i < ops.length; i++) {
          const { before, after } = await this.applyOp(ops[i]!, created[i] ?? null, session);
          results.push((after ?? before)!);
        }
        await this.checkRequirements(requirements, session);
        await commit(session);
        return results;
      } catch (e) {
        if (session.inTransaction()) await session.abortTransaction().catch(() => {});
        // A write conflict with another transaction (or a failover) aborts this one: run it again,
        // after a short random pause so that concurrent batches on one document serialise.
        const transient = (e as { hasErrorLabel?: (l: string) => boolean }).hasErrorLabel?.(
          'TransientTransactionError',
        );
        if (!transient) throw e;
        if (attempt >= this.ctx.maxWriteAttempts) {
          throw unavailable('The batch conflicts with too many concurrent writes. Retry later.');
        }
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, attempt * 5)));
      } finally {
        await session.endSession().catch(() => {});
      }
    }
  }

  /**
   * All-or-nothing without transactions (a standalone server): the ops apply one by one and, when
   * one fails, the ones applied so far are undone in reverse order, each again as a
   * compare-and-set (a created document is deleted if still at its version, an updated one gets
   * its old content back, a deleted one is inserted again) — then the first failure is thrown.
   * Guarantee: on failure the batch leaves no trace unless another writer changed one of its
   * documents in the moment between the batch's write and its undo (that change wins and is not
   * overwritten); concurrent readers can see the intermediate state, and a restored document has
   * its old version number again.
   */
  private async batchWithUndo(
    ops: BatchOp[],
    created: Array<StoredDocument | null>,
    requirements: BatchRequirement[],
  ): Promise<StoredDocument[]> {
    const undo: Array<() => Promise<unknown>> = [];
    const results: StoredDocument[] = [];
    try {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        const { before, after } = await this.applyOp(op, created[i] ?? null);
        const col = await this.collectionOf(op.collection);
        if (!before) undo.push(() => col.deleteOne({ _id: after!.id, version: after!.version }));
        else if (after) undo.push(() => col.replaceOne({ _id: after.id, version: after.version }, toStored(before)));
        else undo.push(() => col.insertOne(toStored(before)));
        results.push((after ?? before)!);
      }
      await this.checkRequirements(requirements);
      return results;
    } catch (e) {
      let undoFailure: unknown = null;
      for (const step of undo.reverse()) {
        await step().catch((err: unknown) => {
          undoFailure ??= err;
        });
      }
      // An undo that could not be written (the server went away) leaves part of the batch applied:
      // say so, rather than reporting the op's error as if nothing had happened.
      if (undoFailure) {
        throw new HearthError(
          'unavailable',
          'The batch failed and could not be fully undone; some of its writes may remain. Check the documents.',
          { undoIncomplete: true },
          { cause: undoFailure },
        );
      }
      throw e;
    }
  }

  // ---- indexes --------------------------------------------------------------------------------

  async ensureIndex(collection: string, index: IndexSpec): Promise<void> {
    assertCollectionName(collection);
    const spec = normaliseIndex(index);
    await guarded(async () => {
      const col = await this.collectionOf(collection, true);
      const entry = await this.catalog.entry(this.appId, collection);
      if (spec.kind === 'text') {
        if (JSON.stringify(entry?.text) !== JSON.stringify(spec))
          await this.catalog.setText(this.appId, collection, spec);
        return;
      }
      const existing = entry?.indexes[spec.name];
      if (existing && JSON.stringify(existing.spec) === JSON.stringify(spec)) return;
      // The new index is built first: if existing data violates it, nothing has changed.
      const others = Object.values(entry?.indexes ?? {}).filter((i) => i.spec.name !== spec.name);
      const stored: StoredIndex = { spec, physical: physicalIndexName(spec) };
      if (!others.some((i) => i.physical === stored.physical) && existing?.physical !== stored.physical) {
        try {
          await createPhysicalIndex(col, stored, this.partialFilter);
        } catch (e) {
          if (isDuplicateKey(e)) throw uniqueConflict(collection, spec, await clashingIds(col, spec, null));
          const code = (e as { code?: number }).code;
          if (code !== 85 && code !== 86) throw e;
          stored.physical = await this.shareSameKeys(col, stored);
        }
      }
      await this.catalog.setIndex(this.appId, collection, stored);
      if (existing) await this.dropUnused(collection, existing, [...others, stored]);
    });
  }

  /**
   * MongoDB refuses a second index on the same keys with another name or options (e.g. one made
   * by hand, or by an older version). The spec then uses the existing index.
   */
  private async shareSameKeys(col: Collection<RawDoc>, stored: StoredIndex): Promise<string> {
    const keys = JSON.stringify(physicalKeys(stored.spec));
    const physical = (await col.indexes()).find((i) => JSON.stringify(Object.entries(i.key as Document)) === keys);
    if (!physical?.name || Boolean(physical.unique) !== Boolean(stored.spec.unique)) {
      throw unavailable('The database refused the index: another index on the same keys exists.');
    }
    return physical.name;
  }

  /** Unique indexes skip documents where an indexed field is missing or null (they never clash). */
  private readonly partialFilter = (paths: string[]): Document =>
    Object.fromEntries(paths.map((p) => [p, this.catalog.caps.typeLists ? { $type: NON_NULL_TYPES } : { $ne: null }]));

  async dropIndex(collection: string, name: string): Promise<void> {
    assertCollectionName(collection);
    await guarded(async () => {
      const entry = await this.catalog.entry(this.appId, collection);
      if (!entry) return;
      if (entry.text?.name === name) return this.catalog.setText(this.appId, collection, null);
      const index = entry.indexes[name];
      if (!index) return;
      await this.catalog.unsetIndex(this.appId, collection, name);
      await this.dropUnused(
        collection,
        index,
        Object.values(entry.indexes).filter((i) => i.spec.name !== name),
      );
    });
  }

  /** Removes the physical index of `index` unless one of `remaining` still uses it. */
  private async dropUnused(collection: string, index: StoredIndex, remaining: StoredIndex[]): Promise<void> {
    if (remaining.some((i) => i.physical === index.physical)) return;
    if (this.catalog.caps.nativeDrops) await this.catalog.dropPhysicalIndex(this.appId, collection, index.physical);
    else if (index.spec.unique)
      await this.catalog.rebuildWithout(this.appId, collection, remaining, this.partialFilter);
    // else: without native drops a non-unique index is left in place; it only costs write time.
  }

  async listIndexes(collection: string): Promise<IndexSpec[]> {
    assertCollectionName(collection);
    return guarded(async () => {
      const entry = await this.catalog.entry(this.appId, collection);
      if (!entry) return [];
      return [...Object.values(entry.indexes).map((i) => i.spec), ...(entry.text ? [entry.text] : [])];
    });
  }

  // ---- drops ----------------------------------------------------------------------------------

  async dropCollection(collection: string): Promise<void> {
    assertCollectionName(collection);
    await guarded(() => this.catalog.drop(this.appId, collection));
  }

  async dropApp(): Promise<void> {
    await guarded(async () => {
      const names = new Set((await this.catalog.entriesOf(this.appId)).map((e) => e.collection));
      for (const name of await this.catalog.listAppCollections(this.appId)) names.add(name);
      for (const name of names) await this.catalog.drop(this.appId, name);
      this.catalog.forget(this.appId);
    });
  }

  // ---- unique violations ----------------------------------------------------------------------

  /** A duplicate key on writing `doc` → conflict naming the index and the stored ids it clashes with. */
  private async uniqueError(
    e: unknown,
    collection: string,
    col: Collection<RawDoc>,
    doc: StoredDocument,
  ): Promise<unknown> {
    const message = String((e as Error).message);
    const keyPattern = (e as { keyPattern?: Document }).keyPattern;
    const indexName = /index: (\S+)/.exec(message)?.[1];
    if (indexName === '_id_' || (keyPattern && Object.keys(keyPattern).join() === '_id'))
      return duplicateId(collection, doc.id);
    const entry = await this.catalog.entry(this.appId, collection);
    const index = Object.values(entry?.indexes ?? {}).find((i) => i.physical === indexName && i.spec.unique);
    if (!index) return mapMongoError(e);
    return uniqueConflict(collection, index.spec, await clashingIds(col, index.spec, doc));
  }
}

async function commit(session: ClientSession): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await session.commitTransaction();
    } catch (e) {
      const unknown = (e as { hasErrorLabel?: (l: string) => boolean }).hasErrorLabel?.(
        'UnknownTransactionCommitResult',
      );
      if (!unknown || attempt >= 3) throw e;
    }
  }
}

/** Native projection (a superset: `project` cuts it down in memory, as some servers ignore it). */
function projectionOf(fields: readonly Path[] | undefined, sortPaths: readonly Path[]): { projection?: Document } {
  if (!fields) return {};
  const paths = [...new Set([...fields, ...sortPaths].map(storedPath))].filter((p) => p !== '_id');
  // MongoDB refuses a path together with one of its prefixes; the prefix covers both.
  const kept = paths.filter((p) => !paths.some((q) => q !== p && p.startsWith(`${q}.`)));
  return { projection: Object.fromEntries([['_id', 1], ...kept.map((p) => [p, 1])]) };
}

/**
 * Stored ids that clash on a unique index: with `doc` (ids other than its own holding the same
 * values), or among themselves when doc is null (existing data that a new index would reject).
 */
async function clashingIds(
  col: Collection<RawDoc>,
  index: RegularIndex,
  doc: StoredDocument | null,
): Promise<string[]> {
  const paths = index.fields.map((f) => f.path);
  if (doc) {
    const values = paths.map((p) => getPath(doc, p));
    if (values.some((v) => v === undefined || v === null)) return [];
    const query = andQueries([
      { _id: { $ne: doc.id } },
      ...paths.map((p, i) => ({ [storedPath(p)]: { $eq: values[i] } })),
    ]);
    const rows = await col.find(query, { projection: { _id: 1 }, sort: { _id: 1 }, limit: MAX_CLASHING_IDS }).toArray();
    return rows.map((r) => String(r._id));
  }
  const groups = new Map<string, string[]>();
  const present = andQueries(paths.map((p) => ({ [storedPath(p)]: { $ne: null } })));
  for await (const raw of col.find(present, { sort: { _id: 1 } })) {
    const values = paths.map((p) => getPath(fromStored(raw), p) as JsonValue | undefined);
    if (values.some((v) => v === undefined || v === null)) continue;
    const key = JSON.stringify(values);
    const ids = groups.get(key);
    if (ids) ids.push(String(raw._id));
    else groups.set(key, [String(raw._id)]);
  }
  return [...groups.values()]
    .filter((ids) => ids.length > 1)
    .flat()
    .slice(0, MAX_CLASHING_IDS);
}
