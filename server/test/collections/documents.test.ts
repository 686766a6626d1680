import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/harness.js';
import { createDocument, expectError, openWorld, TODOS, type CollectionsWorld } from './support.js';

/**
 * The document API end to end on each engine, driven with the secret key (rules bypassed) and the
 * public key without a user (rules apply): CRUD, operators, paging, projection, counts, versions,
 * hidden fields, $text, scoped keys, unique fields, events. Batches and aggregates are in
 * batch-aggregate.test.ts, Idempotency-Key in idempotency.test.ts, relations in relations.test.ts.
 */
describe.each(ENGINES)('documents [%s]', (engine) => {
  let w: CollectionsWorld;
  beforeEach(async () => {
    w = await openWorld(engine);
    await w.createCollection(TODOS);
  });
  afterEach(async () => {
    await w.close();
  });

  const create = (body: Record<string, unknown>, headers = w.sk) => createDocument(w, 'todos', body, headers);

  it('JSON replies: a conditional GET with the current ETag is 304 without a body; HEAD has the length, no body', async () => {
    const doc = await create({ title: 'Cache me' });
    const url = w.docs('todos', doc.id as string);
    const full = await w.h.http.get(url).set(w.pk).expect(200);
    expect(full.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(full.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(full.body)));
    const fresh = await w.h.http.get(url).set(w.pk).set('If-None-Match', '"1"').expect(304);
    expect(fresh.text ?? '').toBe('');
    expect(fresh.headers['content-type']).toBeUndefined();
    await w.h.http.patch(url).set(w.sk).send({ done: true }).expect(200);
    const stale = await w.h.http.get(url).set(w.pk).set('If-None-Match', '"1"').expect(200);
    expect(stale.body).toMatchObject({ id: doc.id, done: true, version: 2 });
    const head = await w.h.http.head(url).set(w.pk).expect(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify(stale.body))));
    expect(head.text ?? '').toBe('');
    const list = await w.h.http.head(w.docs('todos')).set(w.pk).expect(200);
    expect(Number(list.headers['content-length'])).toBeGreaterThan(0);
  });

  it('create → get → patch → put → delete, with system fields, ETags and events', async () => {
    const created = await w.h.http
      .post(w.docs('todos'))
      .set(w.sk)
      .send({ title: 'Buy milk', due: '2024-05-01T14:00:00+02:00' })
      .expect(201);
    const doc = created.body;
    expect(doc).toMatchObject({
      title: 'Buy milk',
      done: false,
      owner: null,
      version: 1,
      due: '2024-05-01T12:00:00.000Z',
    });
    expect(doc.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(doc.createdAt).toBe(doc.updatedAt);
    expect(created.headers.etag).toBe('"1"');
    expect(created.headers.location).toBe(w.docs('todos', doc.id));

    const got = await w.h.http.get(w.docs('todos', doc.id)).set(w.pk).expect(200);
    expect(got.body).toEqual(doc);
    expect(got.headers.etag).toBe('"1"');

    const patched = await w.h.http
      .patch(w.docs('todos', doc.id))
      .set(w.sk)
      .send({ done: true, $inc: { priority: 2 }, $push: { tags: 'home' } })
      .expect(200);
    expect(patched.body).toMatchObject({ title: 'Buy milk', done: true, priority: 2, tags: ['home'], version: 2 });
    const added = await w.h.http
      .patch(w.docs('todos', doc.id))
      .set(w.sk)
      .send({ $addToSet: { tags: { $each: ['home', 'x'] } } })
      .expect(200);
    expect(added.body.tags).toEqual(['home', 'x']);
    // two operators on one path are ambiguous
    expectError(
      await w.h.http
        .patch(w.docs('todos', doc.id))
        .set(w.sk)
        .send({ $push: { tags: 'a' }, $pull: { tags: 'b' } }),
      400,
      'invalid_request',
    );
    const pulled = await w.h.http
      .patch(w.docs('todos', doc.id))
      .set(w.sk)
      .send({ $pull: { tags: 'x' }, $unset: ['due'] })
      .expect(200);
    expect(pulled.body.tags).toEqual(['home']);
    expect(pulled.body).not.toHaveProperty('due');

    const replaced = await w.h.http.put(w.docs('todos', doc.id)).set(w.sk).send({ title: 'Replaced' }).expect(200);
    expect(replaced.body).toMatchObject({
      title: 'Replaced',
      done: false,
      version: 5,
      id: doc.id,
      createdAt: doc.createdAt,
    });
    expect(replaced.body).not.toHaveProperty('tags');
    expect(replaced.body).not.toHaveProperty('priority');

    await w.h.http.delete(w.docs('todos', doc.id)).set(w.sk).expect(204);
    await w.h.http.get(w.docs('todos', doc.id)).set(w.sk).expect(404);
    await w.h.http.delete(w.docs('todos', doc.id)).set(w.sk).expect(404);

    expect(w.events.map((e) => e.type)).toEqual([
      'documents.create',
      'documents.update',
      'documents.update',
      'documents.update',
      'documents.update',
      'documents.delete',
    ]);
    const del = w.events[5]!;
    expect(del).toMatchObject({
      appId: w.appId,
      collection: 'todos',
      after: null,
      before: { id: doc.id, title: 'Replaced' },
    });
    expect(w.events[1]).toMatchObject({ before: { version: 1 }, after: { version: 2, done: true } });
  });

  it('validation: one entry per bad field; nothing is written', async () => {
    const res = await w.h.http
      .post(w.docs('todos'))
      .set(w.sk)
      .send({ title: 5, priority: 11, tags: ['a', 2], due: 'tomorrow', unknown: 1, id: 'x', $set: { a: 1 } });
    const details = expectError(res, 400, 'validation_failed');
    expect(details.fields).toEqual({
      title: 'must be a string',
      priority: 'must be at most 10',
      'tags.1': 'must be a string',
      due: expect.stringContaining('ISO-8601'),
      unknown: 'is not a field of this collection',
      id: 'is read-only',
      $set: 'field names cannot start with $',
    });
    expect(w.events).toHaveLength(0);
    const doc = await create({ title: 'x', priority: 9 });
    const over = await w.h.http
      .patch(w.docs('todos', doc.id))
      .set(w.sk)
      .send({ $inc: { priority: 5 } });
    expect(expectError(over, 400, 'validation_failed').fields).toEqual({ priority: 'must be at most 10' });
    const req = await w.h.http
      .patch(w.docs('todos', doc.id))
      .set(w.sk)
      .send({ $unset: ['title'] });
    expect(expectError(req, 400, 'validation_failed').fields).toEqual({ title: 'is required' });
    const got = await w.h.http.get(w.docs('todos', doc.id)).set(w.sk).expect(200);
    expect(got.body.version).toBe(1);
  });

  it('If-Match: a stale version is 409 with both versions; a matching one writes', async () => {
    const doc = await create({ title: 'v' });
    await w.h.http.patch(w.docs('todos', doc.id)).set(w.sk).set('If-Match', '"1"').send({ done: true }).expect(200);
    const stale = await w.h.http.patch(w.docs('todos', doc.id)).set(w.sk).set('If-Match', '"1"').send({ done: false });
    expect(expectError(stale, 409, 'conflict')).toMatchObject({ reason: 'version', expected: 1, actual: 2 });
    expectError(
      await w.h.http.put(w.docs('todos', doc.id)).set(w.sk).set('If-Match', '1').send({ title: 'x' }),
      409,
      'conflict',
    );
    expectError(await w.h.http.delete(w.docs('todos', doc.id)).set(w.sk).set('If-Match', '"7"'), 409, 'conflict');
    expectError(
      await w.h.http.patch(w.docs('todos', doc.id)).set(w.sk).set('If-Match', 'abc').send({}),
      400,
      'invalid_request',
    );
    await w.h.http.delete(w.docs('todos', doc.id)).set(w.sk).set('If-Match', 'W/"2"').expect(204);
  });

  it('list: filter, sort, limit, cursor paging, offset, fields, count', async () => {
    for (let i = 0; i < 25; i++)
      await create({ title: `t${String(i).padStart(2, '0')}`, priority: i % 5, done: i % 2 === 0 });
    const page1 = await w.h.http
      .get(w.docs('todos'))
      .query({ filter: JSON.stringify({ done: true }), sort: '-title', limit: 5, count: 'exact' })
      .set(w.pk)
      .expect(200);
    expect(page1.body.items.map((d: { title: string }) => d.title)).toEqual(['t24', 't22', 't20', 't18', 't16']);
    expect(page1.body.count).toBe(13);
    const seen = [...page1.body.items];
    let next = page1.body.next;
    while (next) {
      const page = await w.h.http
        .get(w.docs('todos'))
        .query({ filter: JSON.stringify({ done: true }), sort: '-title', limit: 5, after: next })
        .set(w.pk)
        .expect(200);
      seen.push(...page.body.items);
      next = page.body.next;
    }
    expect(seen).toHaveLength(13);
    expect(new Set(seen.map((d) => d.id)).size).toBe(13);

    const offset = await w.h.http
      .get(w.docs('todos'))
      .query({ sort: 'title', limit: 3, offset: 10 })
      .set(w.pk)
      .expect(200);
    expect(offset.body.items.map((d: { title: string }) => d.title)).toEqual(['t10', 't11', 't12']);

    const fields = await w.h.http
      .get(w.docs('todos'))
      .query({ fields: 'title', limit: 2, sort: 'title' })
      .set(w.pk)
      .expect(200);
    expect(fields.body.items[0]).toEqual({ id: expect.any(String), title: 't00' });

    const defaults = await w.h.http.get(w.docs('todos')).set(w.pk).expect(200);
    expect(defaults.body.items).toHaveLength(20);
    expect(defaults.body.items[0].title).toBe('t00'); // createdAt ascending
    expect(defaults.body).not.toHaveProperty('count');

    const est = await w.h.http.get(w.docs('todos')).query({ count: 'estimated', limit: 1 }).set(w.pk).expect(200);
    expect(est.body.count).toBeGreaterThan(0);

    const ops = await w.h.http
      .get(w.docs('todos'))
      .query({
        filter: JSON.stringify({
          $or: [{ priority: { $gte: 4 } }, { title: { $in: ['t00', 't01'] } }],
          title: { $regex: '^t[0-1]', $options: 'i' },
        }),
        sort: 'title',
      })
      .set(w.pk)
      .expect(200);
    expect(ops.body.items.map((d: { title: string }) => d.title)).toEqual(['t00', 't01', 't04', 't09', 't14', 't19']);
  });

  it('hidden fields: never returned to non-secret callers, and cannot be filtered, sorted or projected by them', async () => {
    const doc = await create({ title: 'h', secret: 's3cret' });
    expect(doc.secret).toBe('s3cret'); // secret key sees it
    const pub = await w.h.http.get(w.docs('todos', doc.id)).set(w.pk).expect(200);
    expect(pub.body).not.toHaveProperty('secret');
    const created = await w.h.http
      .post(w.docs('todos'))
      .set(w.pk)
      .send({ title: 'p', secret: 'write-only' })
      .expect(201);
    expect(created.body).not.toHaveProperty('secret');
    const list = await w.h.http.get(w.docs('todos')).set(w.pk).expect(200);
    expect(JSON.stringify(list.body)).not.toContain('s3cret');
    for (const query of [
      { filter: '{"secret":"s3cret"}' },
      { filter: '{"$or":[{"secret":{"$regex":"^s"}}]}' },
      { sort: 'secret' },
      { fields: 'title,secret' },
    ]) {
      const res = await w.h.http.get(w.docs('todos')).query(query).set(w.pk);
      expect(expectError(res, 400, 'invalid_request')).toMatchObject({ path: 'secret' });
    }
    const agg = await w.h.http
      .post(`/v1/apps/${w.appId}/collections/todos/aggregate`)
      .set(w.pk)
      .send({ pipeline: [{ $match: {} }] })
      .expect(200);
    expect(JSON.stringify(agg.body)).not.toContain('s3cret');
    const skList = await w.h.http.get(w.docs('todos')).query({ filter: '{"secret":"s3cret"}' }).set(w.sk).expect(200);
    expect(skList.body.items).toHaveLength(1);
    // events carry the whole document (consumers strip per subscriber)
    expect(w.events[0]!.after).toMatchObject({ secret: 's3cret' });
  });

  it('$text over searchable fields', async () => {
    await create({ title: 'Buy fresh milk' });
    await create({ title: 'Walk the dog' });
    await create({ title: 'Milk the cow' });
    const res = await w.h.http
      .get(w.docs('todos'))
      .query({ filter: JSON.stringify({ $text: { $search: 'milk' } }), sort: 'title' })
      .set(w.pk)
      .expect(200);
    expect(res.body.items.map((d: { title: string }) => d.title)).toEqual(['Buy fresh milk', 'Milk the cow']);
    await w.createCollection({ name: 'plain', fields: [{ name: 'x', type: 'string' }] });
    const none = await w.h.http
      .get(w.docs('plain'))
      .query({ filter: JSON.stringify({ $text: { $search: 'x' } }) })
      .set(w.sk);
    expect(expectError(none, 400, 'invalid_request')).toMatchObject({ operator: '$text' });
  });

  it('unknown collections and documents are 404; system collections are unreachable', async () => {
    // A missing collection names itself; a missing document is the same answer as a hidden one.
    const noCollection = (name: string) => ({ collection: name });
    expect(expectError(await w.h.http.get(w.docs('nope')).set(w.sk), 404, 'not_found')).toEqual(noCollection('nope'));
    expect(expectError(await w.h.http.get(w.docs('_users')).set(w.sk), 404, 'not_found')).toEqual(
      noCollection('_users'),
    );
    expect(expectError(await w.h.http.post(w.docs('_users')).set(w.sk).send({ a: 1 }), 404, 'not_found')).toEqual(
      noCollection('_users'),
    );
    for (const res of [
      await w.h.http.get(w.docs('todos', 'missing')).set(w.sk),
      await w.h.http.get(w.docs('todos', 'bad id!')).set(w.sk),
      await w.h.http.patch(w.docs('todos', 'missing')).set(w.sk).send({ title: 'x' }),
      await w.h.http.put(w.docs('todos', 'missing')).set(w.sk).send({ title: 'x' }),
      await w.h.http.delete(w.docs('todos', 'missing')).set(w.sk),
    ]) {
      expect(expectError(res, 404, 'not_found')).toEqual({});
      expect(res.body.error.message).toBe('No such document.');
    }
    expect(w.events).toEqual([]);
  });

  it('scoped keys: documents:read / documents:write are required when a key has scopes', async () => {
    const mk = async (scopes: string[]) =>
      (await w.h.http.post(`/v1/admin/apps/${w.appId}/keys`).set(w.admin).send({ kind: 'secret', scopes }).expect(201))
        .body.key as string;
    const readOnly = await mk(['documents:read']);
    const pushOnly = await mk(['push:send']);
    const all = await mk(['documents:*']);
    const doc = await create({ title: 'scoped' });
    await w.h.http.get(w.docs('todos', doc.id)).set('X-Hearth-Key', readOnly).expect(200);
    const missing = (scope: string) => ({ reason: 'scope_missing', scope });
    expect(
      expectError(
        await w.h.http.post(w.docs('todos')).set('X-Hearth-Key', readOnly).send({ title: 'x' }),
        403,
        'forbidden',
      ),
    ).toEqual(missing('documents:write'));
    expect(
      expectError(await w.h.http.delete(w.docs('todos', doc.id)).set('X-Hearth-Key', readOnly), 403, 'forbidden'),
    ).toEqual(missing('documents:write'));
    expect(expectError(await w.h.http.get(w.docs('todos')).set('X-Hearth-Key', pushOnly), 403, 'forbidden')).toEqual(
      missing('documents:read'),
    );
    const aggregate = await w.h.http
      .post(`/v1/apps/${w.appId}/collections/todos/aggregate`)
      .set('X-Hearth-Key', pushOnly)
      .send({ pipeline: [{ $match: {} }] });
    expect(expectError(aggregate, 403, 'forbidden')).toEqual(missing('documents:read'));
    expect(
      expectError(
        await w.h.http
          .post(`/v1/apps/${w.appId}/batch`)
          .set('X-Hearth-Key', readOnly)
          .send({ ops: [{ op: 'delete', collection: 'todos', id: doc.id }] }),
        403,
        'forbidden',
      ),
    ).toMatchObject({ ...missing('documents:write'), index: 0 });
    await w.h.http.get(w.docs('todos', doc.id)).set(w.sk).expect(200); // nothing was deleted
    await w.h.http.patch(w.docs('todos', doc.id)).set('X-Hearth-Key', all).send({ done: true }).expect(200);
  });

  it('unique fields: a duplicate is 409; the clashing ids are shown to the secret key only', async () => {
    await w.createCollection({
      name: 'accounts',
      fields: [{ name: 'handle', type: 'string', unique: true }],
      rules: { create: 'public', list: 'public', get: 'public' },
    });
    const first = await w.h.http.post(w.docs('accounts')).set(w.sk).send({ handle: 'ann' }).expect(201);
    const dupSk = expectError(
      await w.h.http.post(w.docs('accounts')).set(w.sk).send({ handle: 'ann' }),
      409,
      'conflict',
    );
    expect(dupSk).toMatchObject({ reason: 'unique', ids: [first.body.id] });
    const dupPk = expectError(
      await w.h.http.post(w.docs('accounts')).set(w.pk).send({ handle: 'ann' }),
      409,
      'conflict',
    );
    expect(dupPk.reason).toBe('unique');
    expect(dupPk).not.toHaveProperty('ids');
  });
});
