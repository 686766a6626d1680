import { expect } from 'vitest';
import type { HearthError } from '../../src/errors.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { expectError, f, freshApp } from './support.js';

/** dropCollection, dropApp, and isolation between apps. */
forEachTarget('conformance: drop, isolation', (target, store) => {
  // --- drop ------------------------------------------------------------------------------------
  test(
    target,
    'drop.collection',
    'dropCollection removes documents and indexes, leaves other collections',
    async () => {
      const app = freshApp(store());
      await app.ensureIndex('t', { kind: 'regular', name: 'k', fields: [{ path: 'k', dir: 1 }], unique: true });
      await app.create('t', { id: 'a', data: { k: 1 } });
      const keep = await app.create('keep', { id: 'a', data: { k: 1 } });
      await app.dropCollection('t');
      expect(await app.get('t', 'a')).toBeNull();
      expect(await app.count('t')).toBe(0);
      expect(await app.listIndexes('t')).toEqual([]);
      expect(await app.get('keep', 'a')).toEqual(keep);
      // usable again, without the old unique index
      await app.create('t', { data: { k: 1 } });
      await app.create('t', { data: { k: 1 } });
      expect(await app.count('t')).toBe(2);
    },
  );

  test(target, 'drop.collection-missing', 'dropping a collection that does not exist is fine', async () => {
    const app = freshApp(store());
    await app.dropCollection('never');
  });

  test(target, 'drop.app', 'dropApp removes every collection of the app and nothing of other apps', async () => {
    const s = store();
    const app = freshApp(s);
    const other = freshApp(s);
    for (const col of ['a', 'b', 'c']) {
      await app.create(col, { id: 'x', data: { col } });
      await other.create(col, { id: 'x', data: { col } });
    }
    await app.ensureIndex('a', { kind: 'regular', name: 'i', fields: [{ path: 'col', dir: 1 }] });
    await app.dropApp();
    for (const col of ['a', 'b', 'c']) {
      expect(await app.count(col)).toBe(0);
      expect(await other.get(col, 'x')).toMatchObject({ col });
    }
    expect(await app.listIndexes('a')).toEqual([]);
    // the app can start over
    await app.create('a', { id: 'x', data: {} });
    expect(await app.count('a')).toBe(1);
  });

  // --- isolation -------------------------------------------------------------------------------
  test(target, 'isolation.same-ids', 'two apps with the same collection and ids never see each other', async () => {
    const s = store();
    const A = freshApp(s, 'A');
    const B = freshApp(s, 'B');
    const a = await A.create('todos', { id: 'same', data: { who: 'A', secret: 1 } });
    const b = await B.create('todos', { id: 'same', data: { who: 'B' } });
    expect(await A.get('todos', 'same')).toEqual(a);
    expect(await B.get('todos', 'same')).toEqual(b);
    expect((await A.find('todos', { limit: 10 })).items).toEqual([a]);
    expect((await B.find('todos', { filter: f({ secret: 1 }), limit: 10 })).items).toEqual([]);
    expect(await B.count('todos', { filter: f({ who: 'A' }) })).toBe(0);
    expect(await B.aggregate('todos', [{ stage: 'group', by: ['who'], accumulators: { n: { op: 'count' } } }])).toEqual(
      [{ who: 'B', n: 1 }],
    );
  });

  test(target, 'isolation.writes', 'writes in one app never touch the other', async () => {
    const s = store();
    const A = freshApp(s, 'A');
    const B = freshApp(s, 'B');
    await A.create('t', { id: 'x', data: { n: 1 } });
    const b = await B.create('t', { id: 'x', data: { n: 1 } });
    await A.update('t', 'x', { inc: { n: 5 } });
    await A.replace('t', 'x', { n: 100 });
    await A.delete('t', 'x');
    expect(await B.get('t', 'x')).toEqual(b);
    await A.batch([{ op: 'create', collection: 't', id: 'y', data: {} }]);
    expect(await B.get('t', 'y')).toBeNull();
    await expectError(B.update('t', 'y', { set: { n: 1 } }), 'not_found');
    await expectError(B.delete('t', 'y'), 'not_found');
    await A.dropCollection('t');
    expect(await B.get('t', 'x')).toEqual(b);
  });

  test(target, 'isolation.indexes', 'indexes and unique constraints are per app', async () => {
    const s = store();
    const A = freshApp(s, 'A');
    const B = freshApp(s, 'B');
    await A.ensureIndex('u', { kind: 'regular', name: 'email', fields: [{ path: 'email', dir: 1 }], unique: true });
    await A.create('u', { data: { email: 'a@x.org' } });
    await B.create('u', { data: { email: 'a@x.org' } });
    await B.create('u', { data: { email: 'a@x.org' } });
    expect(await B.listIndexes('u')).toEqual([]);
    expect((await A.listIndexes('u')).map((i) => i.name)).toEqual(['email']);
    // B's own duplicates (not A's document) are what stops B's unique index
    const error = await expectError(
      B.ensureIndex('u', { kind: 'regular', name: 'email', fields: [{ path: 'email', dir: 1 }], unique: true }),
      'conflict',
    );
    expect((error as HearthError).details!.ids as string[]).toHaveLength(2);
  });

  test(target, 'isolation.text', '$text only searches the own app', async () => {
    const s = store();
    const A = freshApp(s, 'A');
    const B = freshApp(s, 'B');
    for (const app of [A, B]) await app.ensureIndex('p', { kind: 'text', name: 'search', fields: ['title'] });
    await A.create('p', { data: { title: 'secret plans' } });
    await B.create('p', { data: { title: 'public notes' } });
    expect((await B.find('p', { filter: f({ $text: { $search: 'secret' } }), limit: 10 })).items).toEqual([]);
  });

  test(target, 'isolation.similar-names', 'app ids that prefix each other or differ by case are distinct', async () => {
    const s = store();
    const suffix = Math.random().toString(36).slice(2, 8);
    const names = [`ab${suffix}`, `ab${suffix}_c`, `AB${suffix}`, `ab_${suffix}`, `a${suffix}`];
    for (const [i, name] of names.entries()) await s.forApp(name).create('c_d', { id: 'x', data: { i } });
    // and collections whose names could concatenate the same way
    await s.forApp(`ab${suffix}`).create('c', { id: 'x', data: { i: 'c' } });
    for (const [i, name] of names.entries()) {
      expect(await s.forApp(name).get('c_d', 'x')).toMatchObject({ i });
      expect(await s.forApp(name).count('c_d')).toBe(1);
    }
    expect(await s.forApp(`ab${suffix}`).get('c', 'x')).toMatchObject({ i: 'c' });
    expect(await s.forApp(`ab${suffix}_c`).count('d')).toBe(0);
  });

  test(
    target,
    'isolation.joined-names',
    'app + collection pairs that would join to the same name stay apart',
    async () => {
      const s = store();
      const x = `x${Math.random().toString(36).slice(2, 8)}`;
      const pairs: Array<[string, string]> = [
        [`${x}__y`, 'z'],
        [x, 'y__z'],
        [`${x}_y`, '_z'],
        [`${x}-y`, 'z'],
        [`${x}_`, 'y_z'],
        [`${x}`, 'Y__z'],
      ];
      for (const [i, [app, col]] of pairs.entries()) await s.forApp(app).create(col, { id: 'same', data: { i } });
      for (const [i, [app, col]] of pairs.entries()) {
        expect(await s.forApp(app).get(col, 'same'), `${app} / ${col}`).toMatchObject({ i });
        expect(await s.forApp(app).count(col)).toBe(1);
      }
    },
  );

  test(
    target,
    'isolation.collection-case',
    'collection names are case-sensitive: Todos and todos are two collections',
    async () => {
      const app = freshApp(store());
      await app.ensureIndex('todos', { kind: 'regular', name: 'k', fields: [{ path: 'k', dir: 1 }], unique: true });
      await app.create('todos', { id: 'x', data: { k: 1, c: 'lower' } });
      await app.create('Todos', { id: 'x', data: { k: 1, c: 'upper' } });
      await app.create('TODOS', { id: 'x', data: { k: 1, c: 'caps' } });
      expect(await app.get('todos', 'x')).toMatchObject({ c: 'lower' });
      expect(await app.get('Todos', 'x')).toMatchObject({ c: 'upper' });
      expect(await app.count('TODOS')).toBe(1);
      expect(await app.listIndexes('Todos')).toEqual([]);
      await app.dropCollection('Todos');
      expect(await app.get('todos', 'x')).toMatchObject({ c: 'lower' });
      expect(await app.get('TODOS', 'x')).toMatchObject({ c: 'caps' });
    },
  );

  test(
    target,
    'isolation.max-lengths',
    'the longest app id (64) and collection name (63) work, with indexes',
    async () => {
      const s = store();
      const appId = `L${Math.random().toString(36).slice(2, 8)}`.padEnd(64, 'a');
      const col = 'C'.padEnd(63, 'c');
      const app = s.forApp(appId);
      await app.ensureIndex(col, {
        kind: 'regular',
        name: 'a'.repeat(40),
        fields: [{ path: 'k', dir: 1 }],
        unique: true,
      });
      await app.ensureIndex(col, { kind: 'text', name: 'search', fields: ['t'] });
      const doc = await app.create(col, { id: 'i'.repeat(64), data: { k: 1, t: 'long names' } });
      expect(await app.get(col, doc.id)).toEqual(doc);
      expect((await app.find(col, { filter: f({ $text: { $search: 'names' } }), limit: 5 })).items).toHaveLength(1);
      await expectError(app.create(col, { data: { k: 1 } }), 'conflict', { reason: 'unique' });
      await app.dropApp();
      expect(await app.count(col)).toBe(0);
    },
  );

  test(target, 'isolation.system-app', 'the system app is one more isolated app', async () => {
    const s = store();
    const app = freshApp(s);
    const id = `iso_${Math.random().toString(36).slice(2, 10)}`;
    await s.forApp('_system').create('_probe', { id, data: { n: 1 } });
    expect(await app.get('_probe', id)).toBeNull();
    expect(await s.forApp('_system').get('_probe', id)).toMatchObject({ n: 1 });
    await s.forApp('_system').delete('_probe', id);
  });
});
