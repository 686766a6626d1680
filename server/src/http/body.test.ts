import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { jsonBody, limitBytes } from './body.js';
import { errorHandler } from './error-handler.js';

/**
 * The request body reader: plain `application/json` with a Content-Length is read in one pass
 * (body.ts's fast path), anything else by body-parser. Every body here goes through both paths
 * (a media-type parameter sends it down body-parser's) and must get the same answer.
 */
const app = express();
app.use(...jsonBody({ limit: '1kb' }));
app.post('/echo', (req, res) => {
  res.json({ body: req.body as unknown });
});
app.use(errorHandler(pino({ level: 'silent' })));

const FAST = 'application/json';
const SLOW = 'application/json; profile=x';

const send = (type: string, body: string | Buffer) => request(app).post('/echo').set('Content-Type', type).send(body);

const CASES: Array<[string, string | Buffer, number, string | null]> = [
  ['an object', '{"a":1,"b":[true,null,"x"]}', 200, null],
  ['an array', '[1,2,3]', 200, null],
  ['leading whitespace', ' \n\t{"a":1}', 200, null],
  ['a byte order mark', '\ufeff{"a":1}', 200, null],
  ['multi-byte text', '{"name":"Zoë 🔥 東京"}', 200, null],
  ['bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 200, null],
  ['malformed JSON', '{"a": ', 400, 'invalid_json'],
  ['trailing garbage', '{"a":1} x', 400, 'invalid_json'],
  ['null', 'null', 400, 'body_not_object'],
  ['a number', '3', 400, 'body_not_object'],
  ['a string', '"text"', 400, 'body_not_object'],
  ['only whitespace', '   ', 400, 'invalid_json'],
  ['__proto__ as a key', '{"__proto__":{"polluted":1}}', 200, null],
];

describe('JSON request bodies', () => {
  it.each(CASES)('%s: the same answer on both paths', async (_name, body, status, reason) => {
    const fast = await send(FAST, body);
    const slow = await send(SLOW, body);
    expect(fast.status).toBe(status);
    expect(slow.status).toBe(status);
    expect(fast.body).toEqual(slow.body);
    if (reason) {
      expect(fast.body.error.code).toBe('invalid_request');
      expect(fast.body.error.details).toEqual({ reason });
    }
  });

  it('parses what it reads: the echoed body equals the sent one', async () => {
    const sent = { text: 'é'.repeat(100), list: Array.from({ length: 20 }, (_, i) => i), nested: { a: { b: null } } };
    const res = await send(FAST, JSON.stringify(sent));
    expect(res.body).toEqual({ body: sent });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a body over the limit is 413 on both paths, even with a charset', async () => {
    const big = JSON.stringify({ x: 'y'.repeat(1100) });
    for (const type of [FAST, 'application/json; charset=utf-8', SLOW]) {
      const res = await send(type, big);
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    }
    // exactly at the limit passes
    const exact = JSON.stringify({ x: 'y'.repeat(1024 - 8) });
    expect(Buffer.byteLength(exact)).toBe(1024);
    expect((await send(FAST, exact)).status).toBe(200);
  });

  it('another media type or charset is 415; the charset check does not depend on its case', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) {
      const res = await send(type, '{"a":1}');
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('unsupported_media_type');
    }
    for (const type of ['APPLICATION/JSON', 'application/json;charset=UTF-8', 'application/json; charset="utf-8"']) {
      expect((await send(type, '{"a":1}')).body).toEqual({ body: { a: 1 } });
    }
  });

  it('a compressed body is left to body-parser: the same answer as on its path', async () => {
    const { gzipSync } = await import('node:zlib');
    const zipped = gzipSync(Buffer.from('{"zipped":true}'));
    const post = (type: string) =>
      request(app).post('/echo').set('Content-Type', type).set('Content-Encoding', 'gzip').send(zipped);
    const [fast, slow] = [await post(FAST), await post(SLOW)];
    expect(fast.status).toBe(slow.status);
    expect(fast.body).toEqual(slow.body);
  });

  it('reads BODY_LIMIT with body-parser units', () => {
    expect(limitBytes('100b')).toBe(100);
    expect(limitBytes('512kb')).toBe(512 * 1024);
    expect(limitBytes('1MB')).toBe(1024 * 1024);
    expect(() => limitBytes('lots')).toThrow();
  });
});
