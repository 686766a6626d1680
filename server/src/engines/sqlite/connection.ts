import cluster from 'node:cluster';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { unavailable } from '../../errors.js';
import { matches } from '../../lib/filter/evaluate.js';
import type { FieldCondition } from '../../lib/filter/types.js';
import { CATALOG_SCHEMA, Catalog } from './catalog.js';
import { BACKSTOP_PAGES, Checkpointer } from './checkpointer.js';
import { mapSqliteError } from './errors.js';
import { switchToWal } from './wal.js';
import { GroupCommit } from './group-commit.js';

/** The largest part of the database file read through a memory map (SQLite's `mmap_size`). */
export const MMAP_BYTES = 256 * 1024 * 1024;

/**
 * The open database every app store of the engine shares: the better-sqlite3 connection (WAL),
 * the catalog, a cache of prepared statements, the `hearth_field` function (sql.ts) and the two
 * ways to run a call — `write` (one BEGIN IMMEDIATE transaction) and `read` — both mapping
 * SQLite's errors to the port's (errors.ts).
 */
export class SqliteConnection {
  readonly db: Database.Database;
  readonly catalog: Catalog;
  readonly now: () => string;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly parsedConds = new Map<string, FieldCondition[]>();
  /** Document writes and batches: one transaction per group of concurrent writes (group-commit.ts). */
  readonly group: GroupCommit;

  /**
   * The transaction function of every `write`, made once: better-sqlite3 builds a wrapper per
   * `db.transaction` call (3.5% of a create's CPU when it was made per write).
   */
  private readonly tx: Database.Transaction<(fn: () => unknown) => unknown>;

  /** WAL checkpoints on a worker thread (checkpointer.ts); none for `:memory:` or `checkpoints: 'inline'`. */
  readonly checkpointer: Checkpointer | null = null;

  /** Whether other processes may write the file (then the catalog cache follows them: catalog.sync). */
  private readonly shared: boolean;

  constructor(options: {
    file: string;
    synchronous?: 'normal' | 'full' | undefined;
    now?: (() => Date) | undefined;
    shared?: boolean | undefined;
    checkpoints?: 'background' | 'inline' | undefined;
  }) {
    // node:cluster workers (WORKERS > 1) share the file; a single process owns it.
    this.shared = options.shared ?? cluster.isWorker;
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    try {
      this.db = new Database(options.file);
      // First: workers opening a new file together wait for each other's switch to WAL below
      // instead of failing it with SQLITE_BUSY.
      this.db.pragma('busy_timeout = 5000');
      switchToWal(this.db);
      this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      // The WAL file shrinks back to this after a checkpoint reset it (by default it keeps its largest size).
      this.db.pragma('journal_size_limit = 67108864');
      // Reads come straight from the OS page cache through a memory map instead of a pread()
      // and a copy per page that SQLite's own 2 MiB cache misses (−5–6% CPU per get and per list
      // on 100,000 documents: docs/performance.md). Writes still go through the WAL.
      this.db.pragma(`mmap_size = ${MMAP_BYTES}`);
      this.db.exec(CATALOG_SCHEMA);
      if (options.file !== ':memory:' && options.checkpoints !== 'inline') {
        this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
        this.checkpointer = new Checkpointer({
          file: options.file,
          onFailure: () => {
            if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
          },
        });
      }
    } catch (err) {
      throw unavailable(`The SQLite database at ${options.file} cannot be opened.`, err);
    }
    const clock = options.now ?? (() => new Date());
    this.now = () => clock().toISOString();
    this.catalog = new Catalog({ db: this.db });
    this.tx = this.db.transaction((fn: () => unknown) => {
      if (this.shared) this.catalog.sync();
      return fn();
    });
    this.group = new GroupCommit({
      db: this.db,
      single: (fn) => this.write(fn),
      onBegin: () => {
        if (this.shared) this.catalog.sync();
      },
      onRollback: () => this.catalog.reset(),
      mapError: mapSqliteError,
    });
    this.db.function('hearth_field', { deterministic: true }, (raw: unknown, conds: unknown) =>
      this.fieldHolds(raw as string | null, conds as string) ? 1 : 0,
    );
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

  /** Drops the cached statements (after a schema change, so queries are planned again). */
  forgetStatements(): void {
    this.statements.clear();
  }

  /** Runs `fn` in a transaction; on failure the catalog cache is reset and errors are mapped. */
  write<T>(fn: () => T): T {
    try {
      return this.tx.immediate(fn) as T;
    } catch (err) {
      this.catalog.reset();
      throw mapSqliteError(err);
    }
  }

  /**
   * Runs `fn` atomically with the writes queued beside it (group commit: each in its own
   * savepoint of one transaction); settles once that transaction has committed.
   */
  writeGrouped<T>(fn: () => T): Promise<T> {
    return this.group.run(fn);
  }

  /** Runs a read, mapping errors. */
  read<T>(fn: () => T): T {
    try {
      if (this.shared) this.catalog.sync();
      return fn();
    } catch (err) {
      throw mapSqliteError(err);
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
