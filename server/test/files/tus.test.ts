import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../collections/users.js';
import { buildTestApp } from '../support/harness.js';
import type { FileEvent } from '../../src/modules/files/index.js';
import {
  ELF,
  errorOf,
  pairName,
  setSettings,
  startFiles,
  storedKeys,
  user,
  type EnginePair,
  type FilesWorld,
} from './support.js';
import { listen, tusUpload } from './tus-support.js';

/**
 * Resumable uploads over tus 1.0, driven by tus-js-client from Node against a listening server:
 * a whole upload, one interrupted and resumed, one resumed after the server restarted (same
 * stores), and Hearth's rules on top of the protocol: the final size against maxFileSize and the
 * quota (at creation and on completion), the sniffed type, and nobody but the owner touching an
 * upload.
 */
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Both document engines on disk, and the S3 tus store on a real S3 only: s3rver lacks ListParts
 * and AbortMultipartUpload, which @tus/s3-store needs (see FILE_LIMITATIONS 'files.resumable').
 * No store option avoids them (checked for @tus/s3-store 2.0.7): every PATCH (`write`) and HEAD
 * (`getUpload`) lists the parts first, whatever `partSize`, `minPartSize` or `useTags` say, so
 * not even creation + one PATCH of the whole file runs against s3rver (it answers GET
 * ?uploadId=… with 405).
 */
const TUS_PAIRS: EnginePair[] = [
  { documents: 'sqlite', files: 'disk' },
  { documents: 'mongodb', files: 'disk' },
  { documents: 'mongodb', files: 's3' },
];
const realS3 = Boolean(process.env.HEARTH_TEST_S3_ENDPOINT && process.env.HEARTH_TEST_S3_BUCKET);

