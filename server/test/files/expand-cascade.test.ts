import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { TestUser } from '../collections/users.js';
import { errorOf, PAIRS, pairName, PNG, startFiles, upload, user, type FilesWorld } from './support.js';

/**
 * `expand` of file fields (metadata + a signed URL, only for files the caller may read; null
 * otherwise) and cascades that never delete a file another document still names or another user
 * owns. On both document engines.
 */
for (const pair of PAIRS) {
  describe(`file-field expand and cascade [${pairName(pair)}]`, () => {
    let w: FilesWorld;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let alicesPrivate: string;
    let bobsPrivate: string;
    let bobsPublic: string;
    const docs = (col: string) => `/v1/apps/${w.appId}/collections/${col}/documents`;
    const fileExists = async (id: string) =>
      (await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(w.secret)).status === 200;
    const rules = {
      list: 'public',
      get: 'public',
      create: 'authenticated',
      update: { owner: '@auth.id' },
      delete: { owner: '@auth.id' },
    };
    const settle = () => new Promise((r) => setTimeout(r, 400));
    async function until(check: () => Promise<boolean>): Promise<boolean> {
      for (let i = 0; i < 50; i++) {
        if (await check()) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    }

    beforeAll(async () => {
      w = await startFiles(pair);
      [alice, bob, carol] = [await user(w), await user(w), await user(w)];
      alicesPrivate = (await upload(w, alice.headers, PNG, 'a.png').expect(201)).body.id;
      bobsPrivate = (await upload(w, bob.headers, PNG, 'b.png').expect(201)).body.id;
      bobsPublic = (await upload(w, bob.headers, PNG, 'c.png', '?public=true').expect(201)).body.id;
      for (const [name, fields] of [
        [
          'posts',
          [
            { name: 'title', type: 'string' },
            { name: 'cover', type: 'file', onDelete: 'cascade' },
            { name: 'gallery', type: 'array', of: 'file', onDelete: 'cascade' },
          ],
        ],
        ['profiles', [{ name: 'avatar', type: 'file' }]],
      ] as const) {
        await w.h.http
          .post(`/v1/admin/apps/${w.appId}/collections`)
          .set(w.admin)
          .send({ name, fields, rules })
          .expect(201);
      }
    });
    afterAll(async () => {
      await w?.close();
    });

    it('expand=cover,gallery gives metadata and a working signed URL for files the caller may read, null otherwise', async () => {
      const doc = await w.h.http
        .post(docs('posts'))
        .set(alice.headers)
        .send({ title: 'mine', cover: alicesPrivate, gallery: [alicesPrivate, bobsPublic] })
        .expect(201);
      const own = await w.h.http
        .get(`${docs('posts')}/${doc.body.id}?expand=cover,gallery`)
        .set(alice.headers)
        .expect(200);
      expect(own.body.cover).toBe(alicesPrivate);
      expect(own.body.expand.cover).toMatchObject({
        id: alicesPrivate,
        name: 'a.png',
        type: 'image/png',
        size: PNG.length,
      });
      expect(own.body.expand.gallery.map((f: { id: string }) => f.id)).toEqual([alicesPrivate, bobsPublic]);
      const url = new URL(own.body.expand.cover.url as string);
      const bytes = await request(w.h.app)
        .get(url.pathname + url.search)
        .expect(200);
      expect(Buffer.compare(bytes.body as Buffer, PNG)).toBe(0);
      // another user: alice's private file is null (left out of the array), the public one is shown
      const other = await w.h.http
        .get(`${docs('posts')}/${doc.body.id}?expand=cover,gallery`)
        .set(carol.headers)
        .expect(200);
      expect(other.body.cover).toBe(alicesPrivate);
      expect(other.body.expand.cover).toBeNull();
      expect(other.body.expand.gallery.map((f: { id: string }) => f.id)).toEqual([bobsPublic]);
      // lists expand the same way
      const list = await w.h.http
        .get(`${docs('posts')}?expand=cover`)
        .set(carol.headers)
        .expect(200);
      expect(list.body.items[0].expand.cover).toBeNull();
    });

    it("a document a secret key wrote naming bob's private file expands for bob only", async () => {
      const doc = await w.h.http.post(docs('profiles')).set(w.secret).send({ avatar: bobsPrivate }).expect(201);
      const asBob = await w.h.http
        .get(`${docs('profiles')}/${doc.body.id}?expand=avatar`)
        .set(bob.headers)
        .expect(200);
      expect(asBob.body.expand.avatar).toMatchObject({ id: bobsPrivate, owner: bob.id });
      expect(typeof asBob.body.expand.avatar.url).toBe('string');
      const asAlice = await w.h.http
        .get(`${docs('profiles')}/${doc.body.id}?expand=avatar`)
        .set(alice.headers)
        .expect(200);
      expect(asAlice.body.expand.avatar).toBeNull();
      const asSecret = await w.h.http
        .get(`${docs('profiles')}/${doc.body.id}?expand=avatar`)
        .set(w.secret)
        .expect(200);
      expect(asSecret.body.expand.avatar).toMatchObject({ id: bobsPrivate });
      await w.h.http
        .delete(`${docs('profiles')}/${doc.body.id}`)
        .set(w.secret)
        .expect(204);
    });

    it('a file field expands one level only; a field that is neither relation nor file is refused', async () => {
      const doc = await w.h.http.post(docs('posts')).set(alice.headers).send({ title: 'x' }).expect(201);
      const nested = await w.h.http.get(`${docs('posts')}/${doc.body.id}?expand=cover.owner`).set(alice.headers);
      expect(errorOf(nested)).toMatchObject({ status: 400, code: 'invalid_request' });
      const plain = await w.h.http.get(`${docs('posts')}/${doc.body.id}?expand=title`).set(alice.headers);
      expect(errorOf(plain)).toMatchObject({ status: 400, code: 'invalid_request' });
      const empty = await w.h.http
        .get(`${docs('posts')}/${doc.body.id}?expand=cover`)
        .set(alice.headers)
        .expect(200);
      expect(empty.body.expand.cover).toBeNull();
    });

    it('a cascade keeps a file another document still names (same or another collection), then deletes it with the last', async () => {
      const file = (await upload(w, alice.headers, PNG, 'shared.png').expect(201)).body.id;
      const p1 = await w.h.http.post(docs('posts')).set(alice.headers).send({ cover: file }).expect(201);
      const p2 = await w.h.http
        .post(docs('posts'))
        .set(alice.headers)
        .send({ gallery: [file] })
        .expect(201);
      const prof = await w.h.http.post(docs('profiles')).set(alice.headers).send({ avatar: file }).expect(201);
      await w.h.http
        .delete(`${docs('posts')}/${p1.body.id}`)
        .set(alice.headers)
        .expect(204);
      await settle();
      expect(await fileExists(file)).toBe(true);
      // the profile (keep) goes: the file is still named by p2
      await w.h.http
        .delete(`${docs('profiles')}/${prof.body.id}`)
        .set(alice.headers)
        .expect(204);
      await settle();
      expect(await fileExists(file)).toBe(true);
      await w.h.http
        .delete(`${docs('posts')}/${p2.body.id}`)
        .set(alice.headers)
        .expect(204);
      expect(await until(async () => !(await fileExists(file)))).toBe(true);
    });

    it("a cascade never deletes another user's (public) file that a document merely names", async () => {
      const doc = await w.h.http.post(docs('posts')).set(alice.headers).send({ cover: bobsPublic }).expect(201);
      await w.h.http
        .delete(`${docs('posts')}/${doc.body.id}`)
        .set(alice.headers)
        .expect(204);
      await settle();
      expect(await fileExists(bobsPublic)).toBe(true);
    });
  });
}
