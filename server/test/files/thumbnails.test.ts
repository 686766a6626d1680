import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binary, bombPng } from './images.js';
import { errorOf, PAIRS, pairName, setSettings, startFiles, storedKeys, upload, type FilesWorld } from './support.js';

/**
 * Thumbnails (`?thumb=WxH&fit=…`): real images made with sharp, the app's fixed set of sizes,
 * variants cached in the file store under keys the client cannot steer, ETags per variant,
 * signed URLs per variant, and refusals: a size outside the set, a non-image, a decompression
 * bomb (a PNG whose header claims 900 megapixels).
 */

for (const pair of PAIRS) {
  describe(`thumbnails [${pairName(pair)}]`, () => {
    let w: FilesWorld;
    let photoId: string;
    let photoSha: string;
    let textId: string;
    const thumb = (id: string, query: string, headers: Record<string, string> = w.secret) =>
      binary(w.h.http.get(`/v1/apps/${w.appId}/files/${id}/content?${query}`).set(headers));

    beforeAll(async () => {
      w = await startFiles(pair);
      await setSettings(w, { allowedTypes: ['image/*', 'text/plain'] });
      const jpeg = await sharp({
        create: { width: 400, height: 300, channels: 3, background: { r: 200, g: 30, b: 90 } },
      })
        .jpeg()
        .toBuffer();
      const up = await upload(w, w.secret, jpeg, 'holiday.jpg').expect(201);
      photoId = up.body.id;
      photoSha = up.body.sha256;
      textId = (await upload(w, w.secret, Buffer.from('not an image'), 'notes.txt').expect(201)).body.id;
    });
    afterAll(async () => {
      await w?.close();
    });

    it('cover, contain and inside: WebP of the asked size, inline, never enlarged', async () => {
      const cases: Array<[string, number, number]> = [
        ['fit=cover', 64, 64],
        ['fit=contain', 64, 64],
        ['fit=inside', 64, 48],
        ['', 64, 64], // cover is the default
      ];
      for (const [fit, width, height] of cases) {
        const res = await thumb(photoId, `thumb=64x64&${fit}`);
        expect(res.status, fit).toBe(200);
        expect(res.headers['content-type']).toBe('image/webp');
        expect(res.headers['content-disposition']).toBe(
          `inline; filename="holiday-64x64.webp"; filename*=UTF-8''holiday-64x64.webp`,
        );
        const meta = await sharp(res.body as Buffer).metadata();
        expect([meta.format, meta.width, meta.height], fit).toEqual(['webp', width, height]);
        expect(res.headers['content-length']).toBe(String((res.body as Buffer).length));
      }
      // a size larger than the image keeps the image's size
      await setSettings(w, { thumbnailSizes: ['64x64', '1024x1024'] });
      const big = await thumb(photoId, 'thumb=1024x1024&fit=inside');
      const meta = await sharp(big.body as Buffer).metadata();
      expect([meta.width, meta.height]).toEqual([400, 300]);
    });

    it('each variant is cached in the file store once, under a key built from the size and fit', async () => {
      const keys = await storedKeys(w);
      expect(keys.filter((k) => k.startsWith(`${w.appId}/${photoId}.`)).sort()).toEqual(
        [
          `${w.appId}/${photoId}.thumb-1024x1024-inside`,
          `${w.appId}/${photoId}.thumb-64x64-contain`,
          `${w.appId}/${photoId}.thumb-64x64-cover`,
          `${w.appId}/${photoId}.thumb-64x64-inside`,
        ].sort(),
      );
      const first = await thumb(photoId, 'thumb=64x64&fit=cover');
      const again = await Promise.all([1, 2, 3].map(() => thumb(photoId, 'thumb=64x64&fit=cover')));
      for (const r of again) expect((r.body as Buffer).equals(first.body as Buffer)).toBe(true);
      // the original's usage is not changed by variants
      const usage = await w.h.http.get(`/v1/admin/apps/${w.appId}/files/usage`).set(w.admin).expect(200);
      expect(usage.body.files).toBe(2);
    });

    it('ETag per variant; If-None-Match of that variant is 304, of another is not', async () => {
      const cover = await thumb(photoId, 'thumb=64x64&fit=cover');
      const inside = await thumb(photoId, 'thumb=64x64&fit=inside');
      expect(cover.headers.etag).toBe(`"${photoSha}.thumb-64x64-cover"`);
      expect(inside.headers.etag).not.toBe(cover.headers.etag);
      const headers = { ...w.secret, 'If-None-Match': cover.headers.etag as string };
      expect((await thumb(photoId, 'thumb=64x64&fit=cover', headers)).status).toBe(304);
      expect((await thumb(photoId, 'thumb=64x64&fit=inside', headers)).status).toBe(200);
      expect((await thumb(photoId, '', headers)).status).toBe(200);
    });

    it("a size outside the app's set is 400 thumbnail_size_not_allowed; a malformed one or fit is an invalid query", async () => {
      const res = await thumb(photoId, 'thumb=100x100');
      expect(errorOf({ status: res.status, body: JSON.parse(String(res.body)) })).toMatchObject({
        status: 400,
        code: 'invalid_request',
        reason: 'thumbnail_size_not_allowed',
      });
      for (const q of ['thumb=abc', 'thumb=0x64', 'thumb=64x64x64', 'thumb=..%2F..%2Fx', 'thumb=64x64&fit=fill']) {
        const bad = await thumb(photoId, q);
        expect(bad.status, q).toBe(400);
        const error = JSON.parse(String(bad.body)).error;
        expect([error.code, Object.keys(error.details.query)], q).toEqual([
          'invalid_request',
          [q.includes('fit') ? 'fit' : 'thumb'],
        ]);
      }
      const keys = await storedKeys(w);
      expect(keys.some((k) => k.includes('100x100'))).toBe(false);
      await w.h.http
        .patch(`/v1/admin/apps/${w.appId}/files/settings`)
        .set(w.admin)
        .send({ thumbnailSizes: ['64x64', '99999x1'] })
        .expect(400);
    });

    it('a non-image is 415 not_an_image; a decompression bomb is 413 image_too_large; neither leaves a variant', async () => {
      const text = await thumb(textId, 'thumb=64x64');
      expect(errorOf({ status: text.status, body: JSON.parse(String(text.body)) })).toMatchObject({
        status: 415,
        reason: 'not_an_image',
      });
      const bomb = await upload(w, w.secret, bombPng(), 'bomb.png').expect(201);
      expect(bomb.body.type).toBe('image/png');
      const started = Date.now();
      const res = await thumb(bomb.body.id, 'thumb=64x64');
      expect(errorOf({ status: res.status, body: JSON.parse(String(res.body)) })).toMatchObject({
        status: 413,
        code: 'payload_too_large',
        reason: 'image_too_large',
      });
      expect(Date.now() - started).toBeLessThan(5000);
      const keys = await storedKeys(w);
      expect(
        keys.filter((k) => k.startsWith(`${w.appId}/${bomb.body.id}.`) || k.startsWith(`${w.appId}/${textId}.`)),
      ).toEqual([]);
      // the original itself is still served
      expect((await thumb(bomb.body.id, '')).status).toBe(200);
    });

    it('a signed URL names one variant: it serves that thumbnail without a key, and no other', async () => {
      const signed = await w.h.http
        .post(`/v1/apps/${w.appId}/files/${photoId}/url`)
        .set(w.secret)
        .send({ thumb: '64x64', fit: 'inside' })
        .expect(201);
      const url = new URL(signed.body.url as string);
      expect(url.searchParams.get('thumb')).toBe('64x64');
      const path = `${url.pathname}${url.search}`;
      const get = (p: string) => binary(w.h.http.get(p));
      const ok = await get(path);
      expect(ok.status).toBe(200);
      expect(ok.headers['content-type']).toBe('image/webp');
      expect((await sharp(ok.body as Buffer).metadata()).height).toBe(48);
      for (const tampered of [
        path.replace('fit=inside', 'fit=cover'),
        path.replace('thumb=64x64', 'thumb=1024x1024'),
        path.replace(/&thumb=[^&]*&fit=[^&]*/, ''),
        `${path}&thumb=64x64`,
      ]) {
        const res = await get(tampered);
        expect(res.status, tampered).toBe(403);
        expect(JSON.parse(String(res.body)).error.details.reason, tampered).toBe('signed_url_invalid');
      }
      const notOffered = await w.h.http
        .post(`/v1/apps/${w.appId}/files/${photoId}/url`)
        .set(w.secret)
        .send({ thumb: '100x100' });
      expect(errorOf(notOffered)).toMatchObject({ status: 400, reason: 'thumbnail_size_not_allowed' });
    });

    it('deleting the file deletes its variants', async () => {
      await w.h.http.delete(`/v1/apps/${w.appId}/files/${photoId}`).set(w.secret).expect(204);
      const keys = await storedKeys(w);
      expect(keys.filter((k) => k.includes(photoId))).toEqual([]);
    });
  });
}
