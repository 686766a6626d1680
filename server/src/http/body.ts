import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type RequestHandler } from 'express';
import { HearthError } from '../errors.js';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** `Content-Type: application/json`, alone or with a UTF-8 charset: what the SDK and curl send. */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset\s*=\s*(?:utf-8|"utf-8")\s*)?$/i;

/**
 * JSON bodies only (routes that take multipart opt out by path later): a body with another
 * content type is 415, a malformed one 400, an oversized one 413 — before any handler runs.
 *
 * The common request (plain `application/json`, a Content-Length within the limit, no
 * Content-Encoding) is read here in one pass; everything else (chunked, compressed, another
 * charset, `+json` types, too large) goes through express.json (body-parser) as before. The fast
 * path fails the same way body-parser does (the same error `type`s, which error-handler.ts maps),
 * and test/http/body.test.ts runs every case through both paths. Why not body-parser alone: its
 * per-request media-type, charset and stream set-up was about 5% of a create's CPU
 * (docs/performance.md).
 */
export function jsonBody(options: { limit: string; except?: (path: string) => boolean }): RequestHandler[] {
  const parse = express.json({ limit: options.limit, strict: true, type: () => true });
  const limit = limitBytes(options.limit);
  // One layer (one router step per request): the media type check, then the parser.
  const jsonOnly: RequestHandler = (req, res, next) => {
    if (!METHODS_WITH_BODY.has(req.method) || options.except?.(req.path)) return next();
    const headers = req.headers;
    const length = headers['content-length'];
    const hasBody = (length && length !== '0') || headers['transfer-encoding'];
    if (!hasBody) return parse(req, res, next);
    const type = headers['content-type'];
    if (
      type !== undefined &&
      length !== undefined &&
      headers['transfer-encoding'] === undefined &&
      (headers['content-encoding'] === undefined || headers['content-encoding'] === 'identity') &&
      PLAIN_JSON.test(type)
    ) {
      const bytes = Number(length);
      if (Number.isSafeInteger(bytes) && bytes > 0 && bytes <= limit) return readJson(req, bytes, next);
    }
    if (!req.is('application/json') && !req.is('application/*+json')) {
      return next(new HearthError('unsupported_media_type', 'Send the request body as application/json.'));
    }
    parse(req, res, next);
  };
  return [jsonOnly];
}

/** BODY_LIMIT (`512kb`, `1mb`, `100b`) in bytes, with body-parser's units (1 kb = 1024 bytes). */
export function limitBytes(limit: string): number {
  const m = /^(\d+)(b|kb|mb)$/i.exec(limit.trim());
  if (!m) throw new Error(`Not a body limit: ${limit}`);
  const unit = { b: 1, kb: 1024, mb: 1024 * 1024 }[m[2]!.toLowerCase() as 'b' | 'kb' | 'mb'];
  return Number(m[1]) * unit;
}

/** An error shaped like body-parser's (error-handler.ts maps it by `type`). */
function bodyError(message: string, status: number, type: string, body?: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type, body });
}

/** Reads exactly `expected` bytes (the Content-Length) and parses them as strict JSON into req.body. */
function readJson(req: IncomingMessage & { body?: unknown }, expected: number, next: NextFunction): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let done = false;
  const finish = (err?: Error): void => {
    if (done) return;
    done = true;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('aborted', onAborted);
    req.off('error', onError);
    if (err) {
      // As raw-body does: stop reading, and let the rest of the body drain unseen.
      req.unpipe?.();
      req.resume();
      next(err);
      return;
    }
    next();
  };
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > expected) {
      finish(bodyError('request size did not match content length', 400, 'request.size.invalid'));
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = (): void => {
    if (received !== expected) {
      finish(bodyError('request size did not match content length', 400, 'request.size.invalid'));
      return;
    }
    const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
    let text = buffer.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM, as iconv-lite drops it
    const first = firstNonWhitespace(text);
    if (first !== '{' && first !== '[') {
      finish(bodyError('Unexpected token in JSON', 400, 'entity.parse.failed', text));
      return;
    }
    try {
      req.body = JSON.parse(text) as unknown;
    } catch (e) {
      finish(bodyError((e as Error).message, 400, 'entity.parse.failed', text));
      return;
    }
    finish();
  };
  const onAborted = (): void => finish(bodyError('request aborted', 400, 'request.aborted'));
  const onError = (err: Error): void => finish(bodyError(err.message, 400, 'request.aborted'));
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('aborted', onAborted);
  req.on('error', onError);
}

/** The first character that is not JSON whitespace (space, tab, line feed, carriage return). */
function firstNonWhitespace(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return text[i];
  }
  return undefined;
}
