import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../collections/users.js';
import type { FileEvent } from '../../src/modules/files/index.js';
import {
  errorOf,
  PAIRS,
  pairName,
  PNG,
  setSettings,
  startFiles,
  storedKeys,
  upload,
  user,
  type FilesWorld,
} from './support.js';

/**
 * Changing a file after upload (PATCH: `public`, name) by its owner, a secret key or an admin;
 * and a deleted user's files deleted with them (files settings `onUserDelete`, default delete).
 */
for (const pair of PAIRS) {
  describe(`file changes and user deletion [${pairName(pair)}]`, () => {
    let w: FilesWorld;
    let alice: TestUser;
    let bob: TestUser;
    const events: FileEvent[] = [];
    const patch = (id: string, headers: Record<string, string>, body: unknown) =>
      w.h.http
        .patch(`/v1/apps/${w.appId}/files/${id}`)
        .set(headers)
        .send(body as object);
    const exists = async (id: string) =>
      (await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(w.secret)).status === 200;

    beforeAll(async () => {
      w = await startFiles(pair);
      w.h.modules.files.events.on('*', (e) => events.push(e));
      alice = await user(w);
      bob = await user(w);
    });
    afterAll(async () => {
      await w?.close();
    });

    it('the owner makes a file public and renames it; the public key then reads it; files.update is emitted', async () => {
      const id = (await upload(w, alice.headers, PNG, 'a.png').expect(201)).body.id;
      const pk = { 'X-Hearth-Key': w.publicKey };
      expect((await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(pk)).status).toBe(404);
      const before = events.length;
      const res = await patch(id, alice.headers, { public: true, name: '../../holiday\u202E.png' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ id, public: true, name: 'holiday.png', owner: alice.id });
      expect(events.slice(before).map((e) => [e.type, e.file.public])).toEqual([['files.update', true]]);
      expect((await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(pk)).status).toBe(200);
      expect((await patch(id, alice.headers, { public: false })).body.public).toBe(false);
      expect((await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(pk)).status).toBe(404);
    });

    it('a secret key and an admin may change any file; another user gets 404 (private) or 403 (public)', async () => {
      const id = (await upload(w, alice.headers, PNG, 'b.png').expect(201)).body.id;
      expect(errorOf(await patch(id, bob.headers, { public: true }))).toMatchObject({ status: 404 });
      expect((await patch(id, w.secret, { public: true })).status).toBe(200);
      expect(errorOf(await patch(id, bob.headers, { name: 'mine.png' }))).toMatchObject({
        status: 403,
        code: 'forbidden',
      });
      expect((await patch(id, w.admin, { name: 'by-admin.png' })).body.name).toBe('by-admin.png');
    });

    it('a body naming nothing, an unknown key, wrong types: 400; nothing changes', async () => {
      const id = (await upload(w, alice.headers, PNG, 'c.png').expect(201)).body.id;
      for (const body of [{}, { owner: bob.id }, { public: 'yes' }, { name: '' }, { name: 'x'.repeat(300) }]) {
        expect(errorOf(await patch(id, alice.headers, body)), JSON.stringify(body)).toMatchObject({
          status: 400,
          code: 'validation_failed',
        });
      }
      const meta = await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(alice.headers).expect(200);
      expect(meta.body).toMatchObject({ name: 'c.png', public: false, owner: alice.id });
    });

    it('deleting a user deletes the files they own (default), and only theirs', async () => {
      const carol = await user(w);
      const own = [
        (await upload(w, carol.headers, PNG, 'c1.png').expect(201)).body.id,
        (await upload(w, carol.headers, PNG, 'c2.png', '?public=true').expect(201)).body.id,
      ];
      const bobs = (await upload(w, bob.headers, PNG, 'b1.png').expect(201)).body.id;
      await w.h.http.delete(`/v1/admin/apps/${w.appId}/users/${carol.id}`).set(w.admin).expect(204);
      for (const id of own) await expect.poll(() => exists(id), { timeout: 5000 }).toBe(false);
      const keys = await storedKeys(w);
      expect(own.filter((id) => keys.includes(`${w.appId}/${id}`))).toEqual([]);
      expect(await exists(bobs)).toBe(true);
    });

    it('with onUserDelete: keep, the files stay', async () => {
      await setSettings(w, { onUserDelete: 'keep' });
      const dave = await user(w);
      const id = (await upload(w, dave.headers, PNG, 'd.png').expect(201)).body.id;
      await w.h.http.delete(`/v1/admin/apps/${w.appId}/users/${dave.id}`).set(w.admin).expect(204);
      await new Promise((r) => setTimeout(r, 300));
      expect(await exists(id)).toBe(true);
      await setSettings(w, { onUserDelete: 'delete' });
    });
  });
}
