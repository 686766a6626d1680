import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { expectError, openWorld, type CollectionsWorld } from './support.js';

/**
 * Relations: referential checks on write, expand (nested, with each expanded collection's get
 * rule applied), and onDelete restrict / cascade / setNull in one all-or-nothing batch.
 */
describe.each(ENGINES)('relations [%s]', (engine) => {
  let w: CollectionsWorld;
  const open = { list: 'public', get: 'public', create: 'public', update: 'public', delete: 'public' };
  beforeEach(async () => {
    w = await openWorld(engine);
    await w.createCollection({
      name: 'orgs',
      fields: [
        { name: 'name', type: 'string' },
        { name: 'visible', type: 'boolean' },
      ],
      rules: { ...open, get: { visible: true } },
    });
    await w.createCollection({
      name: 'authors',
      fields: [
        { name: 'name', type: 'string' },
        { name: 'email', type: 'email', hidden: true },
        { name: 'org', type: 'relation', to: 'orgs', onDelete: 'setNull' },
      ],
      rules: open,
    });
    await w.createCollection({
      name: 'posts',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'author', type: 'relation', to: 'authors', onDelete: 'cascade' },
        { name: 'editors', type: 'array', of: { type: 'relation', to: 'authors' }, onDelete: 'setNull' },
        { name: 'parent', type: 'relation', to: 'posts', onDelete: 'restrict' },
      ],
      rules: open,
    });
    await w.createCollection({
      name: 'comments',
      fields: [
        { name: 'text', type: 'string' },
        { name: 'post', type: 'relation', to: 'posts', onDelete: 'cascade' },
      ],
      rules: open,
    });
  });
  afterEach(async () => {
    await w.close();
  });

  const post = async (collection: string, body: Record<string, unknown>) => {
    const res = await w.h.http.post(w.docs(collection)).set(w.sk).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string } & Record<string, unknown>;
  };

  it('a caller may only point at documents it may read (an invisible target is "missing", like a made-up id)', async () => {
    const hiddenOrg = await post('orgs', { name: 'Secret', visible: false });
    const shownOrg = await post('orgs', { name: 'Open', visible: true });
    const invisible = await w.h.http.post(w.docs('authors')).set(w.pk).send({ name: 'x', org: hiddenOrg.id });
    const madeUp = await w.h.http.post(w.docs('authors')).set(w.pk).send({ name: 'x', org: 'nope-nope-nope' });
    expect(expectError(invisible, 400, 'validation_failed')).toEqual(expectError(madeUp, 400, 'validation_failed'));
    await w.h.http.post(w.docs('authors')).set(w.pk).send({ name: 'y', org: shownOrg.id }).expect(201);
    // The schema itself (a secret key) may point anywhere.
    await w.h.http.post(w.docs('authors')).set(w.sk).send({ name: 'z', org: hiddenOrg.id }).expect(201);
    // Nothing was written by the refused requests.
    const names = (await w.h.http.get(w.docs('authors')).set(w.sk).expect(200)).body.items.map(
      (a: { name: string }) => a.name,
    );
    expect(names.sort()).toEqual(['y', 'z']);
  });

  it('a batch cannot write a reference to a document it deletes (directly or by cascade)', async () => {
    const parent = await post('posts', { title: 'parent' });
    const author = await post('authors', { name: 'Ann' });
    const batch = (ops: unknown[]) => w.h.http.post(`/v1/apps/${w.appId}/batch`).set(w.sk).send({ ops });
    const direct = await batch([
      { op: 'create', collection: 'posts', data: { title: 'child', parent: parent.id } },
      { op: 'delete', collection: 'posts', id: parent.id },
    ]);
    expect(expectError(direct, 409, 'conflict')).toMatchObject({ reason: 'restricted', index: 0, deletedBy: 1 });
    const viaUpdate = await batch([
      { op: 'delete', collection: 'authors', id: author.id },
      { op: 'update', collection: 'posts', id: parent.id, data: { editors: [author.id] } },
    ]);
    expect(expectError(viaUpdate, 409, 'conflict')).toMatchObject({ reason: 'restricted', index: 1, deletedBy: 0 });
    // Nothing of either batch was applied.
    await w.h.http.get(w.docs('posts', parent.id)).set(w.sk).expect(200);
    await w.h.http.get(w.docs('authors', author.id)).set(w.sk).expect(200);
    const posts = (await w.h.http.get(w.docs('posts')).set(w.sk).expect(200)).body.items;
    expect(posts.map((p: { title: string }) => p.title)).toEqual(['parent']);
  });

  it('a reference and a concurrent delete of its target cannot both commit (checked in the write transaction)', async () => {
    const writer = w.h.modules.collections.services.writer;
    const caller = { appId: w.appId, privileged: true, user: null, scopes: [], principal: 'key:test' };
    // A create that references an author passes its checks…
    const author = await post('authors', { name: 'Ann' });
    const create = await writer.prepareCreate(caller, 'posts', { title: 'late', author: author.id });
    // …then the author is deleted (its plan saw no posts referring to it)…
    const deletion = await writer.prepareDelete(caller, 'authors', author.id, {});
    await writer.commit(caller, [deletion]);
    // …so committing the create now would leave a dangling reference: refused.
    await expect(writer.commit(caller, [create])).rejects.toMatchObject({
      code: 'conflict',
      details: { reason: 'precondition', field: 'author' },
    });
    // The other order: a delete planned before a reference appeared is refused at commit.
    const other = await post('authors', { name: 'Bob' });
    const lateDelete = await writer.prepareDelete(caller, 'authors', other.id, {});
    await post('posts', { title: 'by Bob', author: other.id });
    await expect(writer.commit(caller, [lateDelete])).rejects.toMatchObject({
      code: 'conflict',
      details: { reason: 'precondition', collection: 'posts', field: 'author' },
    });
    await w.h.http.get(w.docs('authors', other.id)).set(w.sk).expect(200);
    // Through the API the lost race is retried: the delete is planned again and cascades.
    await w.h.http.delete(w.docs('authors', other.id)).set(w.sk).expect(204);
    const titles = (await w.h.http.get(w.docs('posts')).set(w.sk).expect(200)).body.items.map(
      (p: { title: string }) => p.title,
    );
    expect(titles).not.toContain('late');
    expect(titles).not.toContain('by Bob');
  });

  it('a relation must point to an existing document', async () => {
    const res = await w.h.http
      .post(w.docs('posts'))
      .set(w.sk)
      .send({ title: 'x', author: 'nobody123', editors: ['nobody456'] });
    expect(expectError(res, 400, 'validation_failed').fields).toEqual({
      author: 'refers to a missing authors document',
      'editors.0': 'refers to a missing authors document',
    });
  });

  it("expand: nested, arrays, hidden fields stripped, the expanded collection's get rule applied", async () => {
    const visible = await post('orgs', { name: 'Acme', visible: true });
    const secretOrg = await post('orgs', { name: 'Hidden Inc', visible: false });
    const ann = await post('authors', { name: 'Ann', email: 'ann@example.com', org: visible.id });
    const bob = await post('authors', { name: 'Bob', email: 'bob@example.com', org: secretOrg.id });
    const p = await post('posts', { title: 'Hello', author: ann.id, editors: [bob.id, ann.id] });

    const res = await w.h.http
      .get(w.docs('posts', p.id))
      .query({ expand: 'author,author.org,editors,editors.org' })
      .set(w.pk)
      .expect(200);
    expect(res.body.author).toBe(ann.id);
    expect(res.body.expand.author).toMatchObject({
      id: ann.id,
      name: 'Ann',
      expand: { org: { id: visible.id, name: 'Acme' } },
    });
    expect(res.body.expand.author).not.toHaveProperty('email');
    expect(res.body.expand.editors.map((e: { name: string }) => e.name)).toEqual(['Bob', 'Ann']);
    // Bob's org fails the orgs get rule for the public key: it is absent, not leaked
    expect(res.body.expand.editors[0].expand.org).toBeNull();
    expect(JSON.stringify(res.body)).not.toContain('Hidden Inc');
    // the secret key sees everything
    const sk = await w.h.http.get(w.docs('posts', p.id)).query({ expand: 'editors.org' }).set(w.sk).expect(200);
    expect(sk.body.expand.editors[0]).toMatchObject({
      email: 'bob@example.com',
      expand: { org: { name: 'Hidden Inc' } },
    });

    const list = await w.h.http.get(w.docs('posts')).query({ expand: 'author', fields: 'title' }).set(w.pk).expect(200);
    expect(list.body.items[0]).toEqual({
      id: p.id,
      title: 'Hello',
      expand: { author: expect.objectContaining({ name: 'Ann' }) },
    });

    for (const bad of ['title', 'author.name', 'nope', 'a.b.c.d']) {
      expectError(await w.h.http.get(w.docs('posts')).query({ expand: bad }).set(w.pk), 400, 'invalid_request');
    }
  });

  it('expand of a hidden relation field is refused for non-secret callers', async () => {
    await w.createCollection({
      name: 'notes',
      fields: [{ name: 'author', type: 'relation', to: 'authors', hidden: true }],
      rules: open,
    });
    const ann = await post('authors', { name: 'Ann' });
    await post('notes', { author: ann.id });
    expectError(await w.h.http.get(w.docs('notes')).query({ expand: 'author' }).set(w.pk), 400, 'invalid_request');
    await w.h.http.get(w.docs('notes')).query({ expand: 'author' }).set(w.sk).expect(200);
  });

  it('onDelete: cascade (recursively), setNull (single and array), restrict', async () => {
    const org = await post('orgs', { name: 'Acme', visible: true });
    const ann = await post('authors', { name: 'Ann', org: org.id });
    const bob = await post('authors', { name: 'Bob' });
    const p1 = await post('posts', { title: 'p1', author: ann.id, editors: [bob.id] });
    const p2 = await post('posts', { title: 'p2', author: bob.id, editors: [ann.id, bob.id] });
    const c1 = await post('comments', { text: 'c1', post: p1.id });
    await post('comments', { text: 'c2', post: p2.id });

    // setNull: deleting the org clears Ann's org
    await w.h.http.delete(w.docs('orgs', org.id)).set(w.sk).expect(204);
    expect((await w.h.http.get(w.docs('authors', ann.id)).set(w.sk)).body.org).toBeNull();

    // restrict: a post that is another post's parent cannot be deleted
    const child = await post('posts', { title: 'child', author: bob.id, parent: p1.id });
    const blocked = await w.h.http.delete(w.docs('posts', p1.id)).set(w.sk);
    expect(expectError(blocked, 409, 'conflict')).toMatchObject({
      reason: 'restricted',
      collection: 'posts',
      field: 'parent',
      ids: [child.id],
    });
    const blockedPk = expectError(await w.h.http.delete(w.docs('posts', p1.id)).set(w.pk), 409, 'conflict');
    expect(blockedPk).not.toHaveProperty('ids');
    await w.h.http.delete(w.docs('posts', child.id)).set(w.sk).expect(204);

    // cascade: deleting Ann deletes p1 (author) and its comment c1; p2 keeps Bob, loses Ann from editors
    w.events.length = 0;
    await w.h.http.delete(w.docs('authors', ann.id)).set(w.sk).expect(204);
    await w.h.http.get(w.docs('posts', p1.id)).set(w.sk).expect(404);
    await w.h.http.get(w.docs('comments', c1.id)).set(w.sk).expect(404);
    const p2after = await w.h.http.get(w.docs('posts', p2.id)).set(w.sk).expect(200);
    expect(p2after.body.editors).toEqual([bob.id]);
    const types = w.events.map((e) => `${e.type}:${e.collection}`).sort();
    expect(types).toEqual(
      [
        'documents.delete:authors',
        'documents.delete:comments',
        'documents.delete:posts',
        'documents.update:posts',
      ].sort(),
    );
    expect(w.events.find((e) => e.collection === 'comments')!.cause).toEqual({ collection: 'authors', id: ann.id });
  });

  it('a collection other collections relate to cannot be deleted', async () => {
    const res = await w.h.http.delete(`/v1/admin/apps/${w.appId}/collections/authors`).set(w.admin);
    expect(expectError(res, 409, 'conflict')).toMatchObject({
      reason: 'referenced',
      referencedBy: [
        { collection: 'posts', field: 'author' },
        { collection: 'posts', field: 'editors' },
      ],
    });
    await w.h.http.get(`/v1/admin/apps/${w.appId}/collections/authors`).set(w.admin).expect(200);
  });
});
