import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { expectError, openWorld, otherApp, type CollectionsWorld } from './support.js';

/** The admin schema API: every field type, online changes, unique indexes over existing data. */
describe.each(ENGINES)('collection schemas [%s]', (engine) => {
  let w: CollectionsWorld;
  beforeEach(async () => {
    w = await openWorld(engine);
  });
  afterEach(async () => {
    await w.close();
  });
  const url = (name?: string) => `/v1/admin/apps/${w.appId}/collections${name ? `/${name}` : ''}`;

  it('creates a collection with every field type, lists and gets it; defaults rules to owner-only', async () => {
    await w.createCollection({ name: 'people', fields: [{ name: 'name', type: 'string' }] });
    const created = await w.createCollection({
      name: 'things',
      strict: true,
      fields: [
        {
          name: 's',
          type: 'string',
          required: true,
          minLength: 1,
          maxLength: 50,
          pattern: '^[a-z]+$',
          searchable: true,
        },
        { name: 'n', type: 'number', min: 0, max: 1.5 },
        { name: 'i', type: 'integer', default: 3, enum: [1, 2, 3] },
        { name: 'b', type: 'boolean' },
        { name: 'd', type: 'date', min: '2000-01-01' },
        { name: 'e', type: 'email', unique: true },
        { name: 'u', type: 'url' },
        { name: 'j', type: 'json', hidden: true },
        { name: 'a', type: 'array', of: { type: 'string', enum: ['x', 'y'] }, maxLength: 5 },
        { name: 'g', type: 'geopoint' },
        { name: 'f', type: 'file' },
        { name: 'r', type: 'relation', to: 'people', onDelete: 'setNull' },
      ],
      indexes: [{ name: 'by_n', fields: ['-n', 'createdAt'] }],
    });
    expect(created).toMatchObject({
      appId: w.appId,
      name: 'things',
      version: 1,
      strict: true,
      rules: {
        create: 'authenticated',
        list: { owner: '@auth.id' },
        get: { owner: '@auth.id' },
        update: { owner: '@auth.id' },
        delete: { owner: '@auth.id' },
      },
    });
    const list = await w.h.http.get(url()).set(w.admin).expect(200);
    expect(list.body.items.map((c: { name: string }) => c.name)).toEqual(['people', 'things']);
    const got = await w.h.http.get(url('things')).set(w.admin).expect(200);
    expect(got.body.fields).toHaveLength(12);
    expect(got.headers.etag).toBe('"1"');
    const indexes = (await w.h.store.forApp(w.appId).listIndexes('things')).map((i) => i.name);
    expect(indexes).toEqual(expect.arrayContaining(['by_n', 'auto_unique_e', 'auto_rel_r', 'auto_text']));
    // documents of every type round-trip (a file field names a stored file of the app)
    const file = await w.h.http
      .post(`/v1/apps/${w.appId}/files`)
      .set(w.sk)
      .attach('file', Buffer.from('hello'), 'f.txt')
      .expect(201);
    const doc = await w.h.http
      .post(w.docs('things'))
      .set(w.sk)
      .send({
        s: 'abc',
        n: 1.25,
        b: true,
        d: '2024-01-01',
        e: 'a@b.co',
        u: 'https://x.y',
        j: { k: [1] },
        a: ['x'],
        g: { lat: 1, lng: 2 },
        f: file.body.id,
      })
      .expect(201);
    expect(doc.body).toMatchObject({ i: 3, d: '2024-01-01T00:00:00.000Z', g: { lat: 1, lng: 2 } });
  });

  it('refuses bad definitions with one message per problem; duplicates are conflicts; admin only', async () => {
    const bad = await w.h.http
      .post(url())
      .set(w.admin)
      .send({
        name: 'bad',
        fields: [
          { name: 'r', type: 'relation', to: 'nowhere' },
          { name: 'x', type: 'string', min: 1 },
        ],
        rules: { list: { $where: 'true' } },
      });
    expect(expectError(bad, 400, 'validation_failed').fields).toMatchObject({
      'fields.0.to': 'no collection named nowhere',
      'fields.1.min': expect.any(String),
      'rules.list': expect.stringContaining('$where'),
    });
    for (const name of ['_users', '1abc', 'a-b', '$x', 'x'.repeat(64)]) {
      expectError(await w.h.http.post(url()).set(w.admin).send({ name }), 400, 'validation_failed');
    }
    await w.createCollection({ name: 'dup' });
    expect(expectError(await w.h.http.post(url()).set(w.admin).send({ name: 'dup' }), 409, 'conflict')).toMatchObject({
      reason: 'exists',
    });
    expectError(await w.h.http.post(url()).set(w.sk).send({ name: 'x' }), 401, 'unauthorized');
    expectError(await w.h.http.post(url()).send({ name: 'x' }), 401, 'unauthorized');
    expectError(await w.h.http.get('/v1/admin/apps/nope/collections').set(w.admin), 404, 'not_found');
    expectError(await w.h.http.get(url('missing')).set(w.admin), 404, 'not_found');
  });

  it('changes apply online: add, update, rename and remove fields; version bumps; data follows', async () => {
    await w.createCollection({
      name: 'notes',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'body', type: 'string' },
        { name: 'old', type: 'string' },
      ],
      rules: { list: 'public', get: 'public', create: 'public' },
    });
    const a = await w.h.http.post(w.docs('notes')).set(w.sk).send({ title: 'a', body: 'x', old: 'gone' }).expect(201);
    const v2 = await w.patchCollection('notes', {
      addFields: [{ name: 'stars', type: 'integer', default: 0 }],
      renameFields: [{ from: 'body', to: 'text' }],
      removeFields: ['old'],
    });
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect(v2.body.version).toBe(2);
    expect(v2.body.fields.map((f: { name: string }) => f.name)).toEqual(['title', 'text', 'stars']);
    const doc = await w.h.http.get(w.docs('notes', a.body.id)).set(w.sk).expect(200);
    expect(doc.body).toMatchObject({ title: 'a', text: 'x' });
    expect(doc.body).not.toHaveProperty('body');
    expect(doc.body).not.toHaveProperty('old');
    // the new schema applies at once: strict collections refuse the old names
    expectError(await w.h.http.post(w.docs('notes')).set(w.sk).send({ body: 'x' }), 400, 'validation_failed');
    expect((await w.h.http.post(w.docs('notes')).set(w.sk).send({ text: 'y' }).expect(201)).body.stars).toBe(0);
    // update a field definition (now required) and strictness
    const v3 = await w
      .patchCollection('notes', { updateFields: [{ name: 'title', type: 'string', required: true }], strict: false })
      .expect(200);
    expect(v3.body.version).toBe(3);
    expect(
      expectError(await w.h.http.post(w.docs('notes')).set(w.sk).send({ extra: 1 }), 400, 'validation_failed').fields,
    ).toEqual({ title: 'is required' });
    await w.h.http.post(w.docs('notes')).set(w.sk).send({ title: 't', extra: 1 }).expect(201);
    // If-Match on schema changes
    expectError(await w.patchCollection('notes', { strict: true }).set('If-Match', '"1"'), 409, 'conflict');
    await w.patchCollection('notes', { strict: true }).set('If-Match', '"3"').expect(200);
    // bad patches
    const bad = await w.patchCollection('notes', {
      removeFields: ['nope'],
      renameFields: [{ from: 'title', to: 'text' }],
      addFields: [{ name: 'stars', type: 'string' }],
    });
    expect(expectError(bad, 400, 'validation_failed').fields).toMatchObject({
      'removeFields.0': 'no field named nope',
      'renameFields.0.to': 'a field named text exists',
      'addFields.0.name': 'a field named stars exists',
    });
    expectError(await w.patchCollection('notes', {}), 400, 'validation_failed');
  });

  it('a rule that still names a removed field blocks the change until the rule changes too', async () => {
    await w.createCollection({
      name: 'boards',
      fields: [{ name: 'public', type: 'boolean' }],
      rules: { list: { public: true } },
    });
    const res = await w.patchCollection('boards', { removeFields: ['public'] });
    expect(expectError(res, 400, 'validation_failed').fields).toMatchObject({
      'rules.list': 'still refers to field public',
    });
    await w.patchCollection('boards', { removeFields: ['public'], rules: { list: 'public' } }).expect(200);
  });

  it('a unique index that existing data violates is refused with the clashing ids; fixing the data lets it through', async () => {
    await w.createCollection({
      name: 'users2',
      fields: [{ name: 'handle', type: 'string' }],
      rules: { create: 'public' },
    });
    const ids: string[] = [];
    for (const handle of ['ann', 'bob', 'ann'])
      ids.push((await w.h.http.post(w.docs('users2')).set(w.sk).send({ handle }).expect(201)).body.id);
    const viaField = await w.patchCollection('users2', {
      updateFields: [{ name: 'handle', type: 'string', unique: true }],
    });
    const details = expectError(viaField, 409, 'conflict');
    expect(details.reason).toBe('unique');
    expect([...(details.ids as string[])].sort()).toEqual([ids[0], ids[2]].sort());
    const viaIndex = await w.patchCollection('users2', {
      addIndexes: [{ name: 'handle_u', fields: ['handle'], unique: true }],
    });
    expect(expectError(viaIndex, 409, 'conflict').reason).toBe('unique');
    // nothing changed
    const got = await w.h.http.get(url('users2')).set(w.admin).expect(200);
    expect(got.body.version).toBe(1);
    await w.h.http.patch(w.docs('users2', ids[2]!)).set(w.sk).send({ handle: 'cat' }).expect(200);
    const ok = await w
      .patchCollection('users2', { updateFields: [{ name: 'handle', type: 'string', unique: true }] })
      .expect(200);
    expect(ok.body.version).toBe(2);
    expectError(await w.h.http.post(w.docs('users2')).set(w.sk).send({ handle: 'bob' }), 409, 'conflict');
  });

  it('indexes can be dropped and collections deleted', async () => {
    await w.createCollection({
      name: 'tmp',
      fields: [{ name: 'x', type: 'integer' }],
      indexes: [{ name: 'by_x', fields: ['x'] }],
    });
    await w.h.http.post(w.docs('tmp')).set(w.sk).send({ x: 1 }).expect(201);
    const dropped = await w.patchCollection('tmp', { dropIndexes: ['by_x'] }).expect(200);
    expect(dropped.body.indexes).toEqual([]);
    expect((await w.h.store.forApp(w.appId).listIndexes('tmp')).map((i) => i.name)).not.toContain('by_x');
    await w.h.http.delete(url('tmp')).set(w.admin).expect(204);
    expectError(await w.h.http.get(w.docs('tmp')).set(w.sk), 404, 'not_found');
    await w.createCollection({ name: 'tmp', fields: [{ name: 'x', type: 'integer' }] });
    expect((await w.h.http.get(w.docs('tmp')).set(w.sk).expect(200)).body.items).toEqual([]);
  });

  it('the collection and document routes are described in /openapi.json', async () => {
    const doc = await w.h.http.get('/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/admin/apps/{appId}/collections',
        '/v1/admin/apps/{appId}/collections/{name}',
        '/v1/apps/{appId}/collections/{collection}/documents',
        '/v1/apps/{appId}/collections/{collection}/documents/{id}',
        '/v1/apps/{appId}/collections/{collection}/aggregate',
        '/v1/apps/{appId}/batch',
      ]),
    );
    const list = doc.body.paths['/v1/apps/{appId}/collections/{collection}/documents'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['filter', 'sort', 'limit', 'after', 'offset', 'fields', 'expand', 'count']),
    );
  });

  it('schema changes are audited', async () => {
    await w.createCollection({ name: 'audited' });
    await w.patchCollection('audited', { strict: false }).expect(200);
    const audit = await w.h.http.get('/v1/admin/audit').set(w.admin).expect(200);
    const ofCollection = audit.body.items.filter(
      (e: { target?: { id?: string } }) => e.target?.id === `${w.appId}/audited`,
    );
    expect(ofCollection.map((e: { action: string }) => e.action).sort()).toEqual([
      'collection.create',
      'collection.update',
    ]);
  });

  it('deleting an app removes its schemas and documents; other apps keep theirs', async () => {
    await w.createCollection({ name: 'notes', fields: [{ name: 'text', type: 'string' }] });
    const created = await w.h.http.post(w.docs('notes')).set(w.sk).send({ text: 'mine' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const other = await otherApp(w);
    await w.h.http
      .post(`/v1/admin/apps/${other.appId}/collections`)
      .set(w.admin)
      .send({ name: 'notes', fields: [{ name: 'text', type: 'string' }] })
      .expect(201);
    await w.h.http
      .post(`/v1/apps/${other.appId}/collections/notes/documents`)
      .set('X-Hearth-Key', other.secretKey)
      .send({ text: 'theirs' })
      .expect(201);

    expect(await w.h.store.forApp(w.appId).count('notes')).toBe(1);
    expect(await w.h.modules.collections.services.schemas.list(w.appId)).toHaveLength(1);

    await w.h.http.delete(`/v1/admin/apps/${w.appId}`).set(w.admin).expect(204);
    expect(await w.h.store.forApp(w.appId).count('notes')).toBe(0);
    expect(await w.h.modules.collections.services.schemas.list(w.appId)).toEqual([]);
    const theirs = await w.h.http
      .get(`/v1/apps/${other.appId}/collections/notes/documents`)
      .set('X-Hearth-Key', other.secretKey)
      .expect(200);
    expect(theirs.body.items.map((d: { text: string }) => d.text)).toEqual(['theirs']);
  });
});
