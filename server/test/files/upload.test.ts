import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ELF,
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
 * Uploads: streamed into the file store with the sniffed type, size and sha256 recorded; bad
 * input gets the contract's error and stores nothing (no object, no metadata).
 */
for (const pair of PAIRS) {
  describe(`uploads [${pairName(pair)}]`, () => {
    let w: FilesWorld;
    beforeAll(async () => {
      w = await startFiles(pair);
    });
    afterAll(async () => {
      await w?.close();
    });

    /** Nothing new in the store or the metadata since `before`. */
    const expectNothingStored = async (before: { keys: string[]; count: number }) => {
      expect(await storedKeys(w)).toEqual(before.keys);
      const list = await w.h.http.get(`/v1/admin/apps/${w.appId}/files?limit=100`).set(w.admin).expect(200);
      expect(list.body.items.length).toBe(before.count);
    };
    const snapshot = async () => ({
      keys: await storedKeys(w),
      count: (await w.h.http.get(`/v1/admin/apps/${w.appId}/files?limit=100`).set(w.admin)).body.items.length as number,
    });

    it('a signed-in user uploads a PNG: 201 with sniffed type, size, sha256, owner; bytes stored', async () => {
      const u = await user(w);
      const res = await upload(w, u.headers, PNG, 'holiday.png');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        name: 'holiday.png',
        size: PNG.length,
        type: 'image/png',
        sha256: createHash('sha256').update(PNG).digest('hex'),
        public: false,
        owner: u.id,
        createdAt: expect.any(String),
      });
      expect(await storedKeys(w)).toContain(`${w.appId}/${res.body.id}`);
      const meta = await w.h.http.get(`/v1/apps/${w.appId}/files/${res.body.id}`).set(u.headers).expect(200);
      expect(meta.body).toEqual(res.body);
      const content = await w.h.http
        .get(`/v1/apps/${w.appId}/files/${res.body.id}/content`)
        .set(u.headers)
        .buffer(true);
      expect(content.status).toBe(200);
      expect(Buffer.from(content.body as Buffer).equals(PNG)).toBe(true);
    });

    it('the client-declared type is ignored: text sent as image/png is text/plain', async () => {
      await setSettings(w, { allowedTypes: ['image/*', 'text/plain'] });
      const res = await upload(w, w.secret, Buffer.from('just some notes\n'), 'notes.png');
      expect(res.status).toBe(201);
      expect(res.body.type).toBe('text/plain');
      expect(res.body.owner).toBeNull();
    });

    it('an ELF executable named .png is 415 and stores nothing', async () => {
      const before = await snapshot();
      const res = await upload(w, w.secret, ELF, 'cute-cat.png');
      expect(errorOf(res)).toMatchObject({ status: 415, code: 'unsupported_media_type' });
      expect(res.body.error.details.type).toBe('application/x-elf');
      await expectNothingStored(before);
    });

    it('names with traversal, NUL bytes, encoded dots or bidi overrides are kept as harmless names', async () => {
      const cases: Array<[string, string]> = [
        ['../../etc/passwd', 'passwd'],
        ['..\\..\\windows\\win.ini', 'win.ini'],
        ['%2e%2e%2fescape.png', '%2e%2e%2fescape.png'],
        ['photo\u202Egnp.exe', 'photognp.exe'],
      ];
      for (const [sent, kept] of cases) {
        const res = await upload(w, w.secret, PNG, sent);
        expect(res.status, `${sent} ${JSON.stringify(res.body)}`).toBe(201);
        expect(res.body.name, sent).toBe(kept);
        expect(await storedKeys(w)).toContain(`${w.appId}/${res.body.id}`);
      }
      // A NUL byte: raw in the part header the multipart parser refuses the body; encoded
      // (RFC 5987 filename*) it is decoded and dropped from the kept name.
      const before = await snapshot();
      // A name that is only a path (`..`) leaves no file name: the part is not a file.
      const dots = await upload(w, w.secret, PNG, '..');
      expect(errorOf(dots)).toEqual({ status: 400, code: 'invalid_request', reason: 'file_missing' });
      const raw = await upload(w, w.secret, PNG, 'a\u0000b.png');
      expect(errorOf(raw)).toEqual({ status: 400, code: 'invalid_request', reason: 'multipart_invalid' });
      await expectNothingStored(before);
      const body = Buffer.concat([
        Buffer.from(
          '--xyz\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8\'\'a%00b%E2%80%AE.png\r\nContent-Type: image/png\r\n\r\n',
        ),
        PNG,
        Buffer.from('\r\n--xyz--\r\n'),
      ]);
      const encoded = await w.h.http
        .post(`/v1/apps/${w.appId}/files`)
        .set(w.secret)
        .set('Content-Type', 'multipart/form-data; boundary=xyz')
        .send(body);
      expect(encoded.status, JSON.stringify(encoded.body)).toBe(201);
      expect(encoded.body.name).toBe('ab.png');
    });

    it('a zero-byte file is refused (400 file_empty): there is nothing to sniff or serve', async () => {
      const before = await snapshot();
      const res = await upload(w, w.secret, Buffer.alloc(0), 'empty.png');
      expect(errorOf(res)).toEqual({ status: 400, code: 'invalid_request', reason: 'file_empty' });
      await expectNothingStored(before);
    });

    it('over the app limit is 413 file_too_large, by declared length or while streaming', async () => {
      await setSettings(w, { maxFileSize: 1000, allowedTypes: ['*/*'] });
      const before = await snapshot();
      const big = Buffer.concat([PNG, Buffer.alloc(200_000, 7)]);
      const declared = await upload(w, w.secret, big);
      expect(errorOf(declared)).toEqual({ status: 413, code: 'payload_too_large', reason: 'file_too_large' });
      // Just over the limit: the declared length passes the early check, the stream does not.
      const res = await upload(w, w.secret, Buffer.concat([PNG, Buffer.alloc(1001 - PNG.length, 7)]));
      expect(errorOf(res)).toEqual({ status: 413, code: 'payload_too_large', reason: 'file_too_large' });
      const exact = await upload(w, w.secret, Buffer.concat([PNG, Buffer.alloc(1000 - PNG.length, 7)]));
      expect(exact.status).toBe(201);
      await w.h.http.delete(`/v1/apps/${w.appId}/files/${exact.body.id}`).set(w.secret).expect(204);
      await expectNothingStored(before);
      await setSettings(w, { maxFileSize: 50 * 1024 * 1024 });
    });

    it('two file parts, none, another field name, or not multipart: 400/415 and nothing stored', async () => {
      const before = await snapshot();
      const base = () => w.h.http.post(`/v1/apps/${w.appId}/files`).set(w.secret);
      const two = await base().attach('file', PNG, 'a.png').attach('file', PNG, 'b.png');
      expect(errorOf(two)).toEqual({ status: 400, code: 'invalid_request', reason: 'too_many_files' });
      const none = await base().field('note', 'hello');
      expect(errorOf(none)).toEqual({ status: 400, code: 'invalid_request', reason: 'file_missing' });
      const other = await base().attach('upload', PNG, 'a.png');
      expect(errorOf(other)).toEqual({ status: 400, code: 'invalid_request', reason: 'unexpected_field' });
      const json = await base().send({ file: 'x' });
      expect(errorOf(json)).toMatchObject({ status: 415, code: 'unsupported_media_type' });
      const broken = await base()
        .set('Content-Type', 'multipart/form-data; boundary=xyz')
        .send('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\u0089PNG');
      expect(errorOf(broken)).toMatchObject({ status: 400, code: 'invalid_request' });
      await expectNothingStored(before);
    });

    it('a public key without a user may not upload (401 token_required); a key without files:write scope is 403', async () => {
      const res = await upload(w, { 'X-Hearth-Key': w.publicKey }, PNG);
      expect(errorOf(res)).toEqual({ status: 401, code: 'unauthorized', reason: 'token_required' });
      const scoped = await w.h.http
        .post(`/v1/admin/apps/${w.appId}/keys`)
        .set(w.admin)
        .send({ kind: 'secret', scopes: ['files:read'] })
        .expect(201);
      const denied = await upload(w, { 'X-Hearth-Key': scoped.body.key }, PNG);
      expect(errorOf(denied)).toEqual({ status: 403, code: 'forbidden', reason: 'scope_missing' });
    });

    it('the quota counts every file: an upload that would pass it is 413 quota_exceeded; usage is reported', async () => {
      const usage = (await w.h.http.get(`/v1/admin/apps/${w.appId}/files/usage`).set(w.admin).expect(200)).body;
      expect(usage.quotaBytes).toBeNull();
      await setSettings(w, { quotaBytes: usage.bytes + PNG.length + 10 });
      const before = await snapshot();
      expect((await upload(w, w.secret, PNG)).status).toBe(201);
      const over = await upload(w, w.secret, PNG);
      expect(errorOf(over)).toEqual({ status: 413, code: 'payload_too_large', reason: 'quota_exceeded' });
      const after = (await w.h.http.get(`/v1/admin/apps/${w.appId}/files/usage`).set(w.admin).expect(200)).body;
      expect(after).toEqual({
        files: usage.files + 1,
        bytes: usage.bytes + PNG.length,
        quotaBytes: usage.bytes + PNG.length + 10,
      });
      expect((await storedKeys(w)).length).toBe(before.keys.length + 1);
      await setSettings(w, { quotaBytes: null });
    });

    it('/openapi.json documents the multipart body and every files route', async () => {
      const doc = (await w.h.http.get('/openapi.json').expect(200)).body;
      const post = doc.paths['/v1/apps/{appId}/files'].post;
      expect(post.requestBody.content['multipart/form-data'].schema.properties.file).toMatchObject({
        format: 'binary',
      });
      expect(post.parameters.map((p: { name: string }) => p.name)).toContain('public');
      for (const path of [
        '/v1/apps/{appId}/files/{fileId}',
        '/v1/apps/{appId}/files/{fileId}/content',
        '/v1/apps/{appId}/files/{fileId}/url',
        '/v1/admin/apps/{appId}/files',
        '/v1/admin/apps/{appId}/files/settings',
        '/v1/admin/apps/{appId}/files/usage',
      ]) {
        expect(doc.paths[path], path).toBeDefined();
      }
    });

    it('settings are validated and audited', async () => {
      const bad = await w.h.http
        .patch(`/v1/admin/apps/${w.appId}/files/settings`)
        .set(w.admin)
        .send({ maxFileSize: -1, allowedTypes: ['not a type'] });
      expect(errorOf(bad)).toMatchObject({ status: 400, code: 'validation_failed' });
      const got = await w.h.http.get(`/v1/admin/apps/${w.appId}/files/settings`).set(w.admin).expect(200);
      expect(got.body).toMatchObject({ maxFileSize: 50 * 1024 * 1024, quotaBytes: null });
      const audit = await w.h.http.get('/v1/admin/audit').set(w.admin).expect(200);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('files.settings.update');
    });
  });
}
