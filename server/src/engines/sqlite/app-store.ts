import type { FilterNode, JsonValue, Path } from '../../lib/filter/types.js';
import type {
  AggregateStage,
  AppStore,
  BatchOp,
  BatchRequirement,
  CountMode,
  CreateInput,
  DocumentData,
  FindJsonResult,
  FindOptions,
  FindResult,
  IndexSpec,
  StoredDocument,
  UpdateSpec,
  WriteOptions,
} from '../../ports/document-store.js';
import { pushdownPrefix, runStages } from '../shared/aggregate.js';
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
import { cursorAfter, pageRequest, pageResult, type PageRequest } from '../shared/paging.js';
import type { WriteStep } from '../shared/batch.js';
import { runBatch, type BatchTarget } from './batch.js';
import type { CollectionInfo } from './catalog.js';
import type { SqliteConnection } from './connection.js';
import { SqliteIndexes } from './indexes.js';
import { compileFilter, orderBy, pagesAfter, type PageQuery, type Sql } from './sql.js';

interface Row {
  seq: number;
  data: string;
}

/**
 * One app's view of the SQLite engine. Reads compile the filter to SQL (sql.ts) over the
 * collection's table; every write runs inside one transaction of the store (`s.write`), so the
 * read of the stored document, the `where` / `expectedVersion` checks and the write cannot be
 * interleaved with another writer. `insert` and `writeOne` are the two write primitives, shared by
 * the single-document calls and batches (batch.ts); indexes are in indexes.ts.
 */
export class SqliteAppStore implements AppStore, BatchTarget {
  readonly appId: string;
  private readonly s: SqliteConnection;
  private readonly indexes: SqliteIndexes;

  constructor(options: { connection: SqliteConnection; appId: string }) {
    this.s = options.connection;
    this.appId = options.appId;
    this.indexes = new SqliteIndexes(options);
  }

  // ---- reads ----

