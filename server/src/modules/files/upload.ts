import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Request, Response } from 'express';
import { fileTypeFromBuffer } from 'file-type';
import multer, { MulterError, type StorageEngine } from 'multer';
import { HearthError, reasonError } from '../../errors.js';
import type { FileStore } from '../../ports/file-store.js';
import { typeAllowed } from './files.settings.js';

/**
 * Receiving one multipart upload straight into the file store, never buffered whole: multer
 * (busboy) parses the body, and a custom storage engine pipes the file part through an
 * `UploadMeter` (counts bytes against the limits, computes sha256, sniffs the type from the first
 * bytes and refuses a type the app does not allow) into `FileStore.write`. A refused or broken
 * upload fails the write, so nothing is stored under the key.
 */
const SNIFF_BYTES = 4100;

export interface UploadLimits {
  /** The app's per-file limit. */
  maxFileSize: number;
  /** Bytes left under the app's quota (Infinity without one). */
  quotaLeft: number;
  allowedTypes: readonly string[];
}

export interface ReceivedFile {
  key: string;
  name: string;
  size: number;
  type: string;
  sha256: string;
}

export const fileTooLarge = (max: number) =>
  reasonError('payload_too_large', 'file_too_large', `The file is larger than this app's limit of ${max} bytes.`, {
    maxFileSize: max,
  });
export const quotaExceeded = (quota: number | null) =>
  reasonError('payload_too_large', 'quota_exceeded', "The file does not fit in this app's storage quota.", {
    quotaBytes: quota,
  });

/** Counts, hashes and sniffs what passes through; errors when a limit or the type check fails. */
export class UploadMeter extends Transform {
  size = 0;
  type: string | undefined;
  private readonly hash = createHash('sha256');
  private head: Buffer[] = [];
  private headSize = 0;

  constructor(private readonly limits: UploadLimits & { quotaBytes: number | null }) {
    super();
  }

  get sha256(): string {
    return this.hash.digest('hex');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limits.maxFileSize) return cb(fileTooLarge(this.limits.maxFileSize));
    if (this.size > this.limits.quotaLeft) return cb(quotaExceeded(this.limits.quotaBytes));
    this.hash.update(chunk);
    if (this.type !== undefined) return cb(null, chunk);
    this.head.push(chunk);
    this.headSize += chunk.length;
    if (this.headSize < SNIFF_BYTES) return cb();
    this.sniff().then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.size === 0) return cb(reasonError('invalid_request', 'file_empty', 'The file is empty.'));
    if (this.type !== undefined) return cb();
    this.sniff().then(() => cb(), cb);
  }

  private async sniff(): Promise<void> {
    const head = Buffer.concat(this.head);
    this.type = await sniffType(head);
    if (!typeAllowed(this.type, this.limits.allowedTypes)) {
      throw new HearthError('unsupported_media_type', `Files of type ${this.type} are not allowed in this app.`, {
        type: this.type,
        allowedTypes: [...this.limits.allowedTypes],
      });
    }
    this.push(head);
    this.head = [];
  }
}

/** The type from the first bytes (file-type); else UTF-8 text without NULs is text/plain. */
export async function sniffType(head: Buffer): Promise<string> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  if (head.includes(0)) return 'application/octet-stream';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return 'text/plain';
  } catch {
    return 'application/octet-stream';
  }
}

/**
 * The name to keep: the last path segment of what the client sent, NFC-normalised, without
 * control, format (bidi overrides, zero-width) or separator characters, at most 255 characters.
 * It is only ever shown (metadata, Content-Disposition), never used as a path.
 */
export function cleanName(raw: string | undefined): string {
  const last = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = last
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .trim()
    .slice(0, 255);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}

/**
 * Streams bytes that are not a multipart body (a finished resumable upload) through the same
 * meter into the store under `key`: the same limits, sha256 and type check as an upload.
 */
export async function storeStream(
  files: FileStore,
  key: string,
  source: Readable,
  limits: UploadLimits & { quotaBytes: number | null },
): Promise<{ size: number; type: string; sha256: string }> {
  const meter = new UploadMeter(limits);
  source.once('error', (e) => meter.destroy(e));
  source.pipe(meter);
  try {
    const { size } = await files.write(key, meter, {});
    return { size, type: meter.type!, sha256: meter.sha256 };
  } finally {
    source.destroy();
  }
}

class StoreEngine implements StorageEngine {
  constructor(
    private readonly files: FileStore,
    private readonly key: string,
    private readonly limits: UploadLimits & { quotaBytes: number | null },
  ) {}

