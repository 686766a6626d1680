import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFilter } from '../../lib/filter/parse.js';
import { openSqliteStore, type SqliteDocumentStore } from './index.js';

/**
 * Two stores on one file, as two WORKERS processes have (each its own connection and catalog
 * cache): what one changes in the catalog (a new collection, new array paths, a dropped
 * collection) the other sees on its next call.
 */
let dir: string;
let a: SqliteDocumentStore;
let b: SqliteDocumentStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-shared-'));
  a = openSqliteStore({ file: join(dir, 'hearth.db'), shared: true });
  b = openSqliteStore({ file: join(dir, 'hearth.db'), shared: true });
});
afterEach(async () => {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('one SQLite file, two processes', () => {
  it("sees the other's new collection, its array paths and its drop", async () => {
    const appA = a.forApp('app1');
    const appB = b.forApp('app1');
    // B caches "no such collection" first.
    expect((await appB.find('todos', { limit: 5 })).items).toEqual([]);
    const doc = await appA.create('todos', { data: { tags: ['red', 'blue'] } });
    expect(await appB.get('todos', doc.id)).toMatchObject({ tags: ['red', 'blue'] });
    // B writes to the collection A created (its cached "none" would have tried to create it again).
    await appB.create('todos', { data: { tags: ['green'] } });
    expect(await appA.count('todos')).toBe(2);
    // An equality on an array path matches an element (sql.ts needs the catalog's array paths).
    const red = await appB.find('todos', { filter: parseFilter('{"tags": "red"}'), limit: 5 });
    expect(red.items.map((d) => d.id)).toEqual([doc.id]);
    await appA.dropCollection('todos');
    expect(await appB.count('todos')).toBe(0);
    await appB.create('todos', { data: { tags: [] } });
    expect(await appA.count('todos')).toBe(1);
  });
});
