import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../collections/users.js';
import type { FileEvent } from '../../src/modules/files/index.js';
import { errorOf, PAIRS, pairName, PNG, startFiles, storedKeys, upload, user, type FilesWorld } from './support.js';

/**
 * Who may read and delete a file (owner, public flag, secret key, admin, signed URL) and what
 * everyone else sees: 404, the same as for a file that does not exist, in this app or another.
 */
for (const pair of PAIRS) {
  describe(`file access [${pairName(pair)}]`, () => {
    let w: FilesWorld;
    let alice: TestUser;
    let bob: TestUser;
    let privateId: string;
    let publicId: string;
    let other: { appId: string; publicKey: string; secretKey: string };
    const events: FileEvent[] = [];
    const meta = (id: string, headers: Record<string, string>, appId = w.appId) =>
      w.h.http.get(`/v1/apps/${appId}/files/${id}`).set(headers);
    const content = (id: string, headers: Record<string, string>, appId = w.appId) =>
      w.h.http.get(`/v1/apps/${appId}/files/${id}/content`).set(headers);

    beforeAll(async () => {
      w = await startFiles(pair);
      w.h.modules.files.events.on('*', (e) => events.push(e));
      alice = await user(w);
      bob = await user(w);
      privateId = (await upload(w, alice.headers, PNG, 'private.png').expect(201)).body.id;
      publicId = (await upload(w, alice.headers, PNG, 'public.png', '?public=true').expect(201)).body.id;
      const created = await w.h.http.post('/v1/admin/apps').set(w.admin).send({ name: 'Other' }).expect(201);
      other = { appId: created.body.id, publicKey: created.body.keys.public, secretKey: created.body.keys.secret };
    });
    afterAll(async () => {
      await w?.close();
    });

    it('the owner, a secret key and an admin read a private file; its owner is the uploader', async () => {
      for (const headers of [alice.headers, w.secret, w.admin]) {
        expect((await meta(privateId, headers)).status).toBe(200);
        expect((await content(privateId, headers)).status).toBe(200);
      }
    });

    it("another user, the public key alone, another app's keys: 404 for a private file", async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [bob.headers, w.appId],
        [{ 'X-Hearth-Key': w.publicKey }, w.appId],
        [{ 'X-Hearth-Key': other.secretKey }, other.appId],
        [{ 'X-Hearth-Key': other.publicKey }, other.appId],
      ];
      for (const [headers, appId] of cases) {
        expect(errorOf(await meta(privateId, headers, appId))).toMatchObject({ status: 404, code: 'not_found' });
        expect(errorOf(await content(privateId, headers, appId))).toMatchObject({ status: 404, code: 'not_found' });
      }
      // another app's key on this app's path is not a key of this app
      expect(errorOf(await meta(privateId, { 'X-Hearth-Key': other.secretKey }))).toMatchObject({ status: 401 });
    });

    it('a public file is readable with the public key, by anyone, but only its owner deletes it', async () => {
      expect((await meta(publicId, { 'X-Hearth-Key': w.publicKey })).status).toBe(200);
      expect((await content(publicId, bob.headers)).status).toBe(200);
      const del = await w.h.http.delete(`/v1/apps/${w.appId}/files/${publicId}`).set(bob.headers);
      expect(errorOf(del)).toMatchObject({ status: 403, code: 'forbidden' });
      // and not from another app
      expect(errorOf(await meta(publicId, { 'X-Hearth-Key': other.publicKey }, other.appId)).status).toBe(404);
    });

    it('another user cannot delete a private file (404); the owner can, and the bytes are gone', async () => {
      const id = (await upload(w, alice.headers, PNG).expect(201)).body.id;
      expect((await w.h.http.delete(`/v1/apps/${w.appId}/files/${id}`).set(bob.headers)).status).toBe(404);
      await w.h.http.delete(`/v1/apps/${w.appId}/files/${id}`).set(alice.headers).expect(204);
      expect(await storedKeys(w)).not.toContain(`${w.appId}/${id}`);
      expect((await meta(id, alice.headers)).status).toBe(404);
      const deleted = events.find((e) => e.type === 'files.delete' && e.file.id === id);
      expect(deleted).toMatchObject({ appId: w.appId, file: { id, owner: alice.id } });
      expect(events.some((e) => e.type === 'files.create' && e.file.id === id)).toBe(true);
    });

    it('ids that are not ids are 400; unknown ids 404', async () => {
      for (const bad of ['..%2F..%2Fetc', '%2e%2e', 'a.b', 'a%00b']) {
        expect(errorOf(await meta(bad, w.secret)), bad).toMatchObject({ status: 400, code: 'invalid_request' });
        expect(errorOf(await content(bad, w.secret)), bad).toMatchObject({ status: 400, code: 'invalid_request' });
      }
      expect(errorOf(await meta('nosuchfile', w.secret))).toMatchObject({ status: 404, code: 'not_found' });
    });

    describe('signed URLs', () => {
      const sign = async (id: string, headers: Record<string, string>, expiresIn?: number) =>
        w.h.http
          .post(`/v1/apps/${w.appId}/files/${id}/url`)
          .set(headers)
          .send(expiresIn ? { expiresIn } : {});
      const fetchSigned = (url: string) => w.h.http.get(new URL(url).pathname + new URL(url).search);

      it('work without any header, for the file they name', async () => {
        const res = await sign(privateId, alice.headers);
        expect(res.status).toBe(201);
        expect(res.body.url).toMatch(new RegExp(`/v1/apps/${w.appId}/files/${privateId}/content\\?exp=\\d+&sig=`));
        const got = await fetchSigned(res.body.url).buffer(true);
        expect(got.status).toBe(200);
        expect(Buffer.from(got.body as Buffer).equals(PNG)).toBe(true);
        expect(got.headers['content-type']).toBe('image/png');
      });

      it('only someone who may read the file can get one', async () => {
        expect((await sign(privateId, bob.headers)).status).toBe(404);
        expect((await sign(privateId, w.secret)).status).toBe(201);
      });

      it('tampered, expired or another file’s signature: 403; a deleted file: 404', async () => {
        const { url } = (await sign(privateId, alice.headers)).body as { url: string };
        const u = new URL(url);
        const exp = u.searchParams.get('exp')!;
        const sig = u.searchParams.get('sig')!;
        const path = `/v1/apps/${w.appId}/files`;
        const flipped = sig.slice(0, -2) + (sig.endsWith('AA') ? 'BB' : 'AA');
        const bad = [
          `${path}/${privateId}/content?exp=${exp}&sig=${flipped}`,
          `${path}/${privateId}/content?exp=${Number(exp) + 1000}&sig=${sig}`,
          `${path}/${publicId}/content?exp=${exp}&sig=${sig}`,
          `/v1/apps/${other.appId}/files/${privateId}/content?exp=${exp}&sig=${sig}`,
          `${path}/${privateId}/content?exp=soon&sig=${sig}`,
          `${path}/${privateId}/content?sig=${sig}`,
        ];
        for (const b of bad) {
          expect(errorOf(await w.h.http.get(b)), b).toEqual({
            status: 403,
            code: 'forbidden',
            reason: 'signed_url_invalid',
          });
        }
        const short = (await sign(privateId, alice.headers, 1)).body as { url: string };
        await new Promise((r) => setTimeout(r, 1100));
        expect(errorOf(await fetchSigned(short.url))).toEqual({
          status: 403,
          code: 'forbidden',
          reason: 'signed_url_expired',
        });
        const id = (await upload(w, alice.headers, PNG).expect(201)).body.id;
        const gone = (await sign(id, alice.headers)).body as { url: string };
        await w.h.http.delete(`/v1/apps/${w.appId}/files/${id}`).set(alice.headers).expect(204);
        expect((await fetchSigned(gone.url)).status).toBe(404);
      });

      it('the expiry is bounded (at most seven days)', async () => {
        const res = await sign(privateId, alice.headers, 8 * 24 * 3600);
        expect(errorOf(res)).toMatchObject({ status: 400, code: 'validation_failed' });
      });
    });

    it('admin listing and delete; deleting the app removes its files from the store', async () => {
      const list = await w.h.http.get(`/v1/admin/apps/${w.appId}/files?limit=1`).set(w.admin).expect(200);
      expect(list.body.items.length).toBe(1);
      expect(list.body.next).toEqual(expect.any(String));
      expect((await w.h.http.get(`/v1/admin/apps/${w.appId}/files`).set(bob.headers)).status).toBe(401);
      await w.h.http.delete(`/v1/admin/apps/${w.appId}/files/${publicId}`).set(w.admin).expect(204);
      expect((await meta(publicId, w.secret)).status).toBe(404);
      const extra = (await upload(w, { 'X-Hearth-Key': other.secretKey }, PNG, 'x.png', '', other.appId)).body.id;
      expect(await storedKeys(w, other.appId)).toEqual([`${other.appId}/${extra}`]);
      await w.h.http.delete(`/v1/admin/apps/${other.appId}`).set(w.admin).expect(204);
      expect(await storedKeys(w, other.appId)).toEqual([]);
      expect((await storedKeys(w)).length).toBeGreaterThan(0);
    });
  });
}
