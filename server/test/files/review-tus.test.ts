import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../collections/users.js';
import { errorOf, startFiles, user, type FilesWorld } from './support.js';

/** Review: tus edge cases (sqlite + disk only: engine-independent). */
describe('tus review [sqlite + disk]', () => {
  let w: FilesWorld;
  let alice: TestUser;
  beforeAll(async () => {
    w = await startFiles({ documents: 'sqlite', files: 'disk' });
    alice = await user(w);
  });
  afterAll(async () => {
    await w?.close();
  });

  it('a tus upload completed twice at once (a second empty PATCH at the final offset) keeps its bytes', async () => {
    const raw = randomBytes(1200 * 1200 * 3);
    const big = await sharp(raw, { raw: { width: 1200, height: 1200, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const tus = { 'Tus-Resumable': '1.0.0' };
    const created = await w.h.http
      .post(`/v1/apps/${w.appId}/files/tus`)
      .set(alice.headers)
      .set(tus)
      .set('Upload-Length', String(big.length));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const path = new URL(created.headers.location!, 'http://x').pathname;
    const id = path.split('/').pop()!;
    const patch = (offset: number, body: Buffer) =>
      w.h.http
        .patch(path)
        .set(alice.headers)
        .set(tus)
        .set('Upload-Offset', String(offset))
        .set('Content-Type', 'application/offset+octet-stream')
        .send(body);
    const half = Math.floor(big.length / 2);
    await patch(0, big.subarray(0, half)).expect(204);
    const last = patch(half, big.subarray(half)).then((r) => r);
    // while the first completion moves the bytes, a second request at the final offset completes it again
    const extra: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await patch(big.length, Buffer.alloc(0));
      extra.push(r.status);
      if (r.status === 404) break;
    }
    const first = await last;
    // exactly one request completed it; the file has its metadata and its bytes
    const completions = [first.status, ...extra].filter((st) => st === 204);
    expect(
      [first.status, ...extra].filter((st) => st >= 500),
      JSON.stringify(first.body),
    ).toEqual([]);
    expect(completions).toHaveLength(1);
    expect((await w.h.http.get(`/v1/apps/${w.appId}/files/${id}`).set(alice.headers)).status).toBe(200);
    const content = await w.h.http.get(`/v1/apps/${w.appId}/files/${id}/content`).set(alice.headers);
    expect(content.status).toBe(200);
    expect(Buffer.compare(content.body as Buffer, big)).toBe(0);
  });

  it('Upload-Concat is refused; Upload-Length with Upload-Defer-Length is refused', async () => {
    const create = (headers: Record<string, string>) =>
      w.h.http.post(`/v1/apps/${w.appId}/files/tus`).set(alice.headers).set('Tus-Resumable', '1.0.0').set(headers);
    const concat = await create({ 'Upload-Length': '10', 'Upload-Concat': 'partial' });
    expect(concat.status).toBeGreaterThanOrEqual(400);
    const final = await create({
      'Upload-Concat': `final;/v1/apps/${w.appId}/files/tus/a /v1/apps/${w.appId}/files/tus/b`,
      'Upload-Length': '10',
    });
    expect(final.status).toBeGreaterThanOrEqual(400);
    const both = await create({ 'Upload-Length': '10', 'Upload-Defer-Length': '1' });
    expect(errorOf(both).status).toBe(400);
  });

  it('a chunk past Upload-Length is 413 and a PATCH cannot change Upload-Length', async () => {
    const tus = { 'Tus-Resumable': '1.0.0' };
    const created = await w.h.http
      .post(`/v1/apps/${w.appId}/files/tus`)
      .set(alice.headers)
      .set(tus)
      .set('Upload-Length', '10');
    expect(created.status).toBe(201);
    const path = new URL(created.headers.location!, 'http://x').pathname;
    const patch = (body: Buffer, extra: Record<string, string> = {}) =>
      w.h.http
        .patch(path)
        .set(alice.headers)
        .set(tus)
        .set(extra)
        .set('Upload-Offset', '0')
        .set('Content-Type', 'application/offset+octet-stream')
        .send(body);
    expect(errorOf(await patch(Buffer.alloc(20, 'a'))).status).toBe(413);
    expect(errorOf(await patch(Buffer.alloc(5, 'a'), { 'Upload-Length': '1000000' })).status).toBe(400);
    const status = await w.h.http.get(path).set(alice.headers).expect(200);
    expect(status.body).toMatchObject({ length: 10, offset: 0 });
  });
});
