import Database from 'better-sqlite3';
import { HearthError, isHearthError, unavailable } from '../../errors.js';

/**
 * SQLite errors → the port's errors. Nothing of SQLite's (its code, its message) goes into the
 * answer's message or details; the SQLite error is kept as the `cause`, which the error handler
 * logs and never shows to clients.
 * - the database cannot serve the request (busy or locked past busy_timeout, I/O errors, a full
 *   disk, a read-only, corrupt or missing file, a closed connection) → `unavailable`;
 * - what a request's content can cause (a value too big, a query with too many parameters or
 *   too deeply nested, JSON nested deeper than SQLite's JSON functions read) → `invalid_request`;
 * - a unique violation is mapped where it happens (app-store.ts, indexes.ts: the caller knows
 *   the document and the index);
 * - anything else is SQL the engine wrote and SQLite refused, a bug of ours: it surfaces as it
 *   is (a 500 `internal` whose body says nothing of it, logged as an unhandled error).
 */

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|NOMEM|PROTOCOL)/;

/** SQLITE_ERROR messages caused by the size or depth of a request, not by our SQL. */
const TOO_LARGE =
  /too many SQL variables|Expression tree is too large|parser stack overflow|malformed JSON|JSON nested too deep/;

export function mapSqliteError(err: unknown): unknown {
  if (isHearthError(err)) return err;
  if (err instanceof Database.SqliteError) {
    if (UNAVAILABLE_CODES.test(err.code)) {
      return unavailable('The database is busy or unavailable. Retry later.', err);
    }
    if (err.code === 'SQLITE_TOOBIG' || (err.code === 'SQLITE_ERROR' && TOO_LARGE.test(err.message))) {
      return new HearthError(
        'invalid_request',
        'The request is too large or too deeply nested for the database.',
        undefined,
        {
          cause: err,
        },
      );
    }
    return err;
  }
  if (err instanceof TypeError && /database connection is not open/.test(err.message)) {
    return unavailable('The database is closed.', err);
  }
  return err;
}

/** A unique violation (on the id column, or else on a unique index named in the message), or null. */
export function uniqueViolation(err: unknown): { onId: boolean; message: string } | null {
  const code = (err as { code?: string } | null)?.code;
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return null;
  const message = String((err as Error).message);
  return { onId: /\.id\b/.test(message), message };
}
