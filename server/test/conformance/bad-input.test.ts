import { expect } from 'vitest';
import { HearthError } from '../../src/errors.js';
import type { AppStore, DocumentData, DocumentStore } from '../../src/ports/document-store.js';
import { freePort } from '../servers/free-port.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { expectError, f, freshApp } from './support.js';

/**
 * Bad input at the port: ids, collection names and app ids that callers should never pass
 * (they validate with lib/ids.ts) must still be handled (a HearthError or a plain miss, never a
 * provider error, never touching other data); keys that could mean something to a provider;
 * a closed store and an unreachable server are `unavailable`.
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

/** Runs `fn`; a HearthError with one of `codes` or a plain result are fine, anything else fails. */
async function handled<T>(fn: () => Promise<T>, codes: string[]): Promise<{ value?: T; error?: HearthError }> {
  try {
    return { value: await fn() };
  } catch (e) {
    expect(e, `not a HearthError: ${String(e)}`).toBeInstanceOf(HearthError);
    expect(codes).toContain((e as HearthError).code);
    return { error: e as HearthError };
  }
}

forEachTarget('conformance: bad input', (target, store) => {
  for (const [i, id] of BAD_IDS.entries()) {
    test(
      target,
      `bad.id-${i}`,
      `a bad document id ${JSON.stringify(id.slice(0, 30))}: a miss or invalid_request, nothing else touched`,
      async () => {
        const app = freshApp(store());
        const keep = await app.create('t', { id: 'keep', data: { n: 1 } });
        const got = await handled(() => app.get('t', id), ['invalid_request', 'not_found']);
        if (!got.error) expect(got.value).toBeNull();
        await handled(() => app.update('t', id, { set: { n: 2 } }), ['invalid_request', 'not_found']).then((r) =>
          expect(r.error).toBeDefined(),
        );
        await handled(() => app.replace('t', id, { n: 2 }), ['invalid_request', 'not_found']).then((r) =>
          expect(r.error).toBeDefined(),
        );
        await handled(() => app.delete('t', id), ['invalid_request', 'not_found']).then((r) =>
          expect(r.error).toBeDefined(),
        );
        const created = await handled(() => app.create('t', { id, data: { n: 3 } }), ['invalid_request']);
        if (created.value) expect(await app.get('t', id)).toEqual(created.value);
        expect(await app.get('t', 'keep')).toEqual(keep);
        expect(await app.count('t')).toBe(created.value ? 2 : 1);
      },
    );
  }

  for (const [i, name] of BAD_COLLECTIONS.entries()) {
    test(
      target,
      `bad.collection-${i}`,
      `a bad collection name ${JSON.stringify(name.slice(0, 30))}: invalid_request or empty, never a provider error`,
      async () => {
        const app = freshApp(store());
        const keep = await app.create('docs', { id: 'keep', data: { n: 1 } });
        const ok = ['invalid_request', 'not_found'];
        const read = await handled(() => app.find(name, { limit: 5 }), ok);
        if (read.value) expect(read.value.items).toEqual([]);
        const got = await handled(() => app.get(name, 'keep'), ok);
        if (!got.error) expect(got.value).toBeNull();
        const counted = await handled(() => app.count(name), ok);
        if (!counted.error) expect(counted.value).toBe(0);
        const created = await handled(() => app.create(name, { data: { n: 2 } }), ['invalid_request']);
        expect(created.error, 'creating in a bad collection is refused').toBeDefined();
        await handled(
          () => app.ensureIndex(name, { kind: 'regular', name: 'i', fields: [{ path: 'n', dir: 1 }] }),
          ['invalid_request'],
        ).then((r) => expect(r.error).toBeDefined());
        await handled(() => app.dropCollection(name), ok);
        await handled(() => app.listIndexes(name), ok);
        await handled(() => app.aggregate(name, [{ stage: 'limit', limit: 1 }]), ok);
        // the app's real data is untouched
        expect(await app.get('docs', 'keep')).toEqual(keep);
        expect(await app.count('docs')).toBe(1);
      },
    );
  }

  for (const [i, appId] of BAD_APPS.entries()) {
    test(target, `bad.app-${i}`, `a bad app id ${JSON.stringify(appId.slice(0, 30))} is invalid_request`, async () => {
      let app: AppStore | undefined;
      try {
        app = store().forApp(appId);
      } catch (e) {
        expect(e).toBeInstanceOf(HearthError);
        expect((e as HearthError).code).toBe('invalid_request');
        return;
      }
      await expectError(() => app!.create('t', { data: {} }), 'invalid_request');
      await expectError(() => app!.find('t', { limit: 1 }), 'invalid_request');
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

  test(target, 'bad.keys-in-data', 'keys that mean something to a provider are stored as data or refused', async () => {
    const app = freshApp(store());
    const datas: DocumentData[] = [
      { $set: { owner: 'x' } },
      { 'a.b': 1 },
      { $where: 'sleep(1000)' },
      { o: { $gt: 1 } },
      { _id: 'forged' },
    ];
    for (const data of datas) {
      const created = await handled(() => app.create('t', { data }), ['invalid_request']);
      if (created.value) {
        expect(created.value).toMatchObject({ owner: null, version: 1 });
        const got = await app.get('t', created.value.id);
        expect(got).toEqual(created.value);
        expect(got).toMatchObject(data);
      }
    }
  });

  test(
    target,
    'bad.update-paths',
    'update paths a provider would interpret are refused or taken literally',
    async () => {
      const app = freshApp(store());
      const doc = await app.create('t', { data: { n: 1, o: { x: 1 } } });
      for (const update of [
        { set: { $inc: 5 } },
        { set: { 'o.$': 1 } },
        { inc: { 'n.$[]': 1 } },
        { set: { _id: 'x' } },
      ]) {
        await handled(() => app.update('t', doc.id, update as never), ['invalid_request']);
      }
      const after = await app.get('t', doc.id);
      expect(after).toMatchObject({ id: doc.id, n: 1, owner: null });
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
