import { invalidRequest, unavailable } from '../../errors.js';
import { ID_PATTERN } from '../../lib/ids.js';
import { SYSTEM_APP, type AppStore, type DocumentStore } from '../../ports/document-store.js';
import { SqliteAppStore } from './app-store.js';
import { SqliteConnection } from './connection.js';

/**
 * The embedded engine: one SQLite file (WAL) holding every app's collections, through
 * better-sqlite3. Calls are synchronous underneath, so each write (and each batch) is one
 * transaction that nothing else interleaves with; the async port methods wrap them.
 *
 * Durability: WAL with synchronous=NORMAL. A committed transaction is in the WAL file before the
 * call returns, so a killed process loses nothing acknowledged (tested with SIGKILL); a power
 * loss may lose the last transactions (set `synchronous: 'full'` to fsync every commit).
 * Several processes may share the file (WORKERS > 1, `shared`): the catalog cached in memory then
 * follows the others' changes (catalog.ts); writers wait for each other (busy_timeout).
 *
 * Files: this one opens the store (the port object: forApp, ping, close); connection.ts is the
 * shared database (statements, transactions); app-store.ts one app's reads, writes and drops;
 * batch.ts its batches; indexes.ts its indexes and unique violations; sql.ts the filter, sort and
 * cursor compiler; catalog.ts which table holds what; errors.ts SQLite's errors → the port's;
 * checkpointer.ts the WAL checkpoints on a worker thread.
 */
export interface SqliteOptions {
  file: string;
  synchronous?: 'normal' | 'full';
  now?: () => Date;
  /**
   * Other processes write the same file (default: when this is a node:cluster worker, WORKERS > 1):
   * the catalog cache then checks for their changes before each call (catalog.ts).
   */
  shared?: boolean;
  /**
   * Who copies the WAL into the database file: a worker thread (`background`, the default for a
   * file: checkpointer.ts) or SQLite itself inside a commit every 1,000 pages (`inline`).
   */
  checkpoints?: 'background' | 'inline';
}

export function openSqliteStore(options: SqliteOptions): SqliteDocumentStore {
  return new SqliteDocumentStore(options);
}

export class SqliteDocumentStore implements DocumentStore {
  readonly engine = 'sqlite' as const;
  private readonly connection: SqliteConnection;

  constructor(options: SqliteOptions) {
    this.connection = new SqliteConnection(options);
  }

  forApp(appId: string): AppStore {
    if (appId !== SYSTEM_APP && !ID_PATTERN.test(appId)) throw invalidRequest('The app id is invalid.');
    return new SqliteAppStore({ connection: this.connection, appId });
  }

  async ping(): Promise<void> {
    try {
      this.connection.db.prepare('SELECT 1').get();
    } catch (err) {
      throw unavailable('The SQLite database is not available.', err);
    }
  }

  async close(): Promise<void> {
    // Writes still queued for a group commit are committed (and acknowledged) first.
    this.connection.group.flush();
    await this.connection.checkpointer?.stop();
    if (this.connection.db.open) this.connection.db.close();
  }
}
