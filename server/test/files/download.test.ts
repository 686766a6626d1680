import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDisposition, parseRange } from '../../src/modules/files/content.js';
import { errorOf, PAIRS, pairName, PNG, setSettings, startFiles, upload, type FilesWorld } from './support.js';

/**
 * Downloads: byte ranges (206, 416 past the end), ETag / If-None-Match (304), the sniffed type,
 * and headers that keep browsers from rendering uploads inline from the API origin.
 */
for (const pair of PAIRS) {
  describe(`downloads [${pairName(pair)}]`, () => {
    let w: FilesWorld;
    let pngId: string;
    let textId: string;
    let etag: string;
    const text = 'hello, range requests!\n';
    const get = (id: string, headers: Record<string, string> = {}) =>
      w.h.http
        .get(`/v1/apps/${w.appId}/files/${id}/content`)
        .set(w.secret)
        .set(headers)
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        });

    beforeAll(async () => {
      w = await startFiles(pair);
      await setSettings(w, { allowedTypes: ['*/*'] });
      pngId = (await upload(w, w.secret, PNG, 'pic.png').expect(201)).body.id;
      const t = await upload(w, w.secret, Buffer.from(text), 'notes.txt').expect(201);
      textId = t.body.id;
      etag = `"${t.body.sha256}"`;
    });
    afterAll(async () => {
      await w?.close();
    });

    it('the whole file: 200, length, sniffed type, strong ETag, nosniff, sandbox CSP', async () => {
      const res = await get(textId);
      expect(res.status).toBe(200);
      expect((res.body as Buffer).toString()).toBe(text);
      expect(res.headers['content-length']).toBe(String(text.length));
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.headers.etag).toBe(etag);
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain('sandbox');
      expect(res.headers['content-disposition']).toMatch(/^attachment; /);
      const img = await get(pngId);
      expect(img.headers['content-type']).toBe('image/png');
      expect(img.headers['content-disposition']).toBe(`inline; filename="pic.png"; filename*=UTF-8''pic.png`);
    });

    it('ranges: first bytes, a middle slice, an open end, a suffix; 206 with Content-Range', async () => {
      const cases: Array<[string, string, string]> = [
        ['bytes=0-4', 'hello', `bytes 0-4/${text.length}`],
        ['bytes=7-11', 'range', `bytes 7-11/${text.length}`],
        [`bytes=${text.length - 3}-`, 'ts!\n'.slice(-3), `bytes ${text.length - 3}-${text.length - 1}/${text.length}`],
        ['bytes=-4', 'ts!\n', `bytes ${text.length - 4}-${text.length - 1}/${text.length}`],
        ['bytes=20-9999', text.slice(20), `bytes 20-${text.length - 1}/${text.length}`],
      ];
      for (const [range, body, contentRange] of cases) {
        const res = await get(textId, { Range: range });
        expect(res.status, range).toBe(206);
        expect((res.body as Buffer).toString(), range).toBe(body);
        expect(res.headers['content-range'], range).toBe(contentRange);
        expect(res.headers['content-length'], range).toBe(String(body.length));
      }
    });

    it('a range past the end is 416 with Content-Range: bytes */size; malformed or multiple ranges get the whole file', async () => {
      const past = await get(textId, { Range: `bytes=${text.length}-` });
      expect(errorOf({ status: past.status, body: JSON.parse((past.body as Buffer).toString()) })).toMatchObject({
        status: 416,
        code: 'range_not_satisfiable',
      });
      expect(past.headers['content-range']).toBe(`bytes */${text.length}`);
      expect((await get(textId, { Range: 'bytes=-0' })).status).toBe(416);
      for (const range of ['bytes=abc', 'bytes=5-2', 'items=0-1', 'bytes=0-1,3-4']) {
        const res = await get(textId, { Range: range });
        expect(res.status, range).toBe(200);
        expect((res.body as Buffer).toString()).toBe(text);
      }
    });

    it('If-None-Match with the ETag is 304 without a body; If-Range with another tag ignores Range', async () => {
      const res = await get(textId, { 'If-None-Match': etag });
      expect(res.status).toBe(304);
      expect((res.body as Buffer).length).toBe(0);
      expect((await get(textId, { 'If-None-Match': `"other", ${etag}` })).status).toBe(304);
      expect((await get(textId, { 'If-None-Match': '"other"' })).status).toBe(200);
      const stale = await get(textId, { Range: 'bytes=0-4', 'If-Range': '"old"' });
      expect(stale.status).toBe(200);
      expect((await get(textId, { Range: 'bytes=0-4', 'If-Range': etag })).status).toBe(206);
    });

    it('HTML and SVG are stored as text and served as attachments, never inline HTML', async () => {
      const cases: Array<[string, string]> = [
        ['page.html', '<html><script>alert(document.cookie)</script></html>'],
        ['image.svg', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'],
        ['x.svg', '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'],
      ];
      for (const [name, body] of cases) {
        const up = await upload(w, w.secret, Buffer.from(body), name).expect(201);
        const res = await get(up.body.id);
        expect(res.headers['content-type'], name).not.toMatch(/html|svg/);
        expect(res.headers['content-disposition'], name).toMatch(/^attachment; /);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }
    });

    it('a name with quotes, CRLF or look-alikes cannot add a header or a parameter', async () => {
      const up = await upload(w, w.secret, Buffer.from('x'), 'evil"; filename=hack.exe\r\nSet-Cookie: a=b.txt').expect(
        201,
      );
      const res = await get(up.body.id);
      expect(res.headers['set-cookie']).toBeUndefined();
      const cd = res.headers['content-disposition'] as string;
      expect(cd.split(';').length).toBe(3);
      expect(cd).not.toMatch(/[\r\n]/);
    });
  });
}

describe('content helpers', () => {
  it('Content-Disposition: ASCII fallback plus RFC 5987 UTF-8', () => {
    expect(contentDisposition('attachment', 'résumé "final".pdf')).toBe(
      `attachment; filename="resume _final_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf`,
    );
    expect(contentDisposition('inline', "它's (1).png")).toBe(
      `inline; filename="__s (1).png"; filename*=UTF-8''%E5%AE%83%27s%20%281%29.png`,
    );
    expect(contentDisposition('attachment', 'ＡＢＣ.txt')).toMatch(/^attachment; filename="ABC.txt"; /);
  });

  it('parseRange', () => {
    expect(parseRange(undefined, 10)).toBeNull();
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=9-', 10)).toEqual({ start: 9, end: 9 });
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=-20', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=3-1', 10)).toBeNull();
  });
});
