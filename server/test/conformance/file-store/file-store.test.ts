import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3FileStore } from '../../../src/engines/s3/index.js';
import type { FileStore } from '../../../src/ports/file-store.js';
import { freePort } from '../../servers/free-port.js';
import { fileCase, fileTargets, type OpenedFileStore } from './targets.js';

/**
 * The FileStore port's contract (ports/file-store.ts), run against every engine: bytes in and
 * out, ranges, stat, delete, list by prefix, keys that cannot escape the store, a failed input
 * stream that leaves nothing behind (multipart included), and errors mapped to the port's.
 */
const bytesOf = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
};

/** A stream of `total` random bytes that fails with `error` after `failAfter` bytes. */
function failingStream(total: number, failAfter: number, error: Error): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= failAfter) return this.destroy(error);
      const n = Math.min(64 * 1024, total - sent, failAfter - sent);
      sent += n;
      this.push(randomBytes(n));
    },
  });
}

/** `size` pseudo-random bytes in 1 MiB chunks, without holding them all. */
function generated(size: number, seed = 1): { stream: Readable; sha256: Promise<string> } {
  const hash = createHash('sha256');
  let sent = 0;
  let block = createHash('sha256').update(String(seed)).digest();
  let resolveHash!: (v: string) => void;
  const sha256 = new Promise<string>((r) => (resolveHash = r));
  const stream = new Readable({
    read() {
      if (sent >= size) {
        resolveHash(hash.digest('hex'));
        return this.push(null);
      }
      const n = Math.min(1024 * 1024, size - sent);
      const chunk = Buffer.alloc(n, block);
      block = createHash('sha256').update(block).digest();
      hash.update(chunk);
      sent += n;
      this.push(chunk);
    },
  });
  return { stream, sha256 };
}

const sha = async (s: Readable) =>
  createHash('sha256')
    .update(await bytesOf(s))
    .digest('hex');

