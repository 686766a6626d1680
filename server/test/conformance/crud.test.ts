import { expect } from 'vitest';
import type { DocumentData, StoredDocument } from '../../src/ports/document-store.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { expectError, f, freshApp, ISO, sleep } from './support.js';

/**
 * Create / get / update / replace / delete, system fields, versions, `expectedVersion` and
 * `where`, and values surviving a round trip unchanged.
 */
forEachTarget('conformance: crud', (target, store) => {
  test(
    target,
    'crud.create-system-fields',
    'create fills id, createdAt = updatedAt (ISO UTC), owner null, version 1',
    async () => {
      const app = freshApp(store());
      const doc = await app.create('notes', { data: { title: 'hello' } });
      expect(doc.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(doc.createdAt).toMatch(ISO);
      expect(doc.updatedAt).toBe(doc.createdAt);
      expect(doc).toMatchObject({ title: 'hello', owner: null, version: 1 });
      expect(Math.abs(Date.parse(doc.createdAt) - Date.now())).toBeLessThan(60_000);
    },
  );

  test(target, 'crud.create-owner-and-id', 'create keeps a given id and owner', async () => {
    const app = freshApp(store());
    const doc = await app.create('notes', { id: 'my-id_1', owner: 'user-7', data: { n: 1 } });
    expect(doc).toMatchObject({ id: 'my-id_1', owner: 'user-7', version: 1, n: 1 });
    expect(await app.get('notes', 'my-id_1')).toEqual(doc);
  });

  test(target, 'crud.create-ids-unique', 'engine-chosen ids are distinct', async () => {
    const app = freshApp(store());
    const docs = await Promise.all(Array.from({ length: 40 }, (_, i) => app.create('notes', { data: { i } })));
    expect(new Set(docs.map((d) => d.id)).size).toBe(40);
  });

  test(target, 'crud.create-duplicate-id', 'a duplicate id is a conflict and leaves the first document', async () => {
    const app = freshApp(store());
    await app.create('notes', { id: 'dup', data: { v: 1 } });
    await expectError(app.create('notes', { id: 'dup', data: { v: 2 } }), 'conflict');
    expect(await app.get('notes', 'dup')).toMatchObject({ v: 1, version: 1 });
  });

  test(
    target,
    'crud.create-duplicate-id-concurrent',
    'of 10 concurrent creates with one id exactly one wins',
    async () => {
      const app = freshApp(store());
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => app.create('notes', { id: 'race', data: { i } })),
      );
      const won = results.filter((r) => r.status === 'fulfilled') as Array<PromiseFulfilledResult<StoredDocument>>;
      expect(won).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('conflict');
      expect(await app.get('notes', 'race')).toEqual(won[0]!.value);
    },
  );

  test(target, 'crud.get-equals-create', 'get returns exactly what create returned', async () => {
    const app = freshApp(store());
    const doc = await app.create('notes', { data: { a: 1, nested: { b: [1, 2, { c: 'x' }] } } });
    expect(await app.get('notes', doc.id)).toEqual(doc);
  });

  test(target, 'crud.get-missing', 'get of a missing id (or in a missing collection) is null', async () => {
    const app = freshApp(store());
    expect(await app.get('notes', 'nope')).toBeNull();
    await app.create('notes', { data: {} });
    expect(await app.get('notes', 'nope')).toBeNull();
    expect(await app.get('neverCreated', 'nope')).toBeNull();
  });

  test(target, 'crud.get-fields', 'get with fields returns id and the listed paths only', async () => {
    const app = freshApp(store());
    const doc = await app.create('notes', { data: { a: 1, b: 2, obj: { x: 1, y: 2 } } });
    const got = await app.get('notes', doc.id, { fields: ['a', 'obj.y', 'version'] });
    expect(got).toMatchObject({ id: doc.id, a: 1, obj: { y: 2 }, version: 1 });
    expect(got).not.toHaveProperty('b');
    expect(got!.obj).toEqual({ y: 2 });
  });

  test(target, 'crud.get-where', 'get with where returns the document only when it matches', async () => {
    const app = freshApp(store());
    const doc = await app.create('notes', { owner: 'u1', data: { public: false } });
    expect(await app.get('notes', doc.id, { where: f({ owner: 'u1' }) })).toEqual(doc);
    expect(await app.get('notes', doc.id, { where: f({ owner: 'u2' }) })).toBeNull();
    expect(await app.get('notes', doc.id, { where: f({ $or: [{ public: true }, { owner: 'u1' }] }) })).toEqual(doc);
    expect(await app.get('notes', doc.id, { where: f({ public: true }) })).toBeNull();
  });

  // --- round trips -----------------------------------------------------------------------------
  const values: Array<[string, DocumentData]> = [
    ['strings', { s: 'plain', empty: '', spaces: '  x  ', quote: 'it\'s "q" \\ /' }],
    [
      'unicode',
      { e: 'é', cjk: '日本語', emoji: '😀👍🏽', rtl: 'שלום', combining: 'e\u0301', bmpEnd: '\uffff', zwj: '👩‍👩‍👧' },
    ],
    ['numbers', { zero: 0, neg: -17, float: 0.1, big: 9007199254740991, small: 1e-300, huge: 1.5e300, negFloat: -2.5 }],
    ['booleans and null', { t: true, f: false, n: null }],
    ['arrays', { empty: [], mixed: [1, 'a', null, true, { k: 'v' }, [2, [3]]], strings: ['a', 'b'] }],
    ['objects', { empty: {}, deep: { a: { b: { c: { d: { e: 'deep' } } } } }, withNull: { x: null } }],
    ['dates as strings', { at: '2024-02-29T23:59:59.999Z', day: '2024-01-01', offset: '2024-05-01T14:00:00+02:00' }],
    ['numeric-looking strings', { a: '1', b: '1e3', c: '0x10', d: 'true', e: 'null' }],
    ['long string', { long: 'x'.repeat(100_000) }],
    ['many fields', Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, i]))],
  ];
  for (const [name, data] of values) {
    const id = `crud.roundtrip-${name.replace(/[^a-z]+/g, '-')}`;
    test(target, id, `round trip: ${name} come back unchanged (create, get, find)`, async () => {
      const app = freshApp(store());
      const doc = await app.create('values', { data });
      const expected = { ...JSON.parse(JSON.stringify(data)) };
      const { id: _id, createdAt: _c, updatedAt: _u, owner: _o, version: _v, ...stored } = doc;
      expect(stored).toEqual(expected);
      expect(await app.get('values', doc.id)).toEqual(doc);
      const page = await app.find('values', { limit: 10 });
      expect(page.items).toEqual([doc]);
    });
  }

  test(target, 'crud.roundtrip-key-order', 'object key order is kept', async () => {
    const app = freshApp(store());
    const doc = await app.create('values', { data: { obj: { z: 1, a: 2, m: 3 } } });
    expect(Object.keys((await app.get('values', doc.id))!.obj as object)).toEqual(['z', 'a', 'm']);
  });

  // --- update ------------------------------------------------------------------------------------
  test(
    target,
    'crud.update-version-timestamps',
    'update bumps version and updatedAt, keeps createdAt and id',
    async () => {
      const app = freshApp(store());
      const doc = await app.create('notes', { data: { a: 1 } });
      await sleep(5);
      const updated = await app.update('notes', doc.id, { set: { a: 2 } });
      expect(updated).toMatchObject({ id: doc.id, a: 2, version: 2, createdAt: doc.createdAt, owner: null });
      expect(updated.updatedAt).toMatch(ISO);
      expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(doc.updatedAt));
      expect(await app.get('notes', doc.id)).toEqual(updated);
      const again = await app.update('notes', doc.id, { set: { b: 1 } });
      expect(again.version).toBe(3);
    },
  );

  test(target, 'crud.update-missing', 'update of a missing document is not_found', async () => {
    const app = freshApp(store());
    await expectError(app.update('notes', 'nope', { set: { a: 1 } }), 'not_found');
    await app.create('notes', { data: {} });
    await expectError(app.update('notes', 'nope', { set: { a: 1 } }), 'not_found');
  });

  test(
    target,
    'crud.update-expected-version',
    'update with the right expectedVersion applies; a stale one is conflict {reason: version}',
    async () => {
      const app = freshApp(store());
      const doc = await app.create('notes', { data: { a: 1 } });
      const v2 = await app.update('notes', doc.id, { set: { a: 2 } }, { expectedVersion: 1 });
      expect(v2.version).toBe(2);
      await expectError(app.update('notes', doc.id, { set: { a: 3 } }, { expectedVersion: 1 }), 'conflict', {
        reason: 'version',
        expected: 1,
        actual: 2,
      });
      expect(await app.get('notes', doc.id)).toMatchObject({ a: 2, version: 2 });
    },
  );

  test(
    target,
    'crud.update-expected-version-missing',
    'expectedVersion on a missing document is not_found',
    async () => {
      const app = freshApp(store());
      await app.create('notes', { data: {} });
      await expectError(app.update('notes', 'nope', { set: { a: 1 } }, { expectedVersion: 1 }), 'not_found');
    },
  );

  test(
    target,
    'crud.update-where',
    'update with a where that does not match is not_found and changes nothing',
    async () => {
      const app = freshApp(store());
      const doc = await app.create('notes', { owner: 'u1', data: { a: 1, locked: true } });
      await expectError(app.update('notes', doc.id, { set: { a: 2 } }, { where: f({ locked: false }) }), 'not_found');
      expect(await app.get('notes', doc.id)).toEqual(doc);
      const ok = await app.update('notes', doc.id, { set: { a: 2 } }, { where: f({ owner: 'u1', locked: true }) });
      expect(ok).toMatchObject({ a: 2, version: 2 });
    },
  );

  test(target, 'crud.update-where-and-version', 'where and expectedVersion together: both must hold', async () => {
    const app = freshApp(store());
    const doc = await app.create('notes', { data: { a: 1 } });
    await expectError(
      app.update('notes', doc.id, { set: { a: 2 } }, { where: f({ a: 1 }), expectedVersion: 5 }),
      'conflict',
      {
        reason: 'version',
      },
    );
    await expectError(
      app.update('notes', doc.id, { set: { a: 2 } }, { where: f({ a: 9 }), expectedVersion: 1 }),
      'not_found',
    );
    expect(
      await app.update('notes', doc.id, { set: { a: 2 } }, { where: f({ a: 1 }), expectedVersion: 1 }),
    ).toMatchObject({
      a: 2,
      version: 2,
    });
  });

  test(target, 'crud.update-owner', 'update can change the owner (and to null)', async () => {
    const app = freshApp(store());
    const doc = await app.create('notes', { owner: 'u1', data: {} });
    expect(await app.update('notes', doc.id, { owner: 'u2' })).toMatchObject({ owner: 'u2', version: 2 });
    expect(await app.update('notes', doc.id, { owner: null })).toMatchObject({ owner: null, version: 3 });
    expect((await app.find('notes', { filter: f({ owner: null }), limit: 5 })).items).toHaveLength(1);
  });

  test(
    target,
    'crud.concurrent-expected-version',
    'of 10 concurrent updates with the same expectedVersion exactly one wins',
    async () => {
      const app = freshApp(store());
      const doc = await app.create('notes', { data: { winner: null } });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          app.update('notes', doc.id, { set: { winner: i } }, { expectedVersion: 1 }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('conflict');
      }
      const final = await app.get('notes', doc.id);
      expect(final).toMatchObject({
        version: 2,
        winner: (won[0] as PromiseFulfilledResult<StoredDocument>).value.winner,
      });
    },
  );

  // --- replace -----------------------------------------------------------------------------------
  test(
    target,
    'crud.replace',
    'replace swaps all non-system fields, keeps id/createdAt/owner, bumps version',
    async () => {
      const app = freshApp(store());
      const doc = await app.create('notes', { owner: 'u1', data: { a: 1, b: { c: 2 } } });
      const replaced = await app.replace('notes', doc.id, { z: 'new' });
      expect(replaced).toEqual({
        id: doc.id,
        createdAt: doc.createdAt,
        updatedAt: replaced.updatedAt,
        owner: 'u1',
        version: 2,
        z: 'new',
      });
      expect(await app.get('notes', doc.id)).toEqual(replaced);
    },
  );

  test(target, 'crud.replace-guards', 'replace honours expectedVersion and where; missing is not_found', async () => {
    const app = freshApp(store());
    const doc = await app.create('notes', { data: { a: 1 } });
    await expectError(app.replace('notes', doc.id, { a: 2 }, { expectedVersion: 2 }), 'conflict', {
      reason: 'version',
      actual: 1,
    });
    await expectError(app.replace('notes', doc.id, { a: 2 }, { where: f({ a: 2 }) }), 'not_found');
    await expectError(app.replace('notes', 'missing', { a: 2 }), 'not_found');
    expect(await app.replace('notes', doc.id, { a: 3 }, { expectedVersion: 1, where: f({ a: 1 }) })).toMatchObject({
      a: 3,
      version: 2,
    });
  });

  // --- delete ------------------------------------------------------------------------------------
  test(target, 'crud.delete', 'delete returns the deleted document; it is gone afterwards', async () => {
    const app = freshApp(store());
    const doc = await app.create('notes', { data: { a: 1 } });
    const other = await app.create('notes', { data: { a: 2 } });
    expect(await app.delete('notes', doc.id)).toEqual(doc);
    expect(await app.get('notes', doc.id)).toBeNull();
    expect(await app.count('notes')).toBe(1);
    expect(await app.get('notes', other.id)).toEqual(other);
    await expectError(app.delete('notes', doc.id), 'not_found');
  });

  test(target, 'crud.delete-guards', 'delete honours expectedVersion and where', async () => {
    const app = freshApp(store());
    const doc = await app.create('notes', { owner: 'u1', data: {} });
    await expectError(app.delete('notes', doc.id, { expectedVersion: 3 }), 'conflict', {
      reason: 'version',
      expected: 3,
      actual: 1,
    });
    await expectError(app.delete('notes', doc.id, { where: f({ owner: 'u2' }) }), 'not_found');
    expect(await app.get('notes', doc.id)).toEqual(doc);
    expect(await app.delete('notes', doc.id, { expectedVersion: 1, where: f({ owner: 'u1' }) })).toEqual(doc);
  });

  test(target, 'crud.delete-recreate', 'an id can be reused after its document was deleted', async () => {
    const app = freshApp(store());
    await app.create('notes', { id: 'again', data: { v: 1 } });
    await app.delete('notes', 'again');
    const doc = await app.create('notes', { id: 'again', data: { v: 2 } });
    expect(doc).toMatchObject({ id: 'again', v: 2, version: 1 });
  });

  test(target, 'crud.ping', 'ping resolves on an open store', async () => {
    await expect(store().ping()).resolves.toBeUndefined();
    expect(store().engine).toBe(target.engine);
  });
});
