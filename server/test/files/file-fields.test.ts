import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../collections/users.js';
import { errorOf, PAIRS, pairName, PNG, startFiles, storedKeys, upload, user, type FilesWorld } from './support.js';

/**
 * `file` fields in collections: a document may name a file of the same app that its writer may
 * attach (their own, a public one; a secret key: any), never another user's private file or
 * another app's; `onDelete: cascade` deletes the files with the document, `keep` (default) leaves
 * them. On both document engines (each with one file engine).
 */
for (const pair of PAIRS) {
  describe(`file fields in collections [${pairName(pair)}]`, () => {
    let w: FilesWorld;
    let alice: TestUser;
    let bob: TestUser;
    let mine: string;
    let bobsPrivate: string;
    let bobsPublic: string;
    let otherAppFile: string;
    const rules = { list: 'public', get: 'public', create: 'authenticated', update: { owner: '@auth.id' } };
    const docs = `/v1/apps/__APP__/collections/albums/documents`;
    const post = (headers: Record<string, string>, body: Record<string, unknown>) =>
      w.h.http.post(docs.replace('__APP__', w.appId)).set(headers).send(body);
    const fileExists = async (id: string) =>
      (await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(w.secret)).status === 200;

    beforeAll(async () => {
      w = await startFiles(pair);
      alice = await user(w);
      bob = await user(w);
      mine = (await upload(w, alice.headers, PNG, 'a.png').expect(201)).body.id;
      bobsPrivate = (await upload(w, bob.headers, PNG, 'b.png').expect(201)).body.id;
      bobsPublic = (await upload(w, bob.headers, PNG, 'c.png', '?public=true').expect(201)).body.id;
      const other = await w.h.http.post('/v1/admin/apps').set(w.admin).send({ name: 'Other' }).expect(201);
      otherAppFile = (
        await upload(w, { 'X-Hearth-Key': other.body.keys.secret }, PNG, 'd.png', '', other.body.id).expect(201)
      ).body.id;
      await w.h.http
        .post(`/v1/admin/apps/${w.appId}/collections`)
        .set(w.admin)
        .send({
          name: 'albums',
          fields: [
            { name: 'title', type: 'string' },
            { name: 'cover', type: 'file', onDelete: 'cascade' },
            { name: 'pages', type: 'array', of: 'file' },
          ],
          rules,
        })
        .expect(201);
    });
    afterAll(async () => {
      await w?.close();
    });

    it('onDelete on a file field is cascade or keep; keep is not for relations', async () => {
      const create = (fields: unknown[]) =>
        w.h.http.post(`/v1/admin/apps/${w.appId}/collections`).set(w.admin).send({ name: 'bad', fields });
      const restrict = await create([{ name: 'f', type: 'file', onDelete: 'restrict' }]);
      expect(errorOf(restrict)).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(JSON.stringify(restrict.body)).toContain('is cascade or keep for file fields');
      const keepRelation = await create([{ name: 'r', type: 'relation', to: 'albums', onDelete: 'keep' }]);
      expect(errorOf(keepRelation)).toMatchObject({ status: 400, code: 'validation_failed' });
      await create([{ name: 'f', type: 'array', of: 'file', onDelete: 'keep' }]).expect(201);
    });

    it('a user attaches their own file and a public one; the document carries the ids', async () => {
      const res = await post(alice.headers, { title: 'Holiday', cover: mine, pages: [bobsPublic, mine] });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ cover: mine, pages: [bobsPublic, mine] });
      const read = await w.h.http.get(`${docs.replace('__APP__', w.appId)}/${res.body.id}`).set(alice.headers);
      expect(read.body.cover).toBe(mine);
    });

    it("another user's private file, another app's file, a made-up id: all 'refers to a missing file'", async () => {
      for (const id of [bobsPrivate, otherAppFile, 'noSuchFile123']) {
        const res = await post(alice.headers, { title: 'x', cover: id });
        expect(errorOf(res), id).toMatchObject({ status: 400, code: 'validation_failed' });
        expect(res.body.error.details.fields).toEqual({ cover: 'refers to a missing file' });
      }
      const many = await post(alice.headers, { title: 'x', pages: [mine, bobsPrivate, bobsPublic, otherAppFile] });
      expect(many.body.error.details.fields).toEqual({
        'pages.1': 'refers to a missing file',
        'pages.3': 'refers to a missing file',
      });
      // patching one's own document does not get around it
      const doc = await post(alice.headers, { title: 'mine', cover: mine });
      const patch = await w.h.http
        .patch(`${docs.replace('__APP__', w.appId)}/${doc.body.id}`)
        .set(alice.headers)
        .send({ cover: bobsPrivate });
      expect(errorOf(patch)).toMatchObject({ status: 400, code: 'validation_failed' });
    });

    it("a secret key may attach any file of the app, but never another app's", async () => {
      expect((await post(w.secret, { title: 'by key', cover: bobsPrivate })).status).toBe(201);
      expect(errorOf(await post(w.secret, { title: 'x', cover: otherAppFile }))).toMatchObject({ status: 400 });
    });

    it('deleting a document deletes its cascade files (bytes and metadata) and keeps the others', async () => {
      const cover = (await upload(w, alice.headers, PNG, 'cover.png').expect(201)).body.id;
      const page = (await upload(w, alice.headers, PNG, 'page.png').expect(201)).body.id;
      const doc = await post(alice.headers, { title: 'to delete', cover, pages: [page] });
      expect(doc.status).toBe(201);
      await w.h.http
        .delete(`${docs.replace('__APP__', w.appId)}/${doc.body.id}`)
        .set(w.secret)
        .expect(204);
      await expect.poll(() => fileExists(cover), { timeout: 5000 }).toBe(false);
      expect(await storedKeys(w)).not.toContain(`${w.appId}/${cover}`);
      expect(await fileExists(page)).toBe(true);
    });
  });
}
