import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { invalidRequest, isHearthError, unavailable } from '../../errors.js';
import { decodeCursor, encodeCursor, type CursorPosition } from '../../lib/cursor.js';
import { getPath } from '../../lib/filter/compare.js';
import { matches, textTokens } from '../../lib/filter/evaluate.js';
import type { FieldCondition, FilterNode, JsonValue, SortSpec } from '../../lib/filter/types.js';
import { ID_PATTERN } from '../../lib/ids.js';
import {
  SYSTEM_APP,
  type AggregateStage,
  type AppStore,
  type BatchOp,
  type BatchRequirement,
  type CountMode,
  type CreateInput,
  type DocumentData,
  type DocumentStore,
  type FindOptions,
  type FindResult,
  type IndexSpec,
  type StoredDocument,
  type UpdateSpec,
  type WriteOptions,
} from '../../ports/document-store.js';
import { pushdownPrefix, runStages } from '../shared/aggregate.js';
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
import { CATALOG_SCHEMA, Catalog, type CollectionInfo } from './catalog.js';
import { compileFilter, orderBy, pagesAfter, rankExpr, rankOf, valExpr, type PageQuery, type Sql } from './sql.js';

/**
 * The embedded engine: one SQLite file (WAL) holding every app's collections, through
 * better-sqlite3. Calls are synchronous underneath, so each write (and each batch) is one
 * transaction that nothing else interleaves with; the async port methods wrap them.
 *
 * Durability: WAL with synchronous=NORMAL. A committed transaction is in the WAL file before the
 * call returns, so a killed process loses nothing acknowledged (tested with SIGKILL); a power
 * loss may lose the last transactions (set `synchronous: 'full'` to fsync every commit).
 * One process owns the file (the catalog is cached in memory).
 */
export interface SqliteOptions {
  file: string;
  synchronous?: 'normal' | 'full';
  now?: () => Date;
}

const MAX_CLASHING_IDS = 20;

export function openSqliteStore(options: SqliteOptions): SqliteDocumentStore {
  return new SqliteDocumentStore(options);
}

export class SqliteDocumentStore implements DocumentStore {
  readonly engine = 'sqlite' as const;
  readonly db: Database.Database;
  readonly catalog: Catalog;
  readonly now: () => string;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly parsedConds = new Map<string, FieldCondition[]>();

  constructor(options: SqliteOptions) {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    try {
      this.db = new Database(options.file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(CATALOG_SCHEMA);
    } catch (err) {
      throw unavailable(`The SQLite database at ${options.file} cannot be opened.`, err);
    }
    const clock = options.now ?? (() => new Date());
    this.now = () => clock().toISOString();
    this.catalog = new Catalog(this.db);
    this.db.function('hearth_field', { deterministic: true }, (raw: unknown, conds: unknown) =>
      this.fieldHolds(raw as string | null, conds as string) ? 1 : 0,
    );
  }

  forApp(appId: string): AppStore {
    if (appId !== SYSTEM_APP && !ID_PATTERN.test(appId)) throw invalidRequest('The app id is invalid.');
    return new SqliteAppStore(this, appId);
  }

  async ping(): Promise<void> {
    try {
      this.db.prepare('SELECT 1').get();
    } catch (err) {
      throw unavailable('The SQLite database is not available.', err);
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** A cached prepared statement (filters with the same shape share their SQL text). */
  statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.statements.size > 500) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  forgetStatements(): void {
    this.statements.clear();
  }

  /** Runs `fn` in a transaction; on failure the catalog cache is reset and errors are mapped. */
  write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      this.catalog.reset();
      throw mapError(err);
    }
  }

  read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw mapError(err);
    }
  }

  /** `hearth_field(json, conds)`: the reference evaluator on one value (see sql.ts). */
  private fieldHolds(raw: string | null, condsJson: string): boolean {
    let conds = this.parsedConds.get(condsJson);
    if (!conds) {
      conds = JSON.parse(condsJson) as FieldCondition[];
      if (this.parsedConds.size > 1000) this.parsedConds.clear();
      this.parsedConds.set(condsJson, conds);
    }
    const doc = raw === null ? {} : { v: JSON.parse(raw) as unknown };
    return matches({ op: 'field', path: 'v', conds }, doc);
  }
}

