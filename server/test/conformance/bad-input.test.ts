import { expect } from 'vitest';
import { HearthError } from '../../src/errors.js';
import type { DocumentData, DocumentStore } from '../../src/ports/document-store.js';
import { freePort } from '../servers/free-port.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { expectError, f, freshApp } from './support.js';

/**
 * Bad input at the port: ids, collection names and app ids that callers should never pass
 * (they validate with lib/ids.ts), and keys that could mean something to a provider. Each case
 * has exactly one answer, the same on every engine (the contract in ports/document-store.ts):
 * an id that cannot exist is a miss (`get` → null, a write → not_found, as for a missing
 * document), a new document's malformed id, a bad collection name or app id is invalid_request;
 * nothing else is touched. A closed store and an unreachable server are `unavailable`.
 */
const BAD_IDS = [
  '',
  'a b',
  '../x',
  'x'.repeat(65),
  "'; DROP TABLE docs; --",
  '$gt',
  'é',
  'a/b',
  'a\u0000b',
  '{"$ne":null}',
];
const BAD_COLLECTIONS = [
  '',
  'a b',
  'x;drop',
  '$cmd',
  'system.users',
  '1abc',
  'a'.repeat(64),
  'a.b',
  '__proto__',
  'docs"--',
];
const BAD_APPS = ['', 'a b', 'x'.repeat(65), '../etc', 'a.b', 'a;b', '$app'];

