import type { ClientSession, Collection, Document } from 'mongodb';
import { unavailable } from '../../errors.js';
import type { FilterNode, JsonValue, Path } from '../../lib/filter/types.js';
import type {
  AggregateStage,
  AppStore,
  BatchOp,
  BatchRequirement,
  CountMode,
  CreateInput,
  DocumentData,
  FindOptions,
  FindJsonResult,
  FindResult,
  IndexSpec,
  StoredDocument,
  UpdateSpec,
  WriteOptions,
} from '../../ports/document-store.js';
import { pushdownPrefix, runStagesAsync } from '../shared/aggregate.js';
import {
  applyUpdate,
  importedDocument,
  newDocument,
  normaliseSort,
  project,
  replacedDocument,
} from '../shared/documents.js';
import {
  assertCollectionName,
  assertExpectedVersion,
  assertTargetId,
  documentNotFound,
  isDocumentId,
} from '../shared/errors.js';
import { pageRequest, pageResult } from '../shared/paging.js';
import type { WriteStep } from '../shared/batch.js';
import { runBatch } from './batch.js';
import type { BatchTarget } from './batch.steps.js';
import type { Catalog, RawDoc } from './catalog.js';
import { fromStored, toStored } from './documents.js';
import { guarded, isDuplicateKey } from './errors.js';
import { andQueries, compileFilter, usesText } from './filter.compile.js';
import { MongoIndexes } from './indexes.js';
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

/**
 * One app's view of the MongoDB engine. Writes are read → compute in memory (the shared
 * applyUpdate / replacedDocument) → compare-and-set on `version` (`replaceOne({_id, version})`),
 * retried when another writer won the race and no expectedVersion was given. So `$inc`, `$push`,
 * `$pull`… are atomic under concurrency on every server (including test servers without those
 * update operators), the version check and `where` hold at the moment of the write, and the
 * result is exactly the shared semantics. The cost is one extra round trip per write and retries
 * under contention on one document. `insert` and `writeOne` are the two write primitives, shared
 * by the single-document calls and batches (batch.ts).
 */
export class MongoAppStore implements AppStore, BatchTarget {
  readonly appId: string;
  private readonly ctx: StoreContext;
  private readonly indexes: MongoIndexes;

  constructor(options: { appId: string; context: StoreContext }) {
    this.appId = options.appId;
    this.ctx = options.context;
    this.indexes = new MongoIndexes({ appId: this.appId, catalog: this.ctx.catalog });
  }

  private get catalog(): Catalog {
    return this.ctx.catalog;
  }

  /** The MongoDB collection of one of this app's collections (with `register`, recorded in the catalog first). */
  collectionOf(collection: string, register = false): Promise<Collection<RawDoc>> {
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
    if (!isDocumentId(id)) return null;
    return guarded(async () => {
      const col = await this.collectionOf(collection);
      const where = await this.query(collection, options.where);
      const raw = await col.findOne(andQueries([{ _id: id }, where]), projectionOf(options.fields, []));
      return raw ? project(fromStored(raw), options.fields) : null;
    });
  }

  async find(collection: string, options: FindOptions): Promise<FindResult> {
    assertCollectionName(collection);
    const page = pageRequest(options);
    return guarded(async () => {
      const col = await this.collectionOf(collection);
      const filter = await this.query(collection, options.filter);
      const query = andQueries([filter, page.position ? afterPosition(page.sort, page.position) : {}]);
      const rows = await col
        .find(query, {
          sort: mongoSort(page.sort),
          skip: page.offset,
          limit: page.fetch,
          ...projectionOf(
            page.fields,
            page.sort.map((s) => s.path),
          ),
        })
        .toArray();
      return pageResult(rows.map(fromStored), page);
    });
  }

