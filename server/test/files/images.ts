import type { Test } from 'supertest';
import { crc32, deflateSync } from 'node:zlib';

/** The response body as a Buffer, whatever its type. */
export const binary = (t: Test) =>
  t.buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  });

/**
 * A PNG that says 30000×30000 (900 MP) in its header — decoding it would take gigabytes — yet is
 * a tiny file; `padding` bytes after its end make it as large as a test needs (past the
 * synchronous thumbnail limit, so a job renders it).
 */
export function bombPng(padding = 0): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(30000, 0);
  ihdr.writeUInt32BE(30000, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(30001 * 16))), // a few rows of zeros
    chunk('IEND', Buffer.alloc(0)),
    Buffer.alloc(padding),
  ]);
}