for (const pair of TUS_PAIRS) {
  const skip = pair.files === 's3' && !realS3;
  describe.skipIf(skip)(`tus uploads [${pairName(pair)}${skip ? ': set HEARTH_TEST_S3_ENDPOINT to run' : ''}]`, () => {
    let w: FilesWorld;
    let server: Awaited<ReturnType<typeof listen>>;
    let alice: TestUser;
    let bob: TestUser;
    let photo: Buffer;
    const events: FileEvent[] = [];
    const endpoint = () => `${server.base}/v1/apps/${w.appId}/files/tus`;
    const idOf = (url: string) => url.split('/').pop()!;

    beforeAll(async () => {
      w = await startFiles(pair);
      w.h.modules.files.events.on('*', (e) => events.push(e));
      server = await listen(w.h.app);
      alice = await user(w);
      bob = await user(w);
      // ~600 KB of noise as a PNG: ten 64 KB chunks
      const raw = randomBytes(400 * 500 * 3);
      photo = await sharp(raw, { raw: { width: 400, height: 500, channels: 3 } })
        .png({ compressionLevel: 0 })
        .toBuffer();
    });
    afterAll(async () => {
      await server?.close();
      await w?.close();
    });

    it('a whole upload: the file exists with its sniffed type and sha256, owned by the uploader; the tus data is gone', async () => {
      const before = events.length;
      const out = await tusUpload(photo, {
        endpoint: endpoint(),
        headers: alice.headers,
        metadata: { filename: 'holiday.png' },
      });
      expect(out.error).toBeNull();
      const id = idOf(out.url!);
      expect(out.fileId).toBe(id);
      const meta = await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(alice.headers).expect(200);
      expect(meta.body).toMatchObject({
        id,
        name: 'holiday.png',
        size: photo.length,
        type: 'image/png',
        sha256: sha(photo),
        owner: alice.id,
        public: false,
      });
      const content = await w.h.http.get(`/v1/apps/${w.appId}/files/${id}/content`).set(alice.headers).expect(200);
      expect(sha(content.body as Buffer)).toBe(sha(photo));
      expect(events.slice(before).map((e) => [e.type, e.file.id])).toEqual([['files.create', id]]);
      expect(await storedKeys(w)).toContain(`${w.appId}/${id}`);
      // the upload itself is finished: no record, no tus data
      expect((await w.h.http.head(`/v1/apps/${w.appId}/files/tus/${id}`).set(alice.headers)).status).toBe(404);
      if (w.opened.root) expect(readdirSync(join(w.opened.root, '.tus'))).toEqual([]);
    });

    it('interrupted after three chunks, then resumed from where it stopped', async () => {
      const first = await tusUpload(photo, { endpoint: endpoint(), headers: alice.headers, stopAfterChunks: 3 });
      const id = idOf(first.url!);
      const status = await w.h.http.get(`/v1/apps/${w.appId}/files/tus/${id}`).set(alice.headers).expect(200);
      expect(status.body).toMatchObject({ id, offset: 3 * 64 * 1024, length: photo.length });
      const head = await w.h.http
        .head(`/v1/apps/${w.appId}/files/tus/${id}`)
        .set(alice.headers)
        .set('Tus-Resumable', '1.0.0');
      expect([head.status, head.headers['upload-offset']]).toEqual([200, String(3 * 64 * 1024)]);
      expect(await storedKeys(w)).not.toContain(`${w.appId}/${id}`);
      let resumedFrom = -1;
      const second = await tusUpload(photo, {
        endpoint: endpoint(),
        uploadUrl: first.url!,
        headers: alice.headers,
        onProgress: (sent) => {
          if (resumedFrom < 0) resumedFrom = sent;
        },
      });
      expect(second.error).toBeNull();
      expect(resumedFrom).toBeGreaterThanOrEqual(3 * 64 * 1024);
      const meta = await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(alice.headers).expect(200);
      expect(meta.body.sha256).toBe(sha(photo));
    });

    it('resumed after the server restarted on the same stores', async () => {
      const first = await tusUpload(photo, { endpoint: endpoint(), headers: alice.headers, stopAfterChunks: 4 });
      const id = idOf(first.url!);
      await server.close();
      const restarted = await buildTestApp(w.h.store, { files: w.opened.store });
      server = await listen(restarted.app);
      const second = await tusUpload(photo, {
        endpoint: endpoint(),
        uploadUrl: `${endpoint()}/${id}`,
        headers: alice.headers,
      });
      expect(second.error).toBeNull();
      const meta = await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(alice.headers).expect(200);
      expect([meta.body.size, meta.body.sha256]).toEqual([photo.length, sha(photo)]);
      // back to the first app (whose settings cache the other cases change)
      await server.close();
      server = await listen(w.h.app);
    });

    it("another user, another app, the public key alone: 404 (or 401) on someone else's upload", async () => {
      const first = await tusUpload(photo, { endpoint: endpoint(), headers: alice.headers, stopAfterChunks: 1 });
      const path = `/v1/apps/${w.appId}/files/tus/${idOf(first.url!)}`;
      const tus = { 'Tus-Resumable': '1.0.0' };
      const patch = (headers: Record<string, string>) =>
        w.h.http
          .patch(path)
          .set(headers)
          .set(tus)
          .set('Upload-Offset', String(64 * 1024))
          .set('Content-Type', 'application/offset+octet-stream')
          .send(photo.subarray(64 * 1024, 128 * 1024));
      expect(errorOf(await patch(bob.headers))).toMatchObject({ status: 404, code: 'not_found' });
      expect(errorOf(await patch({ 'X-Hearth-Key': w.publicKey }))).toMatchObject({ status: 404 });
      expect((await w.h.http.head(path).set(bob.headers).set(tus)).status).toBe(404);
      expect(errorOf(await w.h.http.delete(path).set(bob.headers).set(tus))).toMatchObject({ status: 404 });
      const status = await w.h.http.get(path).set(alice.headers).expect(200);
      expect(status.body.offset).toBe(64 * 1024);
      // its owner may go on, and terminate it
      expect((await patch(alice.headers)).status).toBe(204);
      expect((await w.h.http.delete(path).set(alice.headers).set(tus)).status).toBe(204);
      expect((await w.h.http.get(path).set(alice.headers)).status).toBe(404);
    });

    it('a wrong offset is 409; a request without Tus-Resumable or Upload-Length is 400, all Hearth JSON errors', async () => {
      const first = await tusUpload(photo, { endpoint: endpoint(), headers: alice.headers, stopAfterChunks: 1 });
      const path = `/v1/apps/${w.appId}/files/tus/${idOf(first.url!)}`;
      const wrong = await w.h.http
        .patch(path)
        .set(alice.headers)
        .set('Tus-Resumable', '1.0.0')
        .set('Upload-Offset', '5')
        .set('Content-Type', 'application/offset+octet-stream')
        .send(Buffer.from('xx'));
      expect(errorOf(wrong)).toMatchObject({ status: 409, code: 'conflict' });
      const noVersion = await w.h.http.head(path).set(alice.headers);
      expect(noVersion.status).toBe(400);
      const create = (headers: Record<string, string>) =>
        w.h.http.post(`/v1/apps/${w.appId}/files/tus`).set(alice.headers).set('Tus-Resumable', '1.0.0').set(headers);
      expect(errorOf(await create({}))).toMatchObject({ status: 400, code: 'invalid_request' });
      expect(errorOf(await create({ 'Upload-Defer-Length': '1' }))).toMatchObject({ status: 400 });
      expect(errorOf(await create({ 'Upload-Length': '0' }))).toMatchObject({ status: 400, reason: 'file_empty' });
      expect(errorOf(await create({ 'Upload-Length': '10', 'Upload-Metadata': 'bad header ### !' }))).toMatchObject({
        status: 400,
      });
      // no user token: the public key alone may not upload
      const anon = await w.h.http
        .post(`/v1/apps/${w.appId}/files/tus`)
        .set({ 'X-Hearth-Key': w.publicKey, 'Tus-Resumable': '1.0.0', 'Upload-Length': '10' });
      expect(anon.status).toBe(401);
    });

    it('over maxFileSize or the quota at creation (Upload-Length) is 413 before a byte is sent', async () => {
      await setSettings(w, { maxFileSize: 100_000 });
      const tooBig = await tusUpload(photo, { endpoint: endpoint(), headers: alice.headers });
      expect(tooBig.status).toBe(413);
      expect(JSON.parse(tooBig.body!).error.details.reason).toBe('file_too_large');
      await setSettings(w, { maxFileSize: 50 * 1024 * 1024 });
      const usage = await w.h.http.get(`/v1/admin/apps/${w.appId}/files/usage`).set(w.admin).expect(200);
      await setSettings(w, { quotaBytes: usage.body.bytes + photo.length - 1 });
      const overQuota = await tusUpload(photo, { endpoint: endpoint(), headers: alice.headers });
      expect(overQuota.status).toBe(413);
      expect(JSON.parse(overQuota.body!).error.details.reason).toBe('quota_exceeded');
      await setSettings(w, { quotaBytes: null });
    });

    it('a final size over the quota on completion is 413 quota_exceeded and stores nothing', async () => {
      const first = await tusUpload(photo, { endpoint: endpoint(), headers: alice.headers, stopAfterChunks: 2 });
      const id = idOf(first.url!);
      // meanwhile the app filled up
      const usage = await w.h.http.get(`/v1/admin/apps/${w.appId}/files/usage`).set(w.admin).expect(200);
      await setSettings(w, { quotaBytes: usage.body.bytes + 1000 });
      const second = await tusUpload(photo, { endpoint: endpoint(), uploadUrl: first.url!, headers: alice.headers });
      expect(second.status).toBe(413);
      expect(JSON.parse(second.body!).error.details.reason).toBe('quota_exceeded');
      expect((await storedKeys(w)).filter((k) => k.includes(id))).toEqual([]);
      expect((await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(alice.headers)).status).toBe(404);
      await setSettings(w, { quotaBytes: null });
    });

    it('the type is sniffed on completion: an executable named .png is 415 and stores nothing', async () => {
      const elf = Buffer.concat([ELF, randomBytes(100_000)]);
      const out = await tusUpload(elf, {
        endpoint: endpoint(),
        headers: alice.headers,
        metadata: { filename: 'cat.png' },
      });
      expect(out.status).toBe(415);
      expect(JSON.parse(out.body!).error.details.type).toBe('application/x-elf');
      const id = idOf(out.url!);
      expect((await storedKeys(w)).filter((k) => k.includes(id))).toEqual([]);
    });
  });
}
