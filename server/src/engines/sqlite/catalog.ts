import type Database from 'better-sqlite3';
import { isPlainObject } from '../../lib/filter/compare.js';
import type { IndexSpec } from '../../ports/document-store.js';

/**
 * Which SQL tables hold which app's collection. SQLite identifiers are case-insensitive and app
 * ids and collection names are not, so names never come from user input: each (app, collection)
 * gets a numeric id `tid` and the tables `c<tid>` (documents) and `c<tid>_fts` (text index).
 * The catalog also keeps the port's index specs and each collection's array paths (see sql.ts).
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
`;

export class Catalog {
  private readonly cache = new Map<string, CollectionInfo | null>();

  private readonly db: Database.Database;

  constructor(options: { db: Database.Database }) {
    this.db = options.db;
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
  }

  setText(info: CollectionInfo, spec: Extract<IndexSpec, { kind: 'text' }> | null): void {
    this.db
      .prepare('UPDATE hearth_collections SET text_index = ? WHERE tid = ?')
      .run(spec ? JSON.stringify(spec) : null, info.tid);
    info.text = spec;
    info.ftsTable = spec ? `c${info.tid}_fts` : null;
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

  forget(app: string, name: string): void {
    this.cache.delete(this.key(app, name));
  }

  /** After a rolled-back transaction: what the cache learnt inside it may not exist. */
  reset(): void {
    this.cache.clear();
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
