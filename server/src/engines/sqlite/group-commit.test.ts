import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isHearthError } from '../../errors.js';
import { GroupCommit } from './group-commit.js';
import { openSqliteStore, type SqliteDocumentStore } from './index.js';

/**
 * Group commit (group-commit.ts): concurrent writes share one transaction, each in its own
 * savepoint; a failing write fails alone; a write is acknowledged only once committed. The
 * SIGKILL test (test/durability) proves no acknowledged write is lost through the whole store.
 */
let dir: string;
let store: SqliteDocumentStore;
const file = () => join(dir, 'hearth.db');
const statsOf = (s: SqliteDocumentStore) =>
  (s as unknown as { connection: { group: GroupCommit } }).connection.group.stats;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-group-'));
  store = openSqliteStore({ file: file() });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('group commit (sqlite)', () => {
  it('commits writes issued together in one transaction and acknowledges each', async () => {
    const app = store.forApp('app1');
    await app.create('todos', { data: { n: -1 } }); // the table exists before the group
    const before = { ...statsOf(store) };
    const docs = await Promise.all(Array.from({ length: 50 }, (_, i) => app.create('todos', { data: { n: i } })));
    const stats = statsOf(store);
    expect(stats.transactions - before.transactions).toBe(1);
    expect(stats.writes - before.writes).toBe(50);
    expect(new Set(docs.map((d) => d.id)).size).toBe(50);
    expect(await app.count('todos')).toBe(51);
  });

  it('a failing write among good ones fails alone, with none of its changes kept', async () => {
    const app = store.forApp('app1');
    await app.ensureIndex('users', {
      kind: 'regular',
      name: 'email',
      fields: [{ path: 'email', dir: 1 }],
      unique: true,
    });
    await app.create('users', { data: { email: 'taken@example.com' } });
    const target = await app.create('counters', { data: { n: 0 } });
    const results = await Promise.allSettled([
      app.create('users', { data: { email: 'a@example.com' } }),
      app.create('users', { data: { email: 'taken@example.com' } }), // unique violation
      app.update('counters', target.id, { inc: { n: 1 } }),
      // a batch whose second step fails: its first step must be rolled back with it
      app.batch([
        { op: 'create', collection: 'users', data: { email: 'half@example.com' } },
        { op: 'update', collection: 'counters', id: 'missing0000000000000', update: { inc: { n: 1 } } },
      ]),
      app.update('counters', target.id, { inc: { n: 1 } }, { expectedVersion: 1 }), // stale: v2 by then
      app.create('users', { data: { email: 'b@example.com' } }),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    const reasons = results.map((r) => (r.status === 'rejected' && isHearthError(r.reason) ? r.reason.code : null));
    expect(reasons).toEqual([null, 'conflict', null, 'not_found', 'conflict', null]);
    const emails = (await app.find('users', { sort: [{ path: 'email', dir: 1 }], limit: 10 })).items.map(
      (d) => d.email,
    );
    expect(emails).toEqual(['a@example.com', 'b@example.com', 'taken@example.com']);
    expect(await app.get('counters', target.id)).toMatchObject({ n: 1, version: 2 });
  });

  it('a collection created by a write rolled back in the group does not leak into the next write', async () => {
    const app = store.forApp('app1');
    const results = await Promise.allSettled([
      app.batch([
        { op: 'create', collection: 'fresh', data: { a: 1 } },
        { op: 'delete', collection: 'fresh', id: 'missing0000000000000' },
      ]),
      app.create('fresh', { data: { a: 2 } }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect((await app.find('fresh', { limit: 10 })).items.map((d) => d.a)).toEqual([2]);
  });

  it('acknowledges a write only after its commit: another connection already sees it', async () => {
    const app = store.forApp('app1');
    await app.create('todos', { data: { n: 0 } });
    const other = new Database(file(), { readonly: true });
    try {
      const table = (other.prepare("SELECT tid FROM hearth_collections WHERE name = 'todos'").get() as { tid: number })
        .tid;
      const seen = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          app
            .create('todos', { data: { n: i + 1 } })
            .then((doc) => other.prepare(`SELECT count(*) AS n FROM c${table} WHERE id = ?`).get(doc.id)),
        ),
      );
      expect(seen).toEqual(Array.from({ length: 10 }, () => ({ n: 1 })));
    } finally {
      other.close();
    }
  });

  it('when the group transaction cannot start, each write runs (and is answered) on its own', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (v INTEGER NOT NULL)');
    let failBegin = true;
    const group = new GroupCommit({
      db: {
        transaction: (fn: () => unknown) => {
          const t = db.transaction(fn);
          return Object.assign(() => t(), {
            immediate: () => {
              if (failBegin) {
                failBegin = false;
                throw new Error('busy');
              }
              return t.immediate();
            },
          });
        },
        get inTransaction() {
          return db.inTransaction;
        },
      } as unknown as Database.Database,
      single: (fn) => db.transaction(fn).immediate(),
      onRollback: () => {},
      mapError: (e) => e,
    });
    const insert = (v: number | null) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
    const results = await Promise.allSettled([group.run(insert(1)), group.run(insert(null)), group.run(insert(3))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT v FROM t ORDER BY v').all()).toEqual([{ v: 1 }, { v: 3 }]);
    db.close();
  });

  it('close commits what is still queued', async () => {
    const app = store.forApp('app1');
    const pending = app.create('todos', { data: { n: 1 } });
    await store.close();
    const doc = await pending;
    store = openSqliteStore({ file: file() });
    expect(await store.forApp('app1').get('todos', doc.id)).toMatchObject({ n: 1 });
  });
});