  async get(
    collection: string,
    id: string,
    options: { fields?: Path[]; where?: FilterNode } = {},
  ): Promise<StoredDocument | null> {
    assertCollectionName(collection);
    if (!isDocumentId(id)) return null;
    return this.s.read(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (!info) return null;
      const row = this.rowById(info, id, options.where);
      return row ? project(JSON.parse(row.data) as StoredDocument, options.fields) : null;
    });
  }

  async find(collection: string, options: FindOptions): Promise<FindResult> {
    assertCollectionName(collection);
    const page = pageRequest(options);
    return this.s.read(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (!info) return { items: [], next: null };
      return pageResult(
        this.pageRows(info, options.filter, page).map((data) => JSON.parse(data) as StoredDocument),
        page,
      );
    });
  }

  /**
   * The stored text is `JSON.stringify` of the document (insert, writeOne), so it is sent as it
   * is; only the page's last document is parsed, for its cursor, when a next page exists.
   */
  async findJson(collection: string, options: Omit<FindOptions, 'fields'>): Promise<FindJsonResult> {
    assertCollectionName(collection);
    const page = pageRequest(options);
    return this.s.read(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (!info) return { items: [], next: null };
      const rows = this.pageRows(info, options.filter, page);
      const items = rows.slice(0, page.limit);
      const last = rows.length > page.limit ? items[items.length - 1] : undefined;
      return { items, next: last ? cursorAfter(JSON.parse(last) as StoredDocument, page) : null };
    });
  }

  /**
   * The stored JSON text of one page's rows (at most `page.fetch`, after `page.offset`), in order.
   * Plucked: better-sqlite3 returns the column's strings instead of an object per row.
   *
   * The LIMIT is written into the SQL as an integer (pageRequest made it one), never bound: SQLite
   * (3.51) plans with a bound LIMIT's value, so every execution that binds it re-prepares the
   * statement, parse and planner included (a third of a page's time in the engine on 100,000
   * documents: docs/performance.md). Page sizes are few, so the cached statements stay few; the
   * OFFSET stays bound (it does not re-prepare).
   */
  private pageRows(info: CollectionInfo, filter: FilterNode | undefined, page: PageRequest): string[] {
    const queries = this.pageQueries(info, filter, page);
    if (queries.length === 1) {
      const q = queries[0]!;
      return this.s
        .statement(`${q.sql} LIMIT ${sqlLimit(page.fetch)} OFFSET ?`)
        .pluck()
        .all(...q.params, page.offset) as string[];
    }
    // The rows an offset skips may straddle the two queries of a cursor page. Without an offset
    // each query asks for the whole page (one statement per page size) and the surplus is cut
    // here; with one (rare next to a cursor) the remainder is bound instead, so offsets do not
    // multiply the cached statements.
    const wanted = page.offset + page.fetch;
    let rows: string[] = [];
    for (const q of queries) {
      if (rows.length >= wanted) break;
      const more =
        page.offset === 0
          ? this.s
              .statement(`${q.sql} LIMIT ${sqlLimit(wanted)}`)
              .pluck()
              .all(...q.params)
          : this.s
              .statement(`${q.sql} LIMIT ?`)
              .pluck()
              .all(...q.params, wanted - rows.length);
      rows = rows.concat(more as string[]);
    }
    return rows.slice(page.offset, wanted);
  }

  async count(collection: string, options: { filter?: FilterNode; mode?: CountMode } = {}): Promise<number> {
    assertCollectionName(collection);
    return this.s.read(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (!info) return 0;
      const where = this.whereSql(info, options.filter);
      const row = this.s
        .statement(`SELECT count(*) AS n FROM ${info.table} WHERE ${where.sql}`)
        .get(...where.params) as { n: number };
      return row.n;
    });
  }

  async aggregate(collection: string, pipeline: AggregateStage[]): Promise<Record<string, JsonValue>[]> {
    assertCollectionName(collection);
    const { filter, sort, limit, rest } = pushdownPrefix(pipeline);
    return this.s.read(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (!info) return [];
      const where = this.whereSql(info, filter);
      const sql =
        `SELECT data FROM ${info.table} WHERE ${where.sql}` +
        (sort ? ` ORDER BY ${orderBy(normaliseSort(sort))}` : '') +
        (limit !== null ? ` LIMIT ${Math.floor(limit)}` : '');
      // Synchronous end to end: the rows stream from SQLite into the stages without buffering.
      const rows = this.s.statement(sql).iterate(...where.params) as IterableIterator<{ data: string }>;
      const parsed = (function* () {
        for (const row of rows) yield JSON.parse(row.data) as Record<string, unknown>;
      })();
      return runStages(parsed, rest) as Record<string, JsonValue>[];
    });
  }

  /** Whether some document of `collection` matches `filter` (inside the caller's transaction). */
  exists(collection: string, filter: FilterNode): boolean {
    const info = this.s.catalog.find(this.appId, collection);
    if (!info) return false;
    const where = this.whereSql(info, filter);
    return (
      this.s.statement(`SELECT 1 FROM ${info.table} WHERE ${where.sql} LIMIT 1`).get(...where.params) !== undefined
    );
  }

  // ---- writes ----

  async create(collection: string, input: CreateInput): Promise<StoredDocument> {
    assertCollectionName(collection);
    return this.s.writeGrouped(() => this.insert(collection, newDocument(input, this.s.now())));
  }

  async update(
    collection: string,
    id: string,
    update: UpdateSpec,
    options: WriteOptions = {},
  ): Promise<StoredDocument> {
    const change = (stored: StoredDocument) => applyUpdate(stored, update, this.s.now());
    return this.s.writeGrouped(() => this.writeOne({ collection, id, options, change }).after!);
  }

  async replace(
    collection: string,
    id: string,
    data: DocumentData,
    options: WriteOptions = {},
  ): Promise<StoredDocument> {
    const change = (stored: StoredDocument) => replacedDocument(stored, data, this.s.now());
    return this.s.writeGrouped(() => this.writeOne({ collection, id, options, change }).after!);
  }

  async delete(collection: string, id: string, options: WriteOptions = {}): Promise<StoredDocument> {
    return this.s.writeGrouped(() => this.writeOne({ collection, id, options, change: () => null }).before);
  }

  async batch(ops: BatchOp[], options: { require?: BatchRequirement[] } = {}): Promise<StoredDocument[]> {
    return runBatch({ target: this, connection: this.s, ops, requirements: options.require });
  }

  /** Inserts a new document (inside the caller's transaction). */
  insert(collection: string, doc: StoredDocument): StoredDocument {
    assertCollectionName(collection);
    const info = this.s.catalog.ensure(this.appId, collection);
    this.s.catalog.noteArrays(info, doc);
    let seq: number;
    try {
      seq = Number(
        this.s.statement(`INSERT INTO ${info.table} (id, data) VALUES (?, ?)`).run(doc.id, JSON.stringify(doc))
          .lastInsertRowid,
      );
    } catch (err) {
      throw this.indexes.uniqueError({ err, info, collection, doc });
    }
    this.indexes.writeText({ info, seq, doc, replace: false });
    return doc;
  }

  /**
   * One document's read → change → write (inside the caller's transaction), after its `where`
   * and `expectedVersion` preconditions. Returns the stored document before and the one written
   * (null for a delete).
   */
  writeOne({ collection, id, options, change }: WriteStep): { before: StoredDocument; after: StoredDocument | null } {
    assertCollectionName(collection);
    assertTargetId(collection, id);
    const info = this.s.catalog.find(this.appId, collection);
    const row = info ? this.rowById(info, id, options.where) : undefined;
    if (!info || !row) throw documentNotFound({ collection, id });
    const before = JSON.parse(row.data) as StoredDocument;
    assertExpectedVersion(options, before);
    const after = change(before);
    if (after === null) {
      this.s.statement(`DELETE FROM ${info.table} WHERE seq = ?`).run(row.seq);
      if (info.ftsTable) this.s.statement(`DELETE FROM ${info.ftsTable} WHERE rowid = ?`).run(row.seq);
      return { before, after };
    }
    this.s.catalog.noteArrays(info, after);
    try {
      this.s.statement(`UPDATE ${info.table} SET data = ? WHERE seq = ?`).run(JSON.stringify(after), row.seq);
    } catch (err) {
      throw this.indexes.uniqueError({ err, info, collection, doc: after });
    }
    this.indexes.writeText({ info, seq: row.seq, doc: after, replace: true });
    return { before, after };
  }

  // ---- indexes (indexes.ts) ----

  async ensureIndex(collection: string, spec: IndexSpec): Promise<void> {
    return this.indexes.ensure(collection, spec);
  }

  async dropIndex(collection: string, name: string): Promise<void> {
    return this.indexes.drop(collection, name);
  }

  async listIndexes(collection: string): Promise<IndexSpec[]> {
    return this.indexes.list(collection);
  }

  // ---- backups ----

  async listCollections(): Promise<string[]> {
    return this.s.read(() => {
      const names: string[] = [];
      for (const { name, tid } of this.s.catalog.collectionsOf(this.appId)) {
        const info = this.s.catalog.find(this.appId, name);
        if (!info) continue;
        const held =
          info.text !== null ||
          this.s.catalog.indexes(info).length > 0 ||
          this.s.statement(`SELECT 1 FROM c${tid} LIMIT 1`).get() !== undefined;
        if (held) names.push(name);
      }
      return names.sort(byCodeUnit);
    });
  }

  async importDocuments(collection: string, docs: StoredDocument[]): Promise<void> {
    assertCollectionName(collection);
    const checked = docs.map(importedDocument);
    if (checked.length === 0) return;
    this.s.write(() => {
      for (const doc of checked) this.insert(collection, doc);
    });
  }

  // ---- drops ----

  async dropCollection(collection: string): Promise<void> {
    assertCollectionName(collection);
    this.s.write(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (info) this.dropTables(info.tid);
      this.s.catalog.forget(this.appId, collection);
    });
  }

  async dropApp(): Promise<void> {
    this.s.write(() => {
      for (const { name, tid } of this.s.catalog.collectionsOf(this.appId)) {
        this.dropTables(tid);
        this.s.catalog.forget(this.appId, name);
      }
    });
  }

  private dropTables(tid: number): void {
    this.s.db.exec(`DROP TABLE IF EXISTS c${tid}; DROP TABLE IF EXISTS c${tid}_fts`);
    this.s.db.prepare('DELETE FROM hearth_indexes WHERE tid = ?').run(tid);
    this.s.db.prepare('DELETE FROM hearth_collections WHERE tid = ?').run(tid);
    this.s.forgetStatements();
  }

  // ---- queries ----

  /** The query plan of a find (EXPLAIN QUERY PLAN detail lines per query), for tests and diagnostics. */
  explainFind(collection: string, options: Pick<FindOptions, 'filter' | 'sort' | 'after'>): string[] {
    const info = this.s.catalog.find(this.appId, collection);
    if (!info) return [];
    const page = pageRequest({ ...options, limit: 20 });
    return this.pageQueries(info, options.filter, page).flatMap((q) =>
      (this.s.db.prepare(`EXPLAIN QUERY PLAN ${q.sql} LIMIT 20`).all(...q.params) as Array<{ detail: string }>).map(
        (r) => r.detail,
      ),
    );
  }

  /** The SELECTs (without LIMIT) of one page: one, or two for a cursor page (see pagesAfter). */
  private pageQueries(
    info: CollectionInfo,
    filter: FilterNode | undefined,
    { sort, position }: Pick<PageRequest, 'sort' | 'position'>,
  ): Sql[] {
    const where = this.whereSql(info, filter);
    const parts: PageQuery[] = position
      ? pagesAfter(sort, position)
      : [{ where: { sql: '1', params: [] }, orderBy: orderBy(sort) }];
    return parts.map((q) => ({
      sql: `SELECT data FROM ${info.table} WHERE ${where.sql} AND ${q.where.sql} ORDER BY ${q.orderBy}`,
      params: [...where.params, ...q.where.params],
    }));
  }

  private whereSql(info: CollectionInfo, filter: FilterNode | undefined): Sql {
    if (!filter) return { sql: '1', params: [] };
    return compileFilter(filter, { arrayPaths: info.arrayPaths, ftsTable: info.ftsTable });
  }

  private rowById(info: CollectionInfo, id: string, where?: FilterNode): Row | undefined {
    const w = this.whereSql(info, where);
    return this.s.statement(`SELECT seq, data FROM ${info.table} WHERE id = ? AND ${w.sql}`).get(id, ...w.params) as
      Row | undefined;
  }
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A LIMIT written into SQL text: a positive safe integer, or the request is refused. */
function sqlLimit(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`Not a row limit: ${n}`);
  return n;
}