  _handleFile(_req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<ReceivedFile>) => void) {
    const meter = new UploadMeter(this.limits);
    file.stream.once('error', (e) => meter.destroy(e));
    file.stream.pipe(meter);
    this.files.write(this.key, meter, {}).then(
      ({ size }) =>
        cb(null, {
          key: this.key,
          name: cleanName(file.originalname),
          size,
          type: meter.type!,
          sha256: meter.sha256,
        }),
      (e: unknown) => {
        // Let busboy go on reading (and discarding) the rest of the part.
        file.stream.resume();
        cb(e);
      },
    );
  }

  _removeFile(_req: Request, _file: Express.Multer.File, cb: (error: Error | null) => void) {
    this.files.delete(this.key).then(
      () => cb(null),
      () => cb(null),
    );
  }
}

/** The Content-Length of the request, when it sent one. */
export function declaredLength(req: Request): number | undefined {
  const declared = Number(req.get('content-length'));
  return req.get('content-length') !== undefined && Number.isFinite(declared) && declared >= 0 ? declared : undefined;
}

/**
 * What is refused before a byte is read: a body that is not multipart/form-data (415), a
 * declared length far over the per-file limit (413 `file_too_large`).
 */
export function assertUploadable(req: Request, res: Response, maxFileSize: number): void {
  if (!req.is('multipart/form-data')) {
    throw new HearthError('unsupported_media_type', 'Send the file as multipart/form-data with one part named "file".');
  }
  const declared = declaredLength(req);
  if (declared !== undefined && declared > maxFileSize + 64 * 1024) throw closing(res, fileTooLarge(maxFileSize));
}

/**
 * Reads the request's one file part (field `file`) into the store under `key`. Errors: 415 when
 * the body is not multipart/form-data or the type is not allowed, 400 `file_missing` /
 * `too_many_files` / `file_empty` / `multipart_invalid`, 413 `file_too_large` / `quota_exceeded`
 * (`quotaLeft`: the bytes reserved for it).
 */
export async function receiveUpload(
  req: Request,
  res: Response,
  options: { files: FileStore; key: string; limits: UploadLimits & { quotaBytes: number | null } },
): Promise<ReceivedFile> {
  const { maxFileSize, quotaLeft } = options.limits;
  assertUploadable(req, res, maxFileSize);
  if (quotaLeft <= 0) throw closing(res, quotaExceeded(options.limits.quotaBytes));

  const parse = multer({
    storage: new StoreEngine(options.files, options.key, options.limits),
    // Browsers and HTTP clients send file names as raw UTF-8.
    defParamCharset: 'utf8',
    // (multer lets one byte more through, so the meter sees the overflow and says which limit it was)
    limits: { files: 1, fileSize: maxFileSize, fields: 10, fieldSize: 1024, parts: 11, headerPairs: 50 },
  }).single('file');
  try {
    await new Promise<void>((resolve, reject) => parse(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
  } catch (e) {
    throw closing(res, multipartError(e));
  }
  const file = req.file as (Express.Multer.File & Partial<ReceivedFile>) | undefined;
  if (!file?.key) {
    throw reasonError('invalid_request', 'file_missing', 'The body has no file part named "file".');
  }
  return { key: file.key, name: file.name!, size: file.size, type: file.type!, sha256: file.sha256! };
}

/** An upload refused mid-way: close the connection after the answer instead of reading the rest. */
export function closing(res: Response, e: unknown): unknown {
  res.setHeader('Connection', 'close');
  return e;
}

function multipartError(e: unknown): unknown {
  if (e instanceof HearthError) return e;
  if (e instanceof MulterError) {
    switch (e.code) {
      case 'LIMIT_FILE_COUNT':
        return reasonError('invalid_request', 'too_many_files', 'Send exactly one file part, named "file".');
      case 'LIMIT_UNEXPECTED_FILE':
        return reasonError(
          'invalid_request',
          e.field === 'file' ? 'too_many_files' : 'unexpected_field',
          'Send exactly one file part, named "file".',
          { field: e.field ?? null },
        );
      case 'LIMIT_FILE_SIZE':
        return reasonError('payload_too_large', 'file_too_large', "The file is larger than this app's limit.");
      default:
        return reasonError(
          'invalid_request',
          'multipart_invalid',
          'The multipart body has too many or too large parts.',
        );
    }
  }
  return reasonError('invalid_request', 'multipart_invalid', 'The multipart body is malformed.', undefined, {
    cause: e,
  });
}