for (const target of fileTargets()) {
  describe.skipIf(target.skip)(`FileStore conformance [${target.title}]`, () => {
    let opened: OpenedFileStore;
    let files: FileStore;
    let k: (key: string) => string;
    beforeAll(async () => {
      opened = await target.open({ partSize: 5 * 1024 * 1024 });
      files = opened.store;
      k = (key) => opened.prefix + key;
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    it('files.write-read: bytes in, the same bytes out; stat gives the size', async () => {
      const data = randomBytes(300_000);
      const { size } = await files.write(k('app1/a'), Readable.from([data]), { contentType: 'image/png' });
      expect(size).toBe(data.length);
      expect((await bytesOf(await files.read(k('app1/a')))).equals(data)).toBe(true);
      const stat = await files.stat(k('app1/a'));
      expect(stat?.size).toBe(data.length);
      expect(stat?.modifiedAt).toBeInstanceOf(Date);
    });

    it('files.overwrite: a second write replaces the object', async () => {
      await files.write(k('app1/b'), Readable.from([Buffer.from('first version')]));
      await files.write(k('app1/b'), Readable.from([Buffer.from('second')]));
      expect((await bytesOf(await files.read(k('app1/b')))).toString()).toBe('second');
    });

    it('files.empty: a zero-byte object is stored and read back', async () => {
      expect(await files.write(k('app1/empty'), Readable.from([]))).toEqual({ size: 0 });
      expect((await bytesOf(await files.read(k('app1/empty')))).length).toBe(0);
      expect((await files.stat(k('app1/empty')))?.size).toBe(0);
    });

    it('files.range: inclusive byte ranges, the end clamped to the last byte; past the end is invalid_request', async () => {
      const data = Buffer.from('0123456789');
      await files.write(k('app1/r'), Readable.from([data]));
      const read = async (start: number, end: number) =>
        (await bytesOf(await files.read(k('app1/r'), { range: { start, end } }))).toString();
      expect(await read(0, 1)).toBe('01');
      expect(await read(2, 5)).toBe('2345');
      expect(await read(7, 100)).toBe('789');
      await expect(files.read(k('app1/r'), { range: { start: 10, end: 12 } })).rejects.toMatchObject({
        code: 'invalid_request',
      });
      await expect(files.read(k('app1/r'), { range: { start: 5, end: 2 } })).rejects.toMatchObject({
        code: 'invalid_request',
      });
    });

    fileCase(target.name, 'files.range-first-byte', 'the range 0-0 is the first byte alone', async () => {
      await files.write(k('app1/r0'), Readable.from([Buffer.from('0123')]));
      expect((await bytesOf(await files.read(k('app1/r0'), { range: { start: 0, end: 0 } }))).toString()).toBe('0');
    });

    it('files.missing: read is not_found, stat is null, delete is a no-op', async () => {
      await expect(files.read(k('app1/nothing'))).rejects.toMatchObject({ code: 'not_found' });
      expect(await files.stat(k('app1/nothing'))).toBeNull();
      await files.delete(k('app1/nothing'));
    });

    it('files.delete: a deleted object is gone', async () => {
      await files.write(k('app1/d'), Readable.from([Buffer.from('x')]));
      await files.delete(k('app1/d'));
      expect(await files.stat(k('app1/d'))).toBeNull();
      await expect(files.read(k('app1/d'))).rejects.toMatchObject({ code: 'not_found' });
    });

    it('files.list: every key under a prefix, whole segments or part of one, and nothing else', async () => {
      for (const key of ['lst/x/1', 'lst/x/2.thumb', 'lst/y/1', 'lst2/z']) {
        await files.write(k(key), Readable.from([Buffer.from(key)]));
      }
      const keys = async (prefix: string) => {
        const out: string[] = [];
        for await (const o of files.list(k(prefix))) out.push(o.key.slice(opened.prefix.length));
        return out.sort();
      };
      expect(await keys('lst/')).toEqual(['lst/x/1', 'lst/x/2.thumb', 'lst/y/1']);
      expect(await keys('lst/x/')).toEqual(['lst/x/1', 'lst/x/2.thumb']);
      expect(await keys('lst/x/2')).toEqual(['lst/x/2.thumb']);
      expect(await keys('lst')).toEqual(['lst/x/1', 'lst/x/2.thumb', 'lst/y/1', 'lst2/z']);
      expect(await keys('none/')).toEqual([]);
      for await (const o of files.list(k('lst/y/'))) expect(o.size).toBe('lst/y/1'.length);
    });

    it('files.bad-keys: keys that could name another place are invalid_request and write nothing', async () => {
      const bad = [
        '../escape',
        'a/../../escape',
        '/abs/path',
        'a//b',
        '',
        '.',
        'a/.',
        '..',
        'a\u0000b',
        '%2e%2e%2fescape',
        'a\\..\\b',
        'é/x',
        `${'a'.repeat(300)}`,
      ];
      for (const key of bad) {
        const full = opened.prefix + key;
        await expect(files.write(full, Readable.from([Buffer.from('x')])), key).rejects.toMatchObject({
          code: 'invalid_request',
        });
        await expect(files.read(full), key).rejects.toMatchObject({ code: 'invalid_request' });
        await expect(files.stat(full), key).rejects.toMatchObject({ code: 'invalid_request' });
        await expect(files.delete(full), key).rejects.toMatchObject({ code: 'invalid_request' });
      }
      if (opened.root) expect(readdirSync(dirname(opened.root))).toEqual(['files']);
    });

    it('files.failed-write: an input stream that fails leaves nothing, and keeps what was there', async () => {
      const boom = new Error('client went away');
      await expect(files.write(k('app1/f'), failingStream(100_000, 50_000, boom))).rejects.toBe(boom);
      expect(await files.stat(k('app1/f'))).toBeNull();
      await files.write(k('app1/g'), Readable.from([Buffer.from('kept')]));
      await expect(files.write(k('app1/g'), failingStream(100_000, 10, boom))).rejects.toBe(boom);
      expect((await bytesOf(await files.read(k('app1/g')))).toString()).toBe('kept');
      if (opened.root) expect(readdirSync(`${opened.root}/.tmp`)).toEqual([]);
    });

    it('files.large: 12 MiB in parts (multipart on S3), same sha256 out', async () => {
      const { stream, sha256 } = generated(12 * 1024 * 1024);
      expect(await files.write(k('app1/large'), stream)).toEqual({ size: 12 * 1024 * 1024 });
      expect(await sha(await files.read(k('app1/large')))).toBe(await sha256);
      const mid = await bytesOf(await files.read(k('app1/large'), { range: { start: 5_242_000, end: 5_243_000 } }));
      expect(mid.length).toBe(1001);
    }, 60_000);

    it('files.large-failed: a large write failing after several parts leaves nothing', async () => {
      const boom = new Error('dropped after 11 MiB');
      await expect(files.write(k('app1/large-f'), failingStream(20 << 20, 11 << 20, boom))).rejects.toBe(boom);
      expect(await files.stat(k('app1/large-f'))).toBeNull();
    }, 60_000);

    fileCase(
      target.name,
      'files.resumable',
      'resumable(): a tus store whose uploads are written in chunks, read back whole, removed, never listed as keys',
      async () => {
        const resumable = await files.resumable({ expirationMs: 60_000 });
        const id = `${resumable.idPrefix}${k('up').replace(/\//g, '-')}`;
        const data = randomBytes(300_000);
        const { Upload } = await import('@tus/server');
        await resumable.store.create(new Upload({ id, size: data.length, offset: 0 }));
        expect(await resumable.store.write(Readable.from([data.subarray(0, 100_000)]), id, 0)).toBe(100_000);
        expect((await resumable.store.getUpload(id)).offset).toBe(100_000);
        await resumable.store.write(Readable.from([data.subarray(100_000)]), id, 100_000);
        expect((await resumable.store.getUpload(id)).offset).toBe(data.length);
        expect((await bytesOf(await resumable.read(id))).equals(data)).toBe(true);
        const keys: string[] = [];
        for await (const o of files.list('')) keys.push(o.key);
        expect(keys.filter((key) => key.startsWith('.') || key.includes(id))).toEqual([]);
        await resumable.store.remove(id);
        await expect(resumable.store.getUpload(id)).rejects.toBeDefined();
      },
    );

    it('files.ping: a reachable store pings', async () => {
      await files.ping();
    });
  });
}

describe('S3 engine errors are the port’s', () => {
  it('an unreachable endpoint is unavailable (ping, read, write), with the SDK text only in cause', async () => {
    const port = await freePort();
    const store = createS3FileStore({
      bucket: 'b',
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      accessKeyId: 'x',
      secretAccessKey: 'y',
      forcePathStyle: true,
    });
    try {
      await expect(store.ping()).rejects.toMatchObject({ code: 'unavailable' });
      const err = await store.read('a/b').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'unavailable', message: 'The file storage is unavailable.' });
      expect((err as Error).cause).toBeDefined();
      await expect(store.write('a/b', Readable.from([Buffer.from('x')]))).rejects.toMatchObject({
        code: 'unavailable',
      });
    } finally {
      await store.close();
    }
  }, 30_000);
});
