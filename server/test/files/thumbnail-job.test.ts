import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueTargets, type QueueTarget } from '../conformance/job-queue/targets.js';
import { thumbnailJobType } from '../../src/modules/files/thumbnail.job.js';
import { THUMBNAIL_JOB, thumbnailJobId } from '../../src/modules/files/variants.js';
import { binary, bombPng } from './images.js';
import { errorOf, setSettings, startFiles, storedKeys, upload, type FilesWorld } from './support.js';

/**
 * Large images are thumbnailed by the `files.thumbnail` job (one per file and variant, however
 * many requests ask), small ones in the request; a request waits a bounded time for the job, then
 * answers 202 + Retry-After. On the embedded queue and on bull (the test redis-server).
 */

for (const target of queueTargets()) {
  describe(`thumbnail jobs [${target.name}]`, () => {
    let w: FilesWorld;
    let queue: QueueTarget;
    let photo: { id: string; size: number };
    let small: string;
    const get = (id: string, query: string) =>
      binary(w.h.http.get(`/v1/apps/${w.appId}/files/${id}/content?${query}`).set(w.secret));
    /** GETs until the variant is served (202 means: ask again). */
    async function ready(id: string, query: string) {
      for (let i = 0; i < 100; i++) {
        const res = await get(id, query);
        if (res.status !== 202) return res;
        expect(res.headers['retry-after']).toBe('2');
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('the thumbnail never came');
    }

    beforeAll(async () => {
      queue = target.open();
      w = await startFiles(
        { documents: 'sqlite', files: 'disk' },
        { jobs: queue.instance(), thumbnails: { syncBytes: 10_000, waitMs: 4_000 } },
      );
      await setSettings(w, { thumbnailSizes: ['64x64', '128x128', '256x256'] });
      const noise = await sharp(randomBytes(300 * 300 * 3), {
        raw: { width: 300, height: 300, channels: 3 },
      })
        .png()
        .toBuffer();
      const up = await upload(w, w.secret, noise, 'noise.png').expect(201);
      photo = { id: up.body.id, size: up.body.size };
      expect(photo.size).toBeGreaterThan(10_000);
      const tiny = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#08f' } })
        .png()
        .toBuffer();
      small = (await upload(w, w.secret, tiny, 'tiny.png').expect(201)).body.id;
    });
    afterAll(async () => {
      await w?.close();
      await queue?.cleanup();
    });

    it('a large source is rendered by one job, however many requests ask at once', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, () => ready(photo.id, 'thumb=64x64&fit=cover')));
      for (const res of answers) {
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('image/webp');
        expect((await sharp(res.body as Buffer).metadata()).width).toBe(64);
      }
      const spec = { width: 64, height: 64, fit: 'cover' as const };
      const job = await w.h.modules.jobs.services.queue.get(THUMBNAIL_JOB, thumbnailJobId(w.appId, photo.id, spec));
      expect(job?.state).toBe('completed');
      expect((await w.h.modules.jobs.services.queue.counts(THUMBNAIL_JOB)).completed).toBe(1);
    });

    it('a small source is rendered in the request, no job', async () => {
      const res = await get(small, 'thumb=64x64&fit=cover');
      expect(res.status).toBe(200);
      expect((await w.h.modules.jobs.services.queue.counts(THUMBNAIL_JOB)).completed).toBe(1);
    });

    it('while the job cannot run, the request answers 202 with Retry-After; then the variant is served', async () => {
      const q = w.h.modules.jobs.services.queue;
      await q.pause(THUMBNAIL_JOB);
      const t0 = Date.now();
      const pending = await get(photo.id, 'thumb=128x128&fit=inside');
      expect(pending.status).toBe(202);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(3_500);
      expect(pending.headers['retry-after']).toBe('2');
      expect(pending.headers['cache-control']).toBe('no-store');
      expect(JSON.parse((pending.body as Buffer).toString())).toEqual({ status: 'pending', retryAfter: 2 });
      // a signed URL of the same variant is pending too
      const signed = await w.h.http
        .post(`/v1/apps/${w.appId}/files/${photo.id}/url`)
        .set(w.secret)
        .send({ expiresIn: 60, thumb: '128x128', fit: 'inside' })
        .expect(201);
      const url = new URL(signed.body.url as string);
      const signedPending = await binary(w.h.http.get(url.pathname + url.search));
      expect([signedPending.status, signedPending.headers['retry-after']]).toEqual([202, '2']);
      await q.resume(THUMBNAIL_JOB);
      const done = await ready(photo.id, 'thumb=128x128&fit=inside');
      expect(done.status).toBe(200);
      expect((await binary(w.h.http.get(url.pathname + url.search))).status).toBe(200);
    });

    it('the job is safe to run twice: the same variant, stored once', async () => {
      const type = thumbnailJobType({ files: w.h.modules.files.services.files });
      const payload = { fileId: photo.id, width: 256, height: 256, fit: 'contain' as const };
      const first = await type.run(payload, { appId: w.appId });
      const second = await type.run(payload, { appId: w.appId });
      expect(second).toEqual(first);
      const keys = (await storedKeys(w)).filter((k) => k.endsWith('.thumb-256x256-contain'));
      expect(keys).toHaveLength(1);
      // a deleted file ends the job quietly
      expect(await type.run({ ...payload, fileId: 'nosuchfile0000000000' }, { appId: w.appId })).toEqual({
        skipped: 'file_deleted',
      });
    });

    it('an image the job can never render answers as a synchronous render would (413 image_too_large)', async () => {
      const bomb = (await upload(w, w.secret, bombPng(20_000), 'bomb.png').expect(201)).body;
      expect(bomb.size).toBeGreaterThan(10_000);
      const res = await get(bomb.id, 'thumb=64x64&fit=cover');
      expect(errorOf({ status: res.status, body: JSON.parse((res.body as Buffer).toString()) })).toEqual({
        status: 413,
        code: 'payload_too_large',
        reason: 'image_too_large',
      });
      const job = await w.h.modules.jobs.services.queue.get(
        THUMBNAIL_JOB,
        thumbnailJobId(w.appId, bomb.id, { width: 64, height: 64, fit: 'cover' }),
      );
      expect(job?.state).toBe('completed');
    });

    it('a source over maxThumbnailSourceBytes is 413 thumbnail_source_too_large, never read', async () => {
      await setSettings(w, { maxThumbnailSourceBytes: 5_000 });
      const res = await get(photo.id, 'thumb=256x256&fit=cover');
      expect(errorOf({ status: res.status, body: JSON.parse((res.body as Buffer).toString()) })).toEqual({
        status: 413,
        code: 'payload_too_large',
        reason: 'thumbnail_source_too_large',
      });
      expect((await storedKeys(w)).some((k) => k.endsWith('.thumb-256x256-cover'))).toBe(false);
      // the original is still served
      expect((await get(photo.id, '')).status).toBe(200);
      await setSettings(w, { maxThumbnailSourceBytes: 25 * 1024 * 1024 });
    });
  });
}
