import type { Readable } from 'node:stream';
import type { DataStore } from '@tus/server';
import { invalidRequest } from '../errors.js';

/**
 * The file store port: opaque keys → bytes. Engines: local disk in DATA_DIR (embedded default)
 * and S3-compatible object storage (`S3_BUCKET`).
 *
 * Keys are made by the server (`<appId>/<fileId>`, `<appId>/<fileId>.<variant>`), never taken
 * from a client: every method checks `key` against KEY_PATTERN first (segments of
 * `[A-Za-z0-9_-]` with `.`/`-` inside, no `.` or `..` segment, no leading `/`), so no key can
 * name a path outside the store. A key that does not match is `invalid_request`.
 *
 * Errors (HearthError from errors.ts), the same for every engine:
 * - `not_found`: `read` of a missing key;
 * - `invalid_request`: a malformed key, a range outside the object;
 * - `unavailable`: the storage cannot be reached (disk I/O errors, S3 network errors);
 * - a `write` whose input stream fails rejects with that stream's error, and nothing is stored
 *   (no partial object is ever visible under the key).
 * Provider messages stay in the error's `cause`, never in its message.
 */
export interface FileStore {
  readonly engine: 'disk' | 's3';

  /**
   * Stores the stream's bytes under `key` (replacing what was there). The object becomes visible
   * only once complete: disk writes a temporary file, fsyncs and renames; S3 completes a
   * (multipart) upload. Resolves with the number of bytes stored.
   */
  write(key: string, body: Readable, options?: WriteFileOptions): Promise<{ size: number }>;

  /**
   * The object's bytes, or the inclusive `range` of them. `not_found` when missing (thrown before
   * the stream is returned); a range that starts past the end is `invalid_request` (callers check
   * ranges against `stat` first and answer 416).
   */
  read(key: string, options?: ReadFileOptions): Promise<Readable>;

  /** Size and last change of the object, or null when there is none. */
  stat(key: string): Promise<FileStat | null>;

  /** Removes the object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;

  /** Every key starting with `prefix` (any order), with its size. */
  list(prefix: string): AsyncIterable<FileStat & { key: string }>;

  /**
   * The store of unfinished resumable (tus) uploads on the same storage, outside this store's
   * keys (no key starts with `.`): disk `<root>/.tus/<id>` with `<id>.json`, S3 `.tus/<id>`
   * (multipart upload, `.info`, `.part`). Loaded on first use.
   */
  resumable(options: ResumableOptions): Promise<ResumableStore>;

  /** Throws `unavailable` when the storage cannot serve requests (used by /readyz). */
  ping(): Promise<void>;

  close(): Promise<void>;
}

export interface ResumableOptions {
  /** An unfinished upload not written to for this long is removed by `store.deleteExpired()`. */
  expirationMs: number;
}

/** A tus data store, the id prefix that places uploads where they belong, and a reader of finished ones. */
export interface ResumableStore {
  store: DataStore;
  /** Prepended to upload ids in the store (`.tus/` on S3, '' on disk). */
  idPrefix: string;
  /** The bytes of a finished upload (by its id in the store, prefix included). */
  read(id: string): Promise<Readable>;
}

export interface WriteFileOptions {
  /** Stored with the object where the engine can (S3 Content-Type); the metadata is authoritative. */
  contentType?: string;
}

export interface ReadFileOptions {
  /** Inclusive byte offsets, `start <= end`. */
  range?: { start: number; end: number };
}

export interface FileStat {
  size: number;
  modifiedAt: Date;
}

/** `a/b.c-d`: segments start with a letter, digit, `_` or `-`, and contain no `/` or `..`. */
export const KEY_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}(\/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}){0,7}$/;

/** Throws `invalid_request` unless `key` is a well-formed store key (see KEY_PATTERN). */
export function assertFileKey(key: string): void {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key) || key.includes('..')) {
    throw invalidRequest('The file key is not valid.');
  }
}

/** Throws `invalid_request` unless `prefix` is empty or could start a well-formed key. */
export function assertKeyPrefix(prefix: string): void {
  if (
    typeof prefix !== 'string' ||
    !/^[A-Za-z0-9_./-]*$/.test(prefix) ||
    prefix.includes('..') ||
    prefix.startsWith('/')
  ) {
    throw invalidRequest('The key prefix is not valid.');
  }
}

/** Throws `invalid_request` for a range that is not `0 <= start <= end`. */
export function assertRange(range: ReadFileOptions['range']): void {
  if (!range) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw invalidRequest('The byte range is not valid.');
  }
}