function mapError(err: unknown): unknown {
  if (isHearthError(err)) return err;
  const code = (err as { code?: string })?.code ?? '';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
    return unavailable('The database is busy or unavailable. Retry later.', err);
  }
  if (err instanceof TypeError && /database connection is not open/.test(err.message)) {
    return unavailable('The database is closed.', err);
  }
  return err;
}

interface Row {
  seq: number;
  data: string;
}

class SqliteAppStore implements AppStore {
  constructor(
    private readonly s: SqliteDocumentStore,
    readonly appId: string,
  ) {}

  // ---- reads ----

  async get(
    collection: string,
    id: string,
    options: { fields?: string[]; where?: FilterNode } = {},
  ): Promise<StoredDocument | null> {
    assertCollectionName(collection);
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return null;
    return this.s.read(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (!info) return null;
      const row = this.rowById(info, id, options.where);
      return row ? project(JSON.parse(row.data) as StoredDocument, options.fields) : null;
    });
  }

  async find(collection: string, options: FindOptions): Promise<FindResult> {
    assertCollectionName(collection);
    const sort = normaliseSort(options.sort);
    const position = options.after !== undefined ? decodeCursor(sort, options.after) : null;
    const limit = Math.max(1, Math.min(Math.floor(options.limit), 1000));
    const offset = Math.max(0, Math.floor(options.offset ?? 0));
    return this.s.read(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (!info) return { items: [], next: null };
      const queries = this.pageQueries(info, options.filter, sort, position);
      let rows: Array<{ data: string }>;
      if (queries.length === 1) {
        const q = queries[0]!;
        rows = this.s.statement(`${q.sql} LIMIT ? OFFSET ?`).all(...q.params, limit + 1, offset) as Array<{
          data: string;
        }>;
      } else {
        // The rows an offset skips may straddle the two queries of a cursor page.
        const wanted = offset + limit + 1;
        rows = [];
        for (const q of queries) {
          if (rows.length >= wanted) break;
          rows = rows.concat(
            this.s.statement(`${q.sql} LIMIT ?`).all(...q.params, wanted - rows.length) as Array<{ data: string }>,
          );
        }
        rows = rows.slice(offset);
      }
      const docs = rows.slice(0, limit).map((r) => JSON.parse(r.data) as StoredDocument);
      const last = docs[docs.length - 1];
      const next =
        rows.length > limit && last ? encodeCursor(sort, { values: sortValues(last, sort), id: last.id }) : null;
      return { items: docs.map((d) => project(d, options.fields)), next };
    });
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
    const { filters, sort, limit, rest } = pushdownPrefix(pipeline);
    return this.s.read(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (!info) return [];
      const filter: FilterNode | undefined = filters.length === 0 ? undefined : { op: 'and', children: filters };
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

  // ---- writes ----

  async create(collection: string, input: CreateInput): Promise<StoredDocument> {
    return this.s.write(() => this.createSync(collection, input));
  }

  async update(
    collection: string,
    id: string,
    update: UpdateSpec,
    options: WriteOptions = {},
  ): Promise<StoredDocument> {
    return this.s.write(() =>
      this.updateSync(collection, id, (stored) => applyUpdate(stored, update, this.s.now()), options),
    );
  }

  async replace(
    collection: string,
    id: string,
    data: DocumentData,
    options: WriteOptions = {},
  ): Promise<StoredDocument> {
    return this.s.write(() =>
      this.updateSync(collection, id, (stored) => replacedDocument(stored, data, this.s.now()), options),
    );
  }

  async delete(collection: string, id: string, options: WriteOptions = {}): Promise<StoredDocument> {
    return this.s.write(() => this.deleteSync(collection, id, options));
  }

  async batch(ops: BatchOp[], options: { require?: BatchRequirement[] } = {}): Promise<StoredDocument[]> {
    return this.s.write(() => {
      const results = ops.map((op) => {
        switch (op.op) {
          case 'create':
            return this.createSync(op.collection, op);
          case 'update':
          case 'replace':
            return this.updateSync(op.collection, op.id, changeOf(op, this.s.now), op);
          case 'delete':
            return this.deleteSync(op.collection, op.id, op);
          default:
            throw invalidRequest('Unknown batch operation.');
        }
      });
      // Inside the same write transaction (BEGIN IMMEDIATE): no other writer can change the
      // answer between this check and the commit.
      for (const requirement of options.require ?? []) {
        assertCollectionName(requirement.collection);
        const info = this.s.catalog.find(this.appId, requirement.collection);
        let found = false;
        if (info) {
          const where = this.whereSql(info, requirement.filter);
          found =
            this.s.statement(`SELECT 1 FROM ${info.table} WHERE ${where.sql} LIMIT 1`).get(...where.params) !==
            undefined;
        }
        if (found !== requirement.exists) throw requirementFailed(requirement);
      }
      return results;
    });
  }

  private createSync(collection: string, input: CreateInput): StoredDocument {
    assertCollectionName(collection);
    const doc = newDocument(input, this.s.now());
    const info = this.s.catalog.ensure(this.appId, collection);
    this.s.catalog.noteArrays(info, doc);
    let seq: number;
    try {
      seq = Number(
        this.s.statement(`INSERT INTO ${info.table} (id, data) VALUES (?, ?)`).run(doc.id, JSON.stringify(doc))
          .lastInsertRowid,
      );
    } catch (err) {
      throw this.uniqueError(err, info, collection, doc);
    }
    this.writeText(info, seq, doc, false);
    return doc;
  }

  private updateSync(
    collection: string,
    id: string,
    change: (stored: StoredDocument) => StoredDocument,
    options: WriteOptions,
  ): StoredDocument {
    const { info, row, stored } = this.storedForWrite(collection, id, options);
    const doc = change(stored);
    this.s.catalog.noteArrays(info, doc);
    try {
      this.s.statement(`UPDATE ${info.table} SET data = ? WHERE seq = ?`).run(JSON.stringify(doc), row.seq);
    } catch (err) {
      throw this.uniqueError(err, info, collection, doc);
    }
    this.writeText(info, row.seq, doc, true);
    return doc;
  }

  /** The stored document a write applies to, after its `where` and `expectedVersion` preconditions. */
  private storedForWrite(
    collection: string,
    id: string,
    options: WriteOptions,
  ): { info: CollectionInfo; row: Row; stored: StoredDocument } {
    assertCollectionName(collection);
    assertId(id);
    const info = this.s.catalog.find(this.appId, collection);
    const row = info ? this.rowById(info, id, options.where) : undefined;
    if (!info || !row) throw documentNotFound(collection, id);
    const stored = JSON.parse(row.data) as StoredDocument;
    if (options.expectedVersion !== undefined && options.expectedVersion !== stored.version) {
      throw versionConflict(options.expectedVersion, stored.version);
    }
    return { info, row, stored };
  }

  private deleteSync(collection: string, id: string, options: WriteOptions): StoredDocument {
    const { info, row, stored } = this.storedForWrite(collection, id, options);
    this.s.statement(`DELETE FROM ${info.table} WHERE seq = ?`).run(row.seq);
    if (info.ftsTable) this.s.statement(`DELETE FROM ${info.ftsTable} WHERE rowid = ?`).run(row.seq);
    return stored;
  }

  // ---- indexes ----

  async ensureIndex(collection: string, spec: IndexSpec): Promise<void> {
    assertCollectionName(collection);
    const index = normaliseIndex(spec);
    this.s.write(() => {
      const info = this.s.catalog.ensure(this.appId, collection);
      if (index.kind === 'text') return this.ensureText(info, index);
      const existing = this.s.catalog.indexes(info).find((i) => i.spec.name === index.name);
      if (existing && JSON.stringify(existing.spec) === JSON.stringify(index)) return;
      if (existing) this.dropSqlIndex(info, existing.sqlName, index.name);
      const sqlName = `${info.table}_i${Math.random().toString(36).slice(2, 10)}`;
      const columns = index.fields.flatMap(({ path, dir }) => {
        const d = dir === -1 ? ' DESC' : '';
        return path === 'id' ? [`id${d}`] : [`${rankExpr(path)}${d}`, `${valExpr(path)}${d}`];
      });
      if (!index.unique) columns.push('id');
      try {
        this.s.db.exec(
          `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${sqlName} ON ${info.table} (${columns.join(', ')})`,
        );
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw uniqueConflict(collection, index, this.clashingIds(info, index, null));
        }
        throw err;
      }
      this.s.db
        .prepare('INSERT INTO hearth_indexes (tid, name, spec, sql_name) VALUES (?, ?, ?, ?)')
        .run(info.tid, index.name, JSON.stringify(index), sqlName);
      this.s.forgetStatements(); // let cached queries be planned with the new index
    });
  }

  async dropIndex(collection: string, name: string): Promise<void> {
    assertCollectionName(collection);
    this.s.write(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (!info) return;
      if (info.text?.name === name) {
        this.s.db.exec(`DROP TABLE IF EXISTS ${info.ftsTable}`);
        this.s.catalog.setText(info, null);
        this.s.forgetStatements();
        return;
      }
      const existing = this.s.catalog.indexes(info).find((i) => i.spec.name === name);
      if (existing) this.dropSqlIndex(info, existing.sqlName, name);
    });
  }

  async listIndexes(collection: string): Promise<IndexSpec[]> {
    assertCollectionName(collection);
    return this.s.read(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (!info) return [];
      const specs: IndexSpec[] = this.s.catalog.indexes(info).map((i) => i.spec);
      if (info.text) specs.push(info.text);
      return specs;
    });
  }

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

  /** The query plan of a find (EXPLAIN QUERY PLAN detail lines per query), for tests and diagnostics. */
  explainFind(collection: string, options: Pick<FindOptions, 'filter' | 'sort' | 'after'>): string[] {
    const info = this.s.catalog.find(this.appId, collection);
    if (!info) return [];
    const sort = normaliseSort(options.sort);
    const position = options.after !== undefined ? decodeCursor(sort, options.after) : null;
    return this.pageQueries(info, options.filter, sort, position).flatMap((q) =>
      (this.s.db.prepare(`EXPLAIN QUERY PLAN ${q.sql} LIMIT 20`).all(...q.params) as Array<{ detail: string }>).map(
        (r) => r.detail,
      ),
    );
  }

  /** The SELECTs (without LIMIT) of one page: one, or two for a cursor page (see pagesAfter). */
  private pageQueries(
    info: CollectionInfo,
    filter: FilterNode | undefined,
    sort: SortSpec,
    position: CursorPosition | null,
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

  // ---- helpers ----

  private whereSql(info: CollectionInfo, filter: FilterNode | undefined): Sql {
    if (!filter) return { sql: '1', params: [] };
    return compileFilter(filter, { arrayPaths: info.arrayPaths, ftsTable: info.ftsTable });
  }

  private rowById(info: CollectionInfo, id: string, where?: FilterNode): Row | undefined {
    const w = this.whereSql(info, where);
    return this.s.statement(`SELECT seq, data FROM ${info.table} WHERE id = ? AND ${w.sql}`).get(id, ...w.params) as
      Row | undefined;
  }

  private writeText(info: CollectionInfo, seq: number, doc: Record<string, unknown>, replace: boolean): void {
    if (!info.ftsTable || !info.text) return;
    if (replace) this.s.statement(`DELETE FROM ${info.ftsTable} WHERE rowid = ?`).run(seq);
    this.s
      .statement(`INSERT INTO ${info.ftsTable} (rowid, body) VALUES (?, ?)`)
      .run(seq, textOf(doc, info.text.fields));
  }

  private ensureText(info: CollectionInfo, index: Extract<IndexSpec, { kind: 'text' }>): void {
    if (info.text && JSON.stringify(info.text) === JSON.stringify(index)) return;
    this.s.db.exec(`DROP TABLE IF EXISTS c${info.tid}_fts`);
    // The body holds the reference tokeniser's words (textOf), space-separated: FTS5's `ascii`
    // tokeniser then only splits on the spaces, so SQLite finds exactly the words the reference does
    // (unicode61's own word rules and case folding differ for private-use and newer characters).
    this.s.db.exec(`CREATE VIRTUAL TABLE c${info.tid}_fts USING fts5(body, tokenize = 'ascii')`);
    this.s.catalog.setText(info, { kind: 'text', name: index.name, fields: [...index.fields] });
    const insert = this.s.db.prepare(`INSERT INTO ${info.ftsTable} (rowid, body) VALUES (?, ?)`);
    const page = this.s.db.prepare(`SELECT seq, data FROM ${info.table} WHERE seq > ? ORDER BY seq LIMIT 500`);
    for (let after = 0, rows: Row[]; (rows = page.all(after) as Row[]).length > 0; after = rows[rows.length - 1]!.seq) {
      for (const row of rows)
        insert.run(row.seq, textOf(JSON.parse(row.data) as Record<string, unknown>, index.fields));
    }
    this.s.forgetStatements();
  }

  private dropSqlIndex(info: CollectionInfo, sqlName: string, name: string): void {
    this.s.db.exec(`DROP INDEX IF EXISTS ${sqlName}`);
    this.s.db.prepare('DELETE FROM hearth_indexes WHERE tid = ? AND name = ?').run(info.tid, name);
    this.s.forgetStatements();
  }

  private dropTables(tid: number): void {
    this.s.db.exec(`DROP TABLE IF EXISTS c${tid}; DROP TABLE IF EXISTS c${tid}_fts`);
    this.s.db.prepare('DELETE FROM hearth_indexes WHERE tid = ?').run(tid);
    this.s.db.prepare('DELETE FROM hearth_collections WHERE tid = ?').run(tid);
    this.s.forgetStatements();
  }

  /** A unique violation on write → conflict naming the index and the stored documents it clashes with. */
  private uniqueError(err: unknown, info: CollectionInfo, collection: string, doc: StoredDocument): unknown {
    const code = (err as { code?: string }).code;
    if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return err;
    const message = String((err as Error).message);
    if (/\.id\b/.test(message)) return duplicateId(collection, doc.id);
    const index = this.s.catalog.indexes(info).find((i) => message.includes(i.sqlName));
    if (!index || index.spec.kind !== 'regular') return err;
    return uniqueConflict(collection, index.spec, this.clashingIds(info, index.spec, doc));
  }

  /** Stored ids that clash on a unique index: with `doc`, or among themselves when doc is null. */
  private clashingIds(
    info: CollectionInfo,
    index: Extract<IndexSpec, { kind: 'regular' }>,
    doc: StoredDocument | null,
  ): string[] {
    const keys = index.fields.map(({ path }) => ({ r: rankExpr(path), v: valExpr(path), path }));
    const present = keys.map((k) => `${k.r} <> 0`).join(' AND ');
    if (doc) {
      const values = keys.map((k) => getPath(doc, k.path));
      if (values.some((v) => v === undefined || v === null)) return [];
      const conds = keys.map((k, i) => `${k.r} = ${rankOf(values[i])} AND ${k.v} = ?`).join(' AND ');
      const params = values.map((v) =>
        typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'object' ? JSON.stringify(v) : v,
      );
      const rows = this.s.db
        .prepare(`SELECT id FROM ${info.table} WHERE ${present} AND ${conds} AND id <> ? LIMIT ${MAX_CLASHING_IDS}`)
        .all(...params, doc.id) as Array<{ id: string }>;
      return rows.map((r) => r.id);
    }
    const group = keys.flatMap((k) => [k.r, k.v]).join(', ');
    const rows = this.s.db
      .prepare(
        `SELECT id FROM ${info.table} WHERE ${present} AND (${group}) IN ` +
          `(SELECT ${group} FROM ${info.table} WHERE ${present} GROUP BY ${group} HAVING count(*) > 1) ORDER BY ${group}, id LIMIT ${MAX_CLASHING_IDS}`,
      )
      .all() as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }
}

/** What the FTS index holds for a document: the words of its searchable strings (textTokens). */
function textOf(doc: Record<string, unknown>, fields: readonly string[]): string {
  const words: string[] = [];
  for (const path of fields) {
    const value = getPath(doc, path);
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string') words.push(...textTokens(item));
    }
  }
  return words.join(' ');
}
