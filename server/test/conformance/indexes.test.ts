import { expect } from 'vitest';
import type { HearthError } from '../../src/errors.js';
import type { IndexSpec } from '../../src/ports/document-store.js';
import { conformanceCase as test, forEachTarget } from './engines.js';
import { expectError, f, freshApp, seed } from './support.js';

/** ensureIndex / listIndexes / dropIndex, unique constraints on ensure, create, update, replace. */
const byName = (specs: IndexSpec[]) => [...specs].sort((a, b) => (a.name < b.name ? -1 : 1));

forEachTarget('conformance: indexes', (target, store) => {
  test(target, 'index.list-empty', 'a new collection lists no indexes', async () => {
    const app = freshApp(store());
    expect(await app.listIndexes('t')).toEqual([]);
    await app.create('t', { data: {} });
    expect(await app.listIndexes('t')).toEqual([]);
  });

  test(target, 'index.ensure-list', 'ensureIndex then listIndexes returns the specs as given', async () => {
    const app = freshApp(store());
    const specs: IndexSpec[] = [
      { kind: 'regular', name: 'byTag', fields: [{ path: 'tag', dir: 1 }] },
      {
        kind: 'regular',
        name: 'byTagN',
        fields: [
          { path: 'tag', dir: 1 },
          { path: 'n', dir: -1 },
        ],
      },
      { kind: 'regular', name: 'email_unique', fields: [{ path: 'email', dir: 1 }], unique: true },
      { kind: 'regular', name: 'nested', fields: [{ path: 'a.b', dir: -1 }] },
      { kind: 'text', name: 'search', fields: ['title', 'body'] },
    ];
    for (const spec of specs) await app.ensureIndex('t', spec);
    const listed = byName(await app.listIndexes('t'));
    expect(listed.map((s) => s.name)).toEqual(byName(specs).map((s) => s.name));
    for (const spec of specs) {
      const got = listed.find((s) => s.name === spec.name)!;
      expect(got).toMatchObject({ ...spec, ...(spec.kind === 'regular' && !spec.unique ? {} : {}) });
      if (spec.kind === 'regular') expect(Boolean((got as { unique?: boolean }).unique)).toBe(Boolean(spec.unique));
    }
  });

  test(target, 'index.ensure-idempotent', 'ensuring the same index twice is a no-op', async () => {
    const app = freshApp(store());
    const spec: IndexSpec = { kind: 'regular', name: 'byN', fields: [{ path: 'n', dir: 1 }], unique: true };
    await app.ensureIndex('t', spec);
    await app.create('t', { data: { n: 1 } });
    await app.ensureIndex('t', spec);
    await app.ensureIndex('t', spec);
    expect(await app.listIndexes('t')).toHaveLength(1);
    await expectError(app.create('t', { data: { n: 1 } }), 'conflict', { reason: 'unique' });
  });

  test(
    target,
    'index.ensure-on-existing-data',
    'an index on a collection with data serves queries and sorts',
    async () => {
      const app = freshApp(store());
      await seed(
        app,
        't',
        Array.from({ length: 30 }, (_, i) => ({ id: `x${String(i).padStart(2, '0')}`, tag: `t${i % 3}`, n: i })),
      );
      await app.ensureIndex('t', {
        kind: 'regular',
        name: 'byTagN',
        fields: [
          { path: 'tag', dir: 1 },
          { path: 'n', dir: -1 },
        ],
      });
      const page = await app.find('t', { filter: f({ tag: 't1' }), sort: [{ path: 'n', dir: -1 }], limit: 3 });
      expect(page.items.map((d) => d.n)).toEqual([28, 25, 22]);
    },
  );

  test(
    target,
    'index.unique-clash-ids-typed',
    'a unique clash names only documents with the same typed value (true is not 1)',
    async () => {
      const app = freshApp(store());
      await app.create('t', { id: 'num', data: { x: 1 } });
      await app.create('t', { id: 'bool', data: { x: true } });
      await app.ensureIndex('t', { kind: 'regular', name: 'ux', fields: [{ path: 'x', dir: 1 }], unique: true });
      await expectError(app.create('t', { id: 'again', data: { x: true } }), 'conflict', {
        reason: 'unique',
        ids: ['bool'],
      });
    },
  );

  test(
    target,
    'index.unique-existing-violation',
    'a unique index that existing data violates is a conflict naming the clashing ids',
    async () => {
      const app = freshApp(store());
      await seed(app, 'users', [
        { id: 'u1', email: 'a@x.org' },
        { id: 'u2', email: 'b@x.org' },
        { id: 'u3', email: 'a@x.org' },
        { id: 'u4', email: 'c@x.org' },
      ]);
      const error = await expectError(
        app.ensureIndex('users', { kind: 'regular', name: 'email', fields: [{ path: 'email', dir: 1 }], unique: true }),
        'conflict',
        { reason: 'unique', index: 'email' },
      );
      expect([...((error.details!.ids as string[]) ?? [])].sort()).toEqual(['u1', 'u3']);
      expect(error.details!.fields).toEqual(['email']);
      // nothing was created: duplicates still insertable, index not listed
      expect((await app.listIndexes('users')).map((s) => s.name)).not.toContain('email');
      await app.create('users', { data: { email: 'b@x.org' } });
    },
  );

  test(
    target,
    'index.unique-create',
    'creating a duplicate under a unique index is conflict {reason: unique, ids}',
    async () => {
      const app = freshApp(store());
      await app.ensureIndex('users', {
        kind: 'regular',
        name: 'email',
        fields: [{ path: 'email', dir: 1 }],
        unique: true,
      });
      await app.create('users', { id: 'first', data: { email: 'a@x.org' } });
      const error = await expectError(app.create('users', { id: 'second', data: { email: 'a@x.org' } }), 'conflict', {
        reason: 'unique',
        index: 'email',
        fields: ['email'],
      });
      expect(error.details!.ids).toEqual(['first']);
      expect(await app.get('users', 'second')).toBeNull();
      expect(await app.count('users')).toBe(1);
      // case matters: a different string is not a duplicate
      await app.create('users', { data: { email: 'A@x.org' } });
    },
  );

  test(
    target,
    'index.unique-update',
    'an update that makes a duplicate is a conflict and changes nothing',
    async () => {
      const app = freshApp(store());
      await app.ensureIndex('users', {
        kind: 'regular',
        name: 'email',
        fields: [{ path: 'email', dir: 1 }],
        unique: true,
      });
      await app.create('users', { id: 'u1', data: { email: 'a@x.org' } });
      const other = await app.create('users', { id: 'u2', data: { email: 'b@x.org' } });
      const error = await expectError(app.update('users', 'u2', { set: { email: 'a@x.org' } }), 'conflict', {
        reason: 'unique',
      });
      expect(error.details!.ids).toEqual(['u1']);
      await expectError(app.replace('users', 'u2', { email: 'a@x.org' }), 'conflict', { reason: 'unique' });
      expect(await app.get('users', 'u2')).toEqual(other);
      // updating a document to its own value is fine
      expect(await app.update('users', 'u2', { set: { email: 'b@x.org' } })).toMatchObject({ version: 2 });
    },
  );

  test(target, 'index.unique-compound', 'a compound unique index clashes only on the whole tuple', async () => {
    const app = freshApp(store());
    await app.ensureIndex('m', {
      kind: 'regular',
      name: 'pair',
      fields: [
        { path: 'team', dir: 1 },
        { path: 'user', dir: 1 },
      ],
      unique: true,
    });
    await app.create('m', { id: 'm1', data: { team: 't1', user: 'u1' } });
    await app.create('m', { data: { team: 't1', user: 'u2' } });
    await app.create('m', { data: { team: 't2', user: 'u1' } });
    const error = await expectError(app.create('m', { data: { team: 't1', user: 'u1' } }), 'conflict', {
      reason: 'unique',
      index: 'pair',
    });
    expect(error.details!.ids).toEqual(['m1']);
    expect(error.details!.fields).toEqual(['team', 'user']);
  });

  test(target, 'index.unique-types', 'unique compares typed values: 1 and "1" do not clash', async () => {
    const app = freshApp(store());
    await app.ensureIndex('t', { kind: 'regular', name: 'k', fields: [{ path: 'k', dir: 1 }], unique: true });
    await app.create('t', { data: { k: 1 } });
    await app.create('t', { data: { k: '1' } });
    await app.create('t', { data: { k: true } });
    await expectError(app.create('t', { data: { k: 1 } }), 'conflict', { reason: 'unique' });
  });

  test(target, 'index.unique-nested', 'a unique index on a dotted path', async () => {
    const app = freshApp(store());
    await app.ensureIndex('t', {
      kind: 'regular',
      name: 'slug',
      fields: [{ path: 'meta.slug', dir: 1 }],
      unique: true,
    });
    await app.create('t', { id: 'a', data: { meta: { slug: 'hello' } } });
    const error = await expectError(app.create('t', { data: { meta: { slug: 'hello', other: 1 } } }), 'conflict', {
      reason: 'unique',
    });
    expect(error.details!.ids).toEqual(['a']);
  });

  test(
    target,
    'index.unique-null-missing',
    'documents where a unique field is null or missing never clash',
    async () => {
      const app = freshApp(store());
      await app.ensureIndex('t', { kind: 'regular', name: 'k', fields: [{ path: 'k', dir: 1 }], unique: true });
      await app.create('t', { data: { other: 1 } });
      await app.create('t', { data: { other: 2 } });
      await app.create('t', { data: { k: null } });
      await app.create('t', { data: { k: null } });
      await app.create('t', { data: { k: 'x' } });
      await expectError(app.create('t', { data: { k: 'x' } }), 'conflict', { reason: 'unique' });
      expect(await app.count('t')).toBe(5);
      // and an index built over such data succeeds
      const other = freshApp(store());
      await seed(other, 't', [{ id: 'a' }, { id: 'b' }, { id: 'c', k: null }, { id: 'd', k: null }, { id: 'e', k: 1 }]);
      await other.ensureIndex('t', { kind: 'regular', name: 'k', fields: [{ path: 'k', dir: 1 }], unique: true });
      const error = await expectError(other.create('t', { data: { k: 1 } }), 'conflict', { reason: 'unique' });
      expect(error.details!.ids).toEqual(['e']);
    },
  );

  test(target, 'index.unique-after-delete', 'a value is free again once its document is deleted', async () => {
    const app = freshApp(store());
    await app.ensureIndex('t', { kind: 'regular', name: 'k', fields: [{ path: 'k', dir: 1 }], unique: true });
    const a = await app.create('t', { data: { k: 'x' } });
    await app.delete('t', a.id);
    await app.create('t', { data: { k: 'x' } });
    expect(await app.count('t')).toBe(1);
  });

  test(target, 'index.drop', 'dropIndex removes the index and its constraint', async () => {
    const app = freshApp(store());
    await app.ensureIndex('t', { kind: 'regular', name: 'k', fields: [{ path: 'k', dir: 1 }], unique: true });
    await app.ensureIndex('t', { kind: 'regular', name: 'other', fields: [{ path: 'o', dir: 1 }] });
    await app.create('t', { data: { k: 'x' } });
    await app.dropIndex('t', 'k');
    expect((await app.listIndexes('t')).map((s) => s.name)).toEqual(['other']);
    await app.create('t', { data: { k: 'x' } });
    expect(await app.count('t', { filter: f({ k: 'x' }) })).toBe(2);
  });

  test(target, 'index.drop-text', 'dropping a text index; a new one on other fields searches those', async () => {
    const app = freshApp(store());
    await app.ensureIndex('t', { kind: 'text', name: 'search', fields: ['title'] });
    await app.create('t', { data: { title: 'alpha', body: 'beta' } });
    await app.dropIndex('t', 'search');
    expect(await app.listIndexes('t')).toEqual([]);
    await app.ensureIndex('t', { kind: 'text', name: 'search2', fields: ['body'] });
    const hits = async (s: string) =>
      (await app.find('t', { filter: f({ $text: { $search: s } }), limit: 5 })).items.length;
    expect(await hits('beta')).toBe(1);
    expect(await hits('alpha')).toBe(0);
  });

  test(target, 'index.unique-concurrent', 'concurrent creates of one unique value: exactly one wins', async () => {
    const app = freshApp(store());
    await app.ensureIndex('t', { kind: 'regular', name: 'k', fields: [{ path: 'k', dir: 1 }], unique: true });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => app.create('t', { data: { k: 'same' } })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as HearthError).details).toMatchObject({ reason: 'unique' });
    }
  });
});
