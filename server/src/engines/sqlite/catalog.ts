import type Database from 'better-sqlite3';
import { isPlainObject } from '../../lib/filter/compare.js';
import type { IndexSpec } from '../../ports/document-store.js';

/**
 * Which SQL tables hold which app's collection. SQLite identifiers are case-insensitive and app
 * ids and collection names are not, so names never come from user input: each (app, collection)
 * gets a numeric id `tid` and the tables `c<tid>` (documents) and `c<tid>_fts` (text index).
 * The catalog also keeps the port's index specs and each collection's array paths (see sql.ts).
 *
 * Several processes may share the file (WORKERS > 1, docs/performance.md): every change to the
 * cached rows bumps `hearth_catalog_generation` in the same transaction, and `sync()` (run before
 * each read and at the start of each write transaction) drops the cache when another connection
 * committed since (`PRAGMA data_version`) and the generation moved.
 */
export interface CollectionInfo {
  tid: number;
  table: string;
  arrayPaths: Set<string>;
  text: Extract<IndexSpec, { kind: 'text' }> | null;
  ftsTable: string | null;
}

export const CATALOG_SCHEMA = `
CREATE TABLE IF NOT EXISTS hearth_collections (
  tid INTEGER PRIMARY KEY AUTOINCREMENT,
  app TEXT NOT NULL,
  name TEXT NOT NULL,
  array_paths TEXT NOT NULL DEFAULT '[]',
  text_index TEXT,
  UNIQUE (app, name)
);
CREATE TABLE IF NOT EXISTS hearth_indexes (
  tid INTEGER NOT NULL,
  name TEXT NOT NULL,
  spec TEXT NOT NULL,
  sql_name TEXT NOT NULL UNIQUE,
  PRIMARY KEY (tid, name)
);
CREATE TABLE IF NOT EXISTS hearth_catalog_generation (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT OR IGNORE INTO hearth_catalog_generation (id, n) VALUES (1, 0);
`;

export class Catalog {
  private readonly cache = new Map<string, CollectionInfo | null>();
  private generation = -1;
  private seenDataVersion = -1;
  private readonly dataVersion: Database.Statement;
  private readonly readGeneration: Database.Statement;
  private readonly bumpGeneration: Database.Statement;

  private readonly db: Database.Database;

  constructor(options: { db: Database.Database }) {
    this.db = options.db;
    this.dataVersion = this.db.prepare('PRAGMA data_version').pluck();
    this.readGeneration = this.db.prepare('SELECT n FROM hearth_catalog_generation WHERE id = 1').pluck();
    this.bumpGeneration = this.db.prepare('UPDATE hearth_catalog_generation SET n = n + 1 WHERE id = 1');
  }

  /** Forgets what another process changed since the last call (one PRAGMA when nothing did). */
  sync(): void {
    const version = this.dataVersion.get() as number;
    if (version === this.seenDataVersion) return;
    this.seenDataVersion = version;
    const generation = this.readGeneration.get() as number;
    if (generation !== this.generation) {
      this.cache.clear();
      this.generation = generation;
    }
  }

  /** Inside the caller's write transaction: the cached rows changed (other processes re-read). */
  private changed(): void {
    this.bumpGeneration.run();
    this.generation = this.readGeneration.get() as number;
  }

  private key = (app: string, name: string) => `${app}\u0000${name}`;

  /** The collection's tables, or null when it has never been written. */
  find(app: string, name: string): CollectionInfo | null {
    const key = this.key(app, name);
    if (this.cache.has(key)) return this.cache.get(key)!;
    const row = this.db
      .prepare('SELECT tid, array_paths, text_index FROM hearth_collections WHERE app = ? AND name = ?')
      .get(app, name) as { tid: number; array_paths: string; text_index: string | null } | undefined;
    const info = row ? this.toInfo(row) : null;
    this.cache.set(key, info);
    return info;
  }

  /** Creates the collection's table on first use (inside the caller's transaction). */
  ensure(app: string, name: string): CollectionInfo {
    const existing = this.find(app, name);
    if (existing) return existing;
    const { lastInsertRowid } = this.db
      .prepare('INSERT INTO hearth_collections (app, name) VALUES (?, ?)')
      .run(app, name);
    const tid = Number(lastInsertRowid);
    this.db.exec(`CREATE TABLE c${tid} (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, data TEXT NOT NULL)`);
    const info = this.toInfo({ tid, array_paths: '[]', text_index: null });
    this.changed();
    this.cache.set(this.key(app, name), info);
    return info;
  }

  /** Remembers new array paths of a document about to be written. */
  noteArrays(info: CollectionInfo, doc: Record<string, unknown>): void {
    const found = new Set<string>();
    arrayPaths(doc, '', found);
    const fresh = [...found].filter((p) => !info.arrayPaths.has(p));
    if (fresh.length === 0) return;
    for (const p of fresh) info.arrayPaths.add(p);
    this.db
      .prepare('UPDATE hearth_collections SET array_paths = ? WHERE tid = ?')
      .run(JSON.stringify([...info.arrayPaths]), info.tid);
    this.changed();
  }

  setText(info: CollectionInfo, spec: Extract<IndexSpec, { kind: 'text' }> | null): void {
    this.db
      .prepare('UPDATE hearth_collections SET text_index = ? WHERE tid = ?')
      .run(spec ? JSON.stringify(spec) : null, info.tid);
    info.text = spec;
    info.ftsTable = spec ? `c${info.tid}_fts` : null;
    this.changed();
  }

  indexes(info: CollectionInfo): Array<{ spec: IndexSpec; sqlName: string }> {
    const rows = this.db
      .prepare('SELECT spec, sql_name FROM hearth_indexes WHERE tid = ? ORDER BY name')
      .all(info.tid) as Array<{
      spec: string;
      sql_name: string;
    }>;
    return rows.map((r) => ({ spec: JSON.parse(r.spec) as IndexSpec, sqlName: r.sql_name }));
  }

  collectionsOf(app: string): Array<{ name: string; tid: number }> {
    return this.db.prepare('SELECT name, tid FROM hearth_collections WHERE app = ?').all(app) as Array<{
      name: string;
      tid: number;
    }>;
  }

  /** After the collection's rows were deleted (inside the caller's transaction). */
  forget(app: string, name: string): void {
    this.cache.delete(this.key(app, name));
    this.changed();
  }

  /** After a rolled-back transaction: what the cache learnt inside it may not exist. */
  reset(): void {
    this.cache.clear();
    this.generation = -1;
    this.seenDataVersion = -1;
  }

  private toInfo(row: { tid: number; array_paths: string; text_index: string | null }): CollectionInfo {
    const text = row.text_index ? (JSON.parse(row.text_index) as Extract<IndexSpec, { kind: 'text' }>) : null;
    return {
      tid: row.tid,
      table: `c${row.tid}`,
      arrayPaths: new Set(JSON.parse(row.array_paths) as string[]),
      text,
      ftsTable: text ? `c${row.tid}_fts` : null,
    };
  }
}

/** Dotted paths (through objects only) whose value is an array. */
function arrayPaths(value: Record<string, unknown>, prefix: string, out: Set<string>): void {
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(child)) out.add(path);
    else if (isPlainObject(child)) arrayPaths(child, path, out);
  }
}
