import { expect } from 'vitest';
import type { StoredDocument } from '../../src/ports/document-store.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { expectError, freshApp } from './support.js';

/** listCollections and importDocuments: the two calls backups and restores make (modules/backups). */
forEachTarget('conformance: backup calls', (target, store) => {
  const stored = (over: Partial<StoredDocument> & { id: string }): StoredDocument => ({
    createdAt: '2020-01-02T03:04:05.678Z',
    updatedAt: '2021-06-07T08:09:10.111Z',
    owner: 'u1',
    version: 7,
    title: 'kept',
    nested: { $odd: 1, 'a.b': [1, { c: null }] },
    ...over,
  });

  test(target, 'backup.list', 'listCollections names the collections with documents or indexes, sorted', async () => {
    const s = store();
    const app = freshApp(s);
    const other = freshApp(s);
    await app.create('zeta', { data: {} });
    await app.create('_users', { data: {} });
    await app.create('Alpha', { data: {} });
    await app.ensureIndex('indexed', { kind: 'regular', name: 'k', fields: [{ path: 'k', dir: 1 }] });
    await app.create('gone', { data: {} });
    await app.dropCollection('gone');
    await other.create('elsewhere', { data: {} });
    expect(await app.listCollections()).toEqual(['Alpha', '_users', 'indexed', 'zeta']);
    expect(await other.listCollections()).toEqual(['elsewhere']);
    expect(await freshApp(s).listCollections()).toEqual([]);
    await app.dropApp();
    expect(await app.listCollections()).toEqual([]);
  });

  test(target, 'backup.import', 'importDocuments keeps id, times, owner and version exactly', async () => {
    const app = freshApp(store());
    const docs = [stored({ id: 'a' }), stored({ id: 'b', owner: null, version: 1, createdAt: '1999-12-31T23:59:59Z' })];
    await app.importDocuments('t', docs);
    expect(await app.get('t', 'a')).toEqual(docs[0]);
    expect(await app.get('t', 'b')).toEqual(docs[1]);
    expect(await app.count('t')).toBe(2);
    // the next write goes on from the imported version
    const updated = await app.update('t', 'a', { set: { title: 'changed' } }, { expectedVersion: 7 });
    expect(updated).toMatchObject({ version: 8, createdAt: docs[0]!.createdAt });
    await app.importDocuments('t', []);
    expect(await app.count('t')).toBe(2);
  });

  test(target, 'backup.import-conflict', 'importing an id that exists, or a unique clash, is a conflict', async () => {
    const app = freshApp(store());
    await app.ensureIndex('t', { kind: 'regular', name: 'u', fields: [{ path: 'title', dir: 1 }], unique: true });
    await app.importDocuments('t', [stored({ id: 'a' })]);
    await expectError(() => app.importDocuments('t', [stored({ id: 'a', title: 'other' })]), 'conflict');
    await expectError(() => app.importDocuments('t', [stored({ id: 'b' })]), 'conflict');
    expect(await app.get('t', 'a')).toMatchObject({ title: 'kept' });
  });

  test(target, 'backup.import-bad', 'malformed stored documents are invalid_request and write nothing', async () => {
    const app = freshApp(store());
    const bad: Array<Record<string, unknown>> = [
      stored({ id: 'bad id!' }),
      stored({ id: 'x', createdAt: 'yesterday' }),
      stored({ id: 'x', updatedAt: 12 as unknown as string }),
      stored({ id: 'x', version: 0 }),
      stored({ id: 'x', version: 1.5 }),
      stored({ id: 'x', owner: 3 as unknown as string }),
      { ...stored({ id: 'x' }), $where: 1 },
      { ...stored({ id: 'x' }), __proto__x: 1, constructor: 1 },
    ];
    for (const doc of bad) {
      await expectError(
        () => app.importDocuments('t', [stored({ id: 'ok' }), doc as StoredDocument]),
        'invalid_request',
      );
    }
    await expectError(() => app.importDocuments('bad name!', [stored({ id: 'ok' })]), 'invalid_request');
    expect(await app.count('t')).toBe(0);
  });
});