forEachTarget('conformance: bad input', (target, store) => {
  for (const [i, id] of BAD_IDS.entries()) {
    test(
      target,
      `bad.id-${i}`,
      `a bad document id ${JSON.stringify(id.slice(0, 30))}: get misses, writes are not_found, create is invalid_request`,
      async () => {
        const app = freshApp(store());
        const keep = await app.create('t', { id: 'keep', data: { n: 1 } });
        const missing = { collection: 't', id: id.slice(0, 80) };
        expect(await app.get('t', id)).toBeNull();
        expect(await app.get('t', id, { fields: ['n'], where: f({ n: 1 }) })).toBeNull();
        await expectError(() => app.update('t', id, { set: { n: 2 } }), 'not_found', missing);
        await expectError(() => app.update('t', id, { set: { n: 2 } }, { expectedVersion: 1 }), 'not_found', missing);
        await expectError(() => app.replace('t', id, { n: 2 }), 'not_found', missing);
        await expectError(() => app.delete('t', id), 'not_found', missing);
        await expectError(
          () => app.batch([{ op: 'update', collection: 't', id, update: { set: { n: 2 } } }]),
          'not_found',
          missing,
        );
        await expectError(
          () =>
            app.batch([
              { op: 'update', collection: 't', id: 'keep', update: { set: { n: 2 } } },
              { op: 'delete', collection: 't', id },
            ]),
          'not_found',
          missing,
        );
        await expectError(() => app.create('t', { id, data: { n: 3 } }), 'invalid_request');
        await expectError(() => app.batch([{ op: 'create', collection: 't', id, data: {} }]), 'invalid_request');
        expect(await app.get('t', 'keep')).toEqual(keep);
        expect(await app.count('t')).toBe(1);
      },
    );
  }

  for (const [i, name] of BAD_COLLECTIONS.entries()) {
    test(
      target,
      `bad.collection-${i}`,
      `a bad collection name ${JSON.stringify(name.slice(0, 30))}: invalid_request on every call`,
      async () => {
        const app = freshApp(store());
        const keep = await app.create('docs', { id: 'keep', data: { n: 1 } });
        const calls: Array<() => Promise<unknown>> = [
          () => app.find(name, { limit: 5 }),
          () => app.get(name, 'keep'),
          () => app.count(name),
          () => app.aggregate(name, [{ stage: 'limit', limit: 1 }]),
          () => app.create(name, { data: { n: 2 } }),
          () => app.update(name, 'keep', { set: { n: 2 } }),
          () => app.replace(name, 'keep', { n: 2 }),
          () => app.delete(name, 'keep'),
          () => app.batch([{ op: 'create', collection: name, data: {} }]),
          () => app.batch([], { require: [{ collection: name, filter: f({}), exists: true, message: 'x' }] }),
          () => app.ensureIndex(name, { kind: 'regular', name: 'i', fields: [{ path: 'n', dir: 1 }] }),
          () => app.dropIndex(name, 'i'),
          () => app.listIndexes(name),
          () => app.dropCollection(name),
        ];
        for (const call of calls) await expectError(call, 'invalid_request');
        // the app's real data is untouched
        expect(await app.get('docs', 'keep')).toEqual(keep);
        expect(await app.count('docs')).toBe(1);
      },
    );
  }

  for (const [i, appId] of BAD_APPS.entries()) {
    test(target, `bad.app-${i}`, `a bad app id ${JSON.stringify(appId.slice(0, 30))} is invalid_request`, async () => {
      await expectError(() => store().forApp(appId), 'invalid_request');
    });
  }

  test(target, 'bad.index-specs', 'index specs with bad names, paths or directions are invalid_request', async () => {
    const app = freshApp(store());
    await app.create('t', { data: { n: 1 } });
    const bad: unknown[] = [
      { kind: 'regular', name: '', fields: [{ path: 'n', dir: 1 }] },
      { kind: 'regular', name: 'x y', fields: [{ path: 'n', dir: 1 }] },
      { kind: 'regular', name: 'i', fields: [] },
      { kind: 'regular', name: 'i', fields: [{ path: 'a"b', dir: 1 }] },
      { kind: 'regular', name: 'i', fields: [{ path: "a')--", dir: 1 }] },
      { kind: 'regular', name: 'i', fields: [{ path: '$where', dir: 1 }] },
      { kind: 'regular', name: 'i', fields: [{ path: 'n', dir: 2 }] },
      { kind: 'text', name: 't', fields: ['__proto__'] },
    ];
    for (const spec of bad) {
      await expectError(app.ensureIndex('t', spec as never), 'invalid_request');
    }
    expect(await app.listIndexes('t')).toEqual([]);
    expect(await app.count('t')).toBe(1);
  });

  test(
    target,
    'bad.keys-in-data',
    'top-level names starting with $ are refused; other provider-looking keys are stored as data',
    async () => {
      const app = freshApp(store());
      const refused: DocumentData[] = [{ $set: { owner: 'x' } }, { $where: 'sleep(1000)' }, { ok: 1, $inc: { n: 1 } }];
      for (const data of refused) {
        const field = Object.keys(data).find((k) => k.startsWith('$'));
        await expectError(() => app.create('t', { data }), 'invalid_request', { field });
      }
      expect(await app.count('t')).toBe(0);
      const datas: DocumentData[] = [
        { 'a.b': 1 },
        { o: { $gt: 1 } },
        { _id: 'forged' },
        { o: { 'x.y': { $in: [1] } } },
      ];
      for (const data of datas) {
        const created = await app.create('t', { data });
        expect(created).toMatchObject({ ...data, owner: null, version: 1 });
        expect(await app.get('t', created.id)).toEqual(created);
        // and it can be written again (MongoDB refuses to replace a document with a top-level $ name)
        expect(await app.update('t', created.id, { set: { n: 1 } })).toMatchObject({ ...data, n: 1, version: 2 });
      }
    },
  );

  test(
    target,
    'bad.update-paths',
    'update paths a provider would interpret: a top-level $ name is refused, a nested one is a plain key',
    async () => {
      const app = freshApp(store());
      const doc = await app.create('t', { data: { n: 1, o: { x: 1 } } });
      await expectError(() => app.update('t', doc.id, { set: { $inc: 5 } }), 'invalid_request', { field: '$inc' });
      await expectError(() => app.update('t', doc.id, { unset: ['$x'] }), 'invalid_request', { field: '$x' });
      await expectError(() => app.replace('t', doc.id, { $x: 1 }), 'invalid_request', { field: '$x' });
      await expectError(() => app.update('t', doc.id, { inc: { 'n.$[]': 1 } }), 'invalid_request', { path: 'n.$[]' });
      expect(await app.get('t', doc.id)).toEqual(doc);
      expect(await app.update('t', doc.id, { set: { 'o.$': 1 } })).toMatchObject({
        n: 1,
        o: { x: 1, $: 1 },
        version: 2,
      });
      expect(await app.update('t', doc.id, { set: { _id: 'x' } })).toMatchObject({ id: doc.id, _id: 'x', version: 3 });
      expect(await app.count('t')).toBe(1);
    },
  );

  test(
    target,
    'bad.filter-on-unknown-and-odd-paths',
    'filters on fields no document has, and on _id, match nothing',
    async () => {
      const app = freshApp(store());
      await app.create('t', { id: 'x', data: { n: 1 } });
      expect((await app.find('t', { filter: f({ _id: 'x' }), limit: 5 })).items).toEqual([]);
      expect((await app.find('t', { filter: f({ 'n.m.o': 1 }), limit: 5 })).items).toEqual([]);
    },
  );

  test(target, 'bad.closed-store', 'a closed store answers unavailable', async () => {
    const opened = await target.open();
    const own: DocumentStore = opened.store;
    const app = own.forApp('closing');
    await app.create('t', { data: {} });
    await own.close();
    await expectError(() => own.ping(), 'unavailable');
    await expectError(() => app.find('t', { limit: 1 }), 'unavailable');
    await expectError(() => app.create('t', { data: {} }), 'unavailable');
    await opened.cleanup().catch(() => {});
  });

  if (target.engine === 'mongodb') {
    test(
      target,
      'bad.unreachable',
      'an unreachable MongoDB is unavailable (on connect or on use), never a driver error',
      async () => {
        const { connectMongoStore } = await import('../../src/engines/mongodb/index.js');
        const port = await freePort();
        const url = `mongodb://127.0.0.1:${port}/?serverSelectionTimeoutMS=500&connectTimeoutMS=500`;
        let own: DocumentStore;
        try {
          own = await connectMongoStore({ url, dbName: 'unreachable' });
        } catch (e) {
          expect(e).toBeInstanceOf(HearthError);
          expect((e as HearthError).code).toBe('unavailable');
          return;
        }
        try {
          await expectError(() => own.ping(), 'unavailable');
          await expectError(() => own.forApp('a').get('t', 'x'), 'unavailable');
        } finally {
          await own.close();
        }
      },
    );
  }
});
