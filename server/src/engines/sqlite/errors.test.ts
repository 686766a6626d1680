import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { HearthError, type ErrorCode } from '../../errors.js';
import { openSqliteStore } from './index.js';
import { mapSqliteError } from './errors.js';

/** A SQLite error whose message carries text only SQLite would write. */
const sqliteError = (code: string, message = 'no such thing') =>
  new Database.SqliteError(`SQLITE-SAYS ${message}`, code);

/** The mapped error is the port's `code`, its body says nothing of SQLite, and the cause is kept for the logs. */
function expectMapped(e: Error, code: ErrorCode): void {
  const mapped = mapSqliteError(e);
  expect(mapped).toBeInstanceOf(HearthError);
  const error = mapped as HearthError;
  expect(error.code).toBe(code);
  const body = JSON.stringify(error.toBody());
  expect(body).not.toMatch(/SQLITE/i);
  expect(body).not.toContain(e.message);
  expect(error.cause).toBe(e);
}

describe('mapSqliteError', () => {
  it('the database not serving → unavailable', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR_WRITE', 'SQLITE_FULL', 'SQLITE_CORRUPT']) {
      expectMapped(sqliteError(code, 'database is locked'), 'unavailable');
    }
    expectMapped(sqliteError('SQLITE_READONLY', 'attempt to write a readonly database'), 'unavailable');
    expectMapped(new TypeError('The database connection is not open'), 'unavailable');
  });

  it('what a request can cause → invalid_request', () => {
    expectMapped(sqliteError('SQLITE_TOOBIG', 'string or blob too big'), 'invalid_request');
    expectMapped(sqliteError('SQLITE_ERROR', 'too many SQL variables'), 'invalid_request');
    expectMapped(sqliteError('SQLITE_ERROR', 'Expression tree is too large (maximum depth 1000)'), 'invalid_request');
    expectMapped(sqliteError('SQLITE_ERROR', 'malformed JSON'), 'invalid_request');
  });

  it('our own errors and our bugs pass through unchanged (a bug is a 500 whose body says nothing)', () => {
    const mine = new HearthError('not_found');
    expect(mapSqliteError(mine)).toBe(mine);
    const bug = sqliteError('SQLITE_ERROR', 'near "SELEC": syntax error');
    expect(mapSqliteError(bug)).toBe(bug);
  });

  it('through the engine: a closed store answers unavailable without SQLite text', async () => {
    const store = openSqliteStore({ file: ':memory:' });
    const app = store.forApp('a1');
    await app.create('t', { data: {} });
    await store.close();
    const error = await app.find('t', { limit: 1 }).then(
      () => null,
      (e: unknown) => e as HearthError,
    );
    expect(error).toBeInstanceOf(HearthError);
    expect(error!.code).toBe('unavailable');
    expect(JSON.stringify(error!.toBody())).not.toMatch(/connection|SQLITE/i);
    expect(error!.cause).toBeInstanceOf(TypeError);
  });
});
