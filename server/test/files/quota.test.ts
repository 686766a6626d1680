import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../collections/users.js';
import { ELF, errorOf, pairName, PAIRS, setSettings, startFiles, user, type FilesWorld } from './support.js';

/**
 * The quota holds under concurrency: every upload reserves its bytes in the document store
 * (a conditional $inc, atomic on both engines) before a byte is accepted (quota.ts).
 */
// tus needs the disk store (see tus.test.ts on s3rver), so mongodb + disk is added for its variant
describe.each([...PAIRS, { documents: 'mongodb', files: 'disk' } as const])(
  'quota reservations [$documents + $files]',
  (pair) => {
    let w: FilesWorld;
    let alice: TestUser;
    const tus = { 'Tus-Resumable': '1.0.0' };
    const ledger = () => w.h.modules.files.services.files.quota;
    const usage = async () => (await w.h.http.get(`/v1/admin/apps/${w.appId}/files/usage`).set(w.admin)).body;
    const multipart = (data: Buffer, name = 't.txt') =>
      w.h.http
        .post(`/v1/apps/${w.appId}/files`)
        .set(alice.headers)
        .attach('file', data, { filename: name, contentType: 'text/plain' });
    const createTus = (length: number) =>
      w.h.http.post(`/v1/apps/${w.appId}/files/tus`).set(alice.headers).set(tus).set('Upload-Length', String(length));
    const removeAll = async () => {
      const list = await w.h.http.get(`/v1/admin/apps/${w.appId}/files?limit=100`).set(w.admin).expect(200);
      for (const f of list.body.items as { id: string }[]) {
        await w.h.http.delete(`/v1/apps/${w.appId}/files/${f.id}`).set(w.secret).expect(204);
      }
    };

    beforeAll(async () => {
      w = await startFiles(pair);
      alice = await user(w);
    });
    afterAll(async () => {
      await w?.close();
    });

    it(`eight concurrent 600-byte uploads into a 1000-byte quota store one [${pairName(pair)}]`, async () => {
      await setSettings(w, { quotaBytes: 1000 });
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => multipart(Buffer.alloc(600, 'a'), `t${i}.txt`)),
      );
      const stored = results.filter((r) => r.status === 201);
      expect(stored.length).toBeGreaterThanOrEqual(1);
      expect(stored.length).toBeLessThanOrEqual(1);
      for (const r of results.filter((x) => x.status !== 201)) {
        expect(errorOf(r)).toMatchObject({ status: 413, code: 'payload_too_large', reason: 'quota_exceeded' });
      }
      expect((await usage()).bytes).toBe(600);
      // every refused upload gave its reservation back
      expect(await ledger().reserved(w.appId)).toBe(0);
      await removeAll();
    });

    it('the reservation is trimmed to the real size: two small files fit where their Content-Lengths would not', async () => {
      await setSettings(w, { quotaBytes: 1000 });
      await multipart(Buffer.alloc(400, 'a')).expect(201);
      await multipart(Buffer.alloc(400, 'b')).expect(201);
      expect(errorOf(await multipart(Buffer.alloc(400, 'c')))).toMatchObject({ status: 413, reason: 'quota_exceeded' });
      expect(await ledger().reserved(w.appId)).toBe(0);
      await removeAll();
      // deleting gave the bytes back
      await multipart(Buffer.alloc(900, 'd')).expect(201);
      await removeAll();
    });

    it('a refused upload (type not allowed) releases its reservation', async () => {
      await setSettings(w, { quotaBytes: 1000 });
      const refused = await w.h.http
        .post(`/v1/apps/${w.appId}/files`)
        .set(alice.headers)
        .attach('file', ELF, { filename: 'x.png', contentType: 'image/png' });
      expect(refused.status).toBe(415);
      expect(await ledger().reserved(w.appId)).toBe(0);
    });

    // tus runs on the disk store here: on s3rver the tus S3 store cannot run (tus-s3.test.ts says why)
    it.runIf(pair.files === 'disk')(
      'eight concurrent tus creations of 600 bytes into 1000: one is accepted, the rest are 413 at creation',
      async () => {
        await setSettings(w, { quotaBytes: 1000 });
        const results = await Promise.all(Array.from({ length: 8 }, () => createTus(600)));
        const created = results.filter((r) => r.status === 201);
        expect(created).toHaveLength(1);
        for (const r of results.filter((x) => x.status !== 201)) {
          expect(errorOf(r)).toMatchObject({ status: 413, reason: 'quota_exceeded' });
        }
        expect(await ledger().reserved(w.appId)).toBe(600);
        // while it is held, a multipart upload cannot take the same bytes
        expect(errorOf(await multipart(Buffer.alloc(600, 'a')))).toMatchObject({
          status: 413,
          reason: 'quota_exceeded',
        });
        // terminating the upload releases its reservation
        const path = new URL(created[0]!.headers.location!, 'http://x').pathname;
        await w.h.http.delete(path).set(alice.headers).set(tus).expect(204);
        expect(await ledger().reserved(w.appId)).toBe(0);
        // a completed tus upload turns its reservation into the file
        const again = await createTus(600).expect(201);
        const next = new URL(again.headers.location!, 'http://x').pathname;
        await w.h.http
          .patch(next)
          .set(alice.headers)
          .set(tus)
          .set('Upload-Offset', '0')
          .set('Content-Type', 'application/offset+octet-stream')
          .send(Buffer.alloc(600, 'z'))
          .expect(204);
        expect(await ledger().reserved(w.appId)).toBe(0);
        expect((await usage()).bytes).toBe(600);
        expect(errorOf(await createTus(600))).toMatchObject({ status: 413, reason: 'quota_exceeded' });
        await removeAll();
      },
    );

    it('a reservation left by a server that died is released once it expires', async () => {
      await setSettings(w, { quotaBytes: 1000 });
      const now = Date.now();
      // as a crashed server would leave it: reserved, never finished nor released
      await ledger().reserve(w.appId, { want: 900, quota: 1000, expiresAt: new Date(now + 60_000), partial: false });
      expect(errorOf(await multipart(Buffer.alloc(600, 'a')))).toMatchObject({ status: 413, reason: 'quota_exceeded' });
      await ledger().reserve(w.appId, { want: 100, quota: 1000, expiresAt: new Date(now - 1), partial: false });
      expect(await ledger().sweep(w.appId, true)).toBe(1);
      expect(await ledger().reserved(w.appId)).toBe(900);
      const stale = await w.h.store.forApp(w.appId).find('_files_reservations', { limit: 10 });
      for (const r of stale.items) {
        await w.h.store
          .forApp(w.appId)
          .update('_files_reservations', r.id, { set: { expiresAt: new Date(now - 1).toISOString() } });
      }
      await multipart(Buffer.alloc(600, 'a')).expect(201);
      expect(await ledger().reserved(w.appId)).toBe(0);
      await removeAll();
    });
  },
);