  /** The driver hands over objects, so this is `find` and one stringify per document. */
  async findJson(collection: string, options: Omit<FindOptions, 'fields'>): Promise<FindJsonResult> {
    const page = await this.find(collection, options);
    return { items: page.items.map((d) => JSON.stringify(d)), next: page.next };
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
    const { filter, sort, limit, rest } = pushdownPrefix(pipeline);
    return guarded(async () => {
      const col = await this.collectionOf(collection);
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

  /** Whether some document of `collection` matches `filter` (in `session` when given). */
  async exists({
    collection,
    filter,
    session,
  }: {
    collection: string;
    filter: FilterNode;
    session?: ClientSession | undefined;
  }): Promise<boolean> {
    const col = await this.collectionOf(collection);
    const query = await this.query(collection, filter);
    return (await col.findOne(query, { projection: { _id: 1 }, ...(session ? { session } : {}) })) !== null;
  }

  // ---- writes ---------------------------------------------------------------------------------

  async create(collection: string, input: CreateInput): Promise<StoredDocument> {
    assertCollectionName(collection);
    const doc = newDocument(input, this.ctx.now());
    return guarded(() => this.insert({ collection, doc }));
  }

  async update(
    collection: string,
    id: string,
    update: UpdateSpec,
    options: WriteOptions = {},
  ): Promise<StoredDocument> {
    const change = (stored: StoredDocument) => applyUpdate(stored, update, this.ctx.now());
    return guarded(async () => (await this.writeOne({ collection, id, options, change })).after!);
  }

  async replace(
    collection: string,
    id: string,
    data: DocumentData,
    options: WriteOptions = {},
  ): Promise<StoredDocument> {
    const change = (stored: StoredDocument) => replacedDocument(stored, data, this.ctx.now());
    return guarded(async () => (await this.writeOne({ collection, id, options, change })).after!);
  }

  async delete(collection: string, id: string, options: WriteOptions = {}): Promise<StoredDocument> {
    return guarded(async () => (await this.writeOne({ collection, id, options, change: () => null })).before);
  }

  async batch(ops: BatchOp[], options: { require?: BatchRequirement[] } = {}): Promise<StoredDocument[]> {
    return runBatch({
      target: this,
      ops,
      requirements: options.require,
      now: this.ctx.now,
      transactions: this.catalog.caps.transactions,
      startSession: this.ctx.startSession,
      maxAttempts: this.ctx.maxWriteAttempts,
    });
  }

  /** Inserts a new document (in `session` when given). */
  async insert({
    collection,
    doc,
    session,
  }: {
    collection: string;
    doc: StoredDocument;
    session?: ClientSession | undefined;
  }): Promise<StoredDocument> {
    const col = await this.collectionOf(collection, true);
    try {
      await col.insertOne(toStored(doc), { session });
    } catch (e) {
      if (isDuplicateKey(e)) throw await this.indexes.uniqueError({ e, collection, col, doc });
      throw e;
    }
    return doc;
  }

  /**
   * One document's read → change → compare-and-set. Returns the stored document before and the
   * one written (null for a delete).
   */
  async writeOne({
    collection,
    id,
    options,
    change,
    session,
  }: WriteStep & { session?: ClientSession | undefined }): Promise<{
    before: StoredDocument;
    after: StoredDocument | null;
  }> {
    assertCollectionName(collection);
    assertTargetId(collection, id);
    const col = await this.collectionOf(collection);
    const where = await this.query(collection, options.where);
    for (let attempt = 1; ; attempt++) {
      const raw = await col.findOne(andQueries([{ _id: id }, where]), { session });
      if (!raw) throw documentNotFound({ collection, id });
      const before = fromStored(raw);
      assertExpectedVersion(options, before);
      const after = change(before);
      const guard = { _id: id, version: before.version };
      let written: boolean;
      if (after === null) {
        written = (await col.deleteOne(guard, { session })).deletedCount === 1;
      } else {
        try {
          written = (await col.replaceOne(guard, toStored(after), { session })).matchedCount === 1;
        } catch (e) {
          if (isDuplicateKey(e)) throw await this.indexes.uniqueError({ e, collection, col, doc: after });
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

  // ---- indexes (indexes.ts) -------------------------------------------------------------------

  async ensureIndex(collection: string, index: IndexSpec): Promise<void> {
    return this.indexes.ensure(collection, index);
  }

  async dropIndex(collection: string, name: string): Promise<void> {
    return this.indexes.drop(collection, name);
  }

  async listIndexes(collection: string): Promise<IndexSpec[]> {
    return this.indexes.list(collection);
  }

  // ---- backups ------------------------------------------------------------------------------

  async listCollections(): Promise<string[]> {
    return guarded(async () => {
      const entries = new Map((await this.catalog.entriesOf(this.appId)).map((e) => [e.collection, e]));
      const names = new Set([...entries.keys(), ...(await this.catalog.listAppCollections(this.appId))]);
      const held: string[] = [];
      for (const name of names) {
        const entry = entries.get(name);
        const indexed = !!entry && (Object.keys(entry.indexes ?? {}).length > 0 || !!entry.text);
        // A dropped collection on a server without native drops keeps its (empty) catalog entry.
        if (indexed || (await (await this.collectionOf(name)).findOne({}, { projection: { _id: 1 } }))) held.push(name);
      }
      return held.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    });
  }

  async importDocuments(collection: string, docs: StoredDocument[]): Promise<void> {
    assertCollectionName(collection);
    const checked = docs.map(importedDocument);
    await guarded(async () => {
      for (const doc of checked) await this.insert({ collection, doc });
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
}

/** Native projection (a superset: `project` cuts it down in memory, as some servers ignore it). */
function projectionOf(fields: readonly Path[] | undefined, sortPaths: readonly Path[]): { projection?: Document } {
  if (!fields) return {};
  const paths = [...new Set([...fields, ...sortPaths].map(storedPath))].filter((p) => p !== '_id');
  // MongoDB refuses a path together with one of its prefixes; the prefix covers both.
  const kept = paths.filter((p) => !paths.some((q) => q !== p && p.startsWith(`${q}.`)));
  return { projection: Object.fromEntries([['_id', 1], ...kept.map((p) => [p, 1])]) };
}
