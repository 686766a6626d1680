import { getPath } from '../../lib/filter/compare.js';
import { textTokens } from '../../lib/filter/evaluate.js';
import type { IndexSpec, StoredDocument } from '../../ports/document-store.js';
import { normaliseIndex } from '../shared/documents.js';
import { assertCollectionName } from '../shared/errors.js';
import { MAX_CLASHING_IDS, duplicateId, uniqueConflict, uniqueKeyValues } from '../shared/unique.js';
import type { CollectionInfo } from './catalog.js';
import type { SqliteConnection } from './connection.js';
import { uniqueViolation } from './errors.js';
import { rankExpr, rankOf, valExpr } from './sql.js';

type RegularIndex = Extract<IndexSpec, { kind: 'regular' }>;
type TextIndex = Extract<IndexSpec, { kind: 'text' }>;

interface Row {
  seq: number;
  data: string;
}

/**
 * One app's indexes on SQLite. A regular index is an expression index on `(rank, value)` per
 * field (sql.ts spells both the same way as every query does), plus `id` for non-unique ones so
 * sorts and cursors come from the index; SQL NULLs never clash, so a unique index skips documents
 * where a field is missing or null. A text index is an FTS5 table kept in step with every write
 * (`writeText`). The port's specs are recorded in `hearth_indexes` / the catalog.
 */
export class SqliteIndexes {
  private readonly s: SqliteConnection;
  private readonly appId: string;

  constructor(options: { connection: SqliteConnection; appId: string }) {
    this.s = options.connection;
    this.appId = options.appId;
  }

  async ensure(collection: string, spec: IndexSpec): Promise<void> {
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
          throw uniqueConflict({ collection, index, ids: this.clashingIds({ info, index, doc: null }) });
        }
        throw err;
      }
      this.s.db
        .prepare('INSERT INTO hearth_indexes (tid, name, spec, sql_name) VALUES (?, ?, ?, ?)')
        .run(info.tid, index.name, JSON.stringify(index), sqlName);
      this.s.forgetStatements(); // let cached queries be planned with the new index
    });
  }

  async drop(collection: string, name: string): Promise<void> {
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

  async list(collection: string): Promise<IndexSpec[]> {
    assertCollectionName(collection);
    return this.s.read(() => {
      const info = this.s.catalog.find(this.appId, collection);
      if (!info) return [];
      const specs: IndexSpec[] = this.s.catalog.indexes(info).map((i) => i.spec);
      if (info.text) specs.push(info.text);
      return specs;
    });
  }

  /** Keeps the text index's row of a written document in step (inside the caller's transaction). */
  writeText({ info, seq, doc, replace }: { info: CollectionInfo; seq: number; doc: StoredDocument; replace: boolean }) {
    if (!info.ftsTable || !info.text) return;
    if (replace) this.s.statement(`DELETE FROM ${info.ftsTable} WHERE rowid = ?`).run(seq);
    this.s
      .statement(`INSERT INTO ${info.ftsTable} (rowid, body) VALUES (?, ?)`)
      .run(seq, textOf(doc, info.text.fields));
  }

  /** A unique violation on write → conflict naming the index and the stored documents it clashes with. */
  uniqueError({
    err,
    info,
    collection,
    doc,
  }: {
    err: unknown;
    info: CollectionInfo;
    collection: string;
    doc: StoredDocument;
  }): unknown {
    const violation = uniqueViolation(err);
    if (!violation) return err;
    if (violation.onId) return duplicateId(collection, doc.id);
    const index = this.s.catalog.indexes(info).find((i) => violation.message.includes(i.sqlName));
    if (!index || index.spec.kind !== 'regular') return err;
    return uniqueConflict({ collection, index: index.spec, ids: this.clashingIds({ info, index: index.spec, doc }) });
  }

  private ensureText(info: CollectionInfo, index: TextIndex): void {
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

  /** Stored ids that clash on a unique index: with `doc`, or among themselves when doc is null. */
  private clashingIds({
    info,
    index,
    doc,
  }: {
    info: CollectionInfo;
    index: RegularIndex;
    doc: StoredDocument | null;
  }): string[] {
    const keys = index.fields.map(({ path }) => ({ r: rankExpr(path), v: valExpr(path), path }));
    const present = keys.map((k) => `${k.r} <> 0`).join(' AND ');
    if (doc) {
      const values = uniqueKeyValues(doc, index);
      if (!values) return [];
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
