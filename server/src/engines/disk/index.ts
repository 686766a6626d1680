import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync, type Dirent } from 'node:fs';
import { access, constants, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HearthError, invalidRequest, notFound, unavailable } from '../../errors.js';
import {
  assertFileKey,
  assertKeyPrefix,
  assertRange,
  type FileStat,
  type FileStore,
  type ReadFileOptions,
} from '../../ports/file-store.js';

/**
 * The embedded file store: one file per key under `root` (DATA_DIR/files by default). Keys are
 * checked against the port's KEY_PATTERN before they become paths, so a key can only name a file
 * below `root` (no `..`, no absolute path, no NUL). A write goes to `root/.tmp/<random>`, is
 * fsynced, then renamed into place (and the directory fsynced), so a reader sees the old object
 * or the complete new one, never a partial file; a failed write removes its temporary file.
 */
const TMP = '.tmp';
/** Unfinished resumable uploads (tus), outside every key: keys never start with `.`. */
const TUS = '.tus';

export interface DiskFileStoreOptions {
  root: string;
}

export function createDiskFileStore(options: DiskFileStoreOptions): FileStore {
  const root = resolve(options.root);
  mkdirSync(join(root, TMP), { recursive: true });
  // Temporary files left by a crash mid-write are never visible; clear them at start.
  for (const name of readdirSync(join(root, TMP))) rmSync(join(root, TMP, name), { force: true });

  const pathOf = (key: string): string => {
    assertFileKey(key);
    const path = join(root, ...key.split('/'));
    if (!path.startsWith(root + sep)) throw invalidRequest('The file key is not valid.');
    return path;
  };

  return {
    engine: 'disk',

    async write(key, body) {
      const target = pathOf(key);
      const tmp = join(root, TMP, randomBytes(12).toString('hex'));
      // The input's own error (an upload refused or aborted mid-way) is the caller's to report.
      let inputError: unknown;
      body.once('error', (e) => (inputError ??= e));
      try {
        // `flush`: fsync before the descriptor closes, so the renamed file's bytes are on disk.
        const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600, flush: true });
        await pipeline(body, out);
        await mkdir(dirname(target), { recursive: true });
        await rename(tmp, target);
        await syncDir(dirname(target));
        return { size: out.bytesWritten };
      } catch (e) {
        await rm(tmp, { force: true }).catch(() => undefined);
        throw inputError ?? ioError(e);
      }
    },

    async read(key, options: ReadFileOptions = {}) {
      const path = pathOf(key);
      assertRange(options.range);
      const handle = await open(path, 'r').catch((e: unknown) => {
        throw ioError(e);
      });
      const { size } = await handle.stat();
      if (options.range && options.range.start >= size) {
        await handle.close();
        throw invalidRequest('The byte range starts past the end of the file.');
      }
      return createReadStream('', {
        fd: handle,
        ...(options.range ? { start: options.range.start, end: Math.min(options.range.end, size - 1) } : {}),
      }) as Readable;
    },

    async stat(key) {
      try {
        const s = await stat(pathOf(key));
        return s.isFile() ? { size: s.size, modifiedAt: s.mtime } : null;
      } catch (e) {
        if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) return null;
        throw ioError(e);
      }
    },

    async delete(key) {
      await rm(pathOf(key), { force: true }).catch((e: unknown) => {
        throw ioError(e);
      });
    },

    async *list(prefix) {
      assertKeyPrefix(prefix);
      // Walk only the directory the prefix's complete segments name.
      const parts = prefix.split('/');
      const base = parts.slice(0, -1);
      for await (const entry of walk(join(root, ...base), base.join('/'))) {
        if (entry.key.startsWith(prefix)) yield entry;
      }
    },

    async resumable(resumableOptions) {
      const { FileStore } = await import('@tus/file-store');
      const directory = join(root, TUS);
      await mkdir(directory, { recursive: true });
      const store = new FileStore({ directory, expirationPeriodInMilliseconds: resumableOptions.expirationMs });
      return { store, idPrefix: '', read: async (id) => store.read(id) };
    },

    async ping() {
      try {
        await access(join(root, TMP), constants.W_OK);
      } catch (e) {
        throw unavailable('The file storage directory is not writable.', e);
      }
    },

    async close() {},
  };
}

async function* walk(dir: string, keyPrefix: string): AsyncGenerator<FileStat & { key: string }> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) return;
    throw ioError(e);
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.') && keyPrefix === '') continue; // .tmp, .tus: never keys
    const key = keyPrefix ? `${keyPrefix}/${entry.name}` : entry.name;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path, key);
    else if (entry.isFile()) {
      const s = await stat(path).catch(() => null);
      if (s) yield { key, size: s.size, modifiedAt: s.mtime };
    }
  }
}

/** fsync a directory so a rename into it survives a crash (best effort where unsupported). */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // some filesystems refuse fsync on directories
  } finally {
    await handle.close();
  }
}

function isCode(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/** Our errors pass through; file system errors become the port's (the text stays in `cause`). */
function ioError(e: unknown): unknown {
  if (e instanceof HearthError) return e;
  if (isCode(e, 'ENOENT') || isCode(e, 'ENOTDIR')) return notFound('No such file.');
  return unavailable('The file storage failed to read or write.', e);
}
