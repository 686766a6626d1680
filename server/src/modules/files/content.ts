import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HearthError } from '../../errors.js';
import type { FileStore } from '../../ports/file-store.js';
import type { FileView } from './files.schema.js';

/**
 * Serving a file's bytes: the sniffed Content-Type, a strong ETag (the sha256) with
 * If-None-Match → 304, one byte range (206; a range starting past the end is 416 with
 * `Content-Range: bytes *\/size`; several ranges or a malformed header: the whole file, as RFC 9110
 * allows), and headers that keep a browser from running what users upload: `nosniff`, a
 * sandboxing CSP, and `attachment` for every type that is not a plain image, audio or video (so
 * HTML, SVG, XML and PDF are downloaded, never rendered inline from the API origin).
 */
const INLINE_TYPES =
  /^(image\/(png|jpeg|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+)$/;

export function isInlineType(type: string): boolean {
  return INLINE_TYPES.test(type);
}

/**
 * RFC 6266 with an RFC 5987 `filename*`: the plain `filename` is an ASCII fallback with anything
 * outside a safe set replaced by `_` (no quotes, backslashes, CR/LF, `;`), the UTF-8 name goes
 * percent-encoded in `filename*`, so no name can add a header or a parameter.
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^A-Za-z0-9 ._()-]/g, '_')
      .slice(0, 150) || 'file';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The one range asked for, 'unsatisfiable', or null for the whole file. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export async function sendContent(
  req: Request,
  res: Response,
  options: { files: FileStore; key: string; file: FileView; cacheControl: string; etag?: string },
): Promise<void> {
  const { file } = options;
  const etag = options.etag ?? `"${file.sha256}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', options.cacheControl);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  if (etagMatches(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return;
  }
  const ifRange = req.get('if-range');
  const range = ifRange && ifRange !== etag ? null : parseRange(req.get('range'), file.size);
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${file.size}`);
    throw new HearthError('range_not_satisfiable', `The range starts past the end of the file (${file.size} bytes).`, {
      size: file.size,
    });
  }
  res.setHeader('Content-Type', file.type === 'text/plain' ? 'text/plain; charset=utf-8' : file.type);
  res.setHeader(
    'Content-Disposition',
    contentDisposition(isInlineType(file.type) ? 'inline' : 'attachment', file.name),
  );
  let stream: Readable | null = null;
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
    if (req.method !== 'HEAD') stream = await options.files.read(options.key, { range });
  } else {
    res.status(200);
    res.setHeader('Content-Length', String(file.size));
    if (req.method !== 'HEAD') stream = await options.files.read(options.key);
  }
  if (!stream) {
    res.end();
    return;
  }
  try {
    await pipeline(stream, res);
  } catch {
    // The client went away or the store failed mid-stream: the answer is already started.
    res.destroy();
  }
}
