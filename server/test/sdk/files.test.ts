import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, fileRequests, HearthError, type HearthClient, type UploadProgress } from '@hearth/sdk';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, withAdminAndApp, type Harness } from '../support/harness.js';

/** The SDK's files part against a live server (Node: fetch + FormData; the browser's XHR path is in package.test.ts). */
describe('SDK files', () => {
  let h: Harness;
  let server: Server;
  let url: string;
  let hearth: HearthClient;
  let appId: string;
  beforeAll(async () => {
    h = await startHarness('sqlite');
    const ctx = await withAdminAndApp(h);
    appId = ctx.appId;
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    hearth = createClient({ url, app: appId, key: ctx.publicKey });
    await hearth.auth.signUp({ email: 'files@example.com', password: 'a long enough password 1!' });
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await h?.close();
  });

  it('describes its requests as data', () => {
    const r = fileRequests('app1');
    expect(r.signedUrl('f1', 60)).toEqual({
      method: 'POST',
      path: '/v1/apps/app1/files/f1/url',
      body: { expiresIn: 60 },
    });
    expect(r.tus).toBe('/v1/apps/app1/files/tus');
  });

  it('uploads with progress, reads metadata and bytes, signs a URL, deletes', async () => {
    const progress: UploadProgress[] = [];
    const blob = new Blob(['hello from the sdk'], { type: 'text/plain' });
    const file = await hearth.files.upload(blob, { name: 'hello.txt', onProgress: (p) => progress.push(p) });
    expect(file).toMatchObject({ name: 'hello.txt', size: 18, type: 'text/plain', public: false });
    expect(progress.at(-1)).toEqual({ loaded: 18, total: 18 });
    expect(await hearth.files.get(file.id)).toMatchObject({ id: file.id });

    expect(hearth.files.url(file.id)).toBe(`${url}/v1/apps/${appId}/files/${file.id}/content`);
    expect(hearth.files.thumbUrl(file.id, { width: 64, height: 48 })).toBe(
      `${url}/v1/apps/${appId}/files/${file.id}/content?thumb=64x48`,
    );
    const signed = await hearth.files.signedUrl(file.id, { expiresIn: 60 });
    // The server signs its PUBLIC_URL; the test server listens elsewhere, so keep path and query.
    const link = new URL(signed.url);
    expect(link.searchParams.get('sig')).toEqual(expect.any(String));
    const res = await fetch(`${url}${link.pathname}${link.search}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello from the sdk');

    await hearth.files.delete(file.id);
    await expect(hearth.files.get(file.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('signs a thumbnail URL: it serves that variant only', async () => {
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#08f' } })
      .png()
      .toBuffer();
    const file = await hearth.files.upload(new Blob([png], { type: 'image/png' }), { name: 'pic.png' });
    const signed = await hearth.files.signedUrl(file.id, { thumb: '64x64', fit: 'contain', expiresIn: 60 });
    const link = new URL(signed.url);
    expect(link.searchParams.get('thumb')).toBe('64x64');
    expect(link.searchParams.get('fit')).toBe('contain');
    const local = (search: string) => fetch(`${url}${link.pathname}${search}`);
    const res = await local(link.search);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(64);
    // Another fit, another size, or the original with that signature: refused.
    for (const [k, v] of [
      ['fit', 'cover'],
      ['thumb', '256x256'],
    ] as const) {
      const other = new URLSearchParams(link.search);
      other.set(k, v);
      expect((await local(`?${other}`)).status).toBe(403);
    }
    const original = new URLSearchParams(link.search);
    original.delete('thumb');
    original.delete('fit');
    expect((await local(`?${original}`)).status).toBe(403);
    // A size the app does not offer is the server's typed error.
    await expect(hearth.files.signedUrl(file.id, { thumb: '65x65' })).rejects.toMatchObject({
      status: 400,
      reason: 'thumbnail_size_not_allowed',
    });
  });

  it('aborts an upload', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await hearth.files.upload(new Blob(['x']), { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HearthError);
    expect(err).toMatchObject({ status: 0, code: 'aborted' });
    const midway = new AbortController();
    const pending = hearth.files.upload(new Blob([new Uint8Array(8 * 1024 * 1024).fill(65)]), {
      signal: midway.signal,
    });
    midway.abort();
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
  });

  it('refuses a bad upload with a typed reason', async () => {
    const err = await hearth.files.upload(new Blob([])).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'invalid_request', reason: 'file_empty' });
  });

  it('uploads resumably over tus', async () => {
    const blob = new Blob([new Uint8Array(3 * 1024 * 1024).fill(66)]);
    const progress: number[] = [];
    const done = await hearth.files.uploadResumable(blob, {
      name: 'big.bin',
      chunkSize: 1024 * 1024,
      onProgress: (p) => progress.push(p.loaded),
    });
    expect(done.url).toContain('/files/tus/');
    expect(progress.at(-1)).toBe(blob.size);
    // The finished upload is a file like any other, with the id the server named.
    expect(done.id).toBeTruthy();
    const info = await hearth.files.get(done.id!);
    expect(info).toMatchObject({ name: 'big.bin', size: blob.size });
  });
});
