import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { isHearthError } from '../../errors.js';
import { backupInvalid, MAX_JSON_ENTRY, parseEntryName, type EntryName } from './format.js';

export interface ArchiveEntry {
  name: EntryName;
  /** The entry's path in the archive. */
  path: string;
  size: number;
  /** The entry's bytes (read each entry fully, or call `skip`, before asking for the next). */
  body: AsyncIterable<Buffer>;
  /** The entry parsed as one JSON value. */
  json(): Promise<unknown>;
  /** The entry parsed as JSON lines. */
  lines(): Promise<unknown[]>;
}

const corrupt = (cause: unknown) => {
  const e = backupInvalid('The archive is corrupt or truncated (not a whole gzip-compressed tar).');
  (e as { cause?: unknown }).cause = cause;
  return e;
};

/**
 * The archive's entries in order, each checked (format.ts): only regular files with names the
 * format has, JSON entries at most MAX_JSON_ENTRY. Any gzip or tar error (a corrupt or cut
 * stream) is `backup_invalid`; so is an archive that ends without entries.
 */
export async function* readArchive(source: Readable): AsyncGenerator<ArchiveEntry> {
  const gunzip = createGunzip();
  const extract = tar.extract();
  source.on('error', (e) => gunzip.destroy(e));
  gunzip.on('error', (e) => extract.destroy(e));
  source.pipe(gunzip).pipe(extract);
  const entries = extract[Symbol.asyncIterator]();
  try {
    for (;;) {
      let step: IteratorResult<tar.Entry>;
      try {
        step = await entries.next();
      } catch (e) {
        throw isHearthError(e) ? e : corrupt(e);
      }
      if (step.done) return;
      const entry = step.value;
      const { header } = entry;
      if (header.type !== 'file') {
        throw backupInvalid('The archive holds an entry that is not a regular file.', {
          entry: header.name.slice(0, 200),
        });
      }
      const name = parseEntryName(header.name);
      const size = header.size ?? 0;
      const body = guarded(entry as unknown as AsyncIterable<Buffer>);
      const text = async () => {
        if (size > MAX_JSON_ENTRY) throw backupInvalid('An entry of the archive is too large.', { entry: header.name });
        const chunks: Buffer[] = [];
        for await (const chunk of body) chunks.push(chunk);
        return Buffer.concat(chunks).toString('utf8');
      };
      yield {
        name,
        path: header.name,
        size,
        body,
        json: async () => parseJson(await text(), header.name),
        lines: async () =>
          (await text())
            .split('\n')
            .filter((l) => l.length > 0)
            .map((l) => parseJson(l, header.name)),
      };
      // Whatever the consumer left unread of this entry is drained before the next header.
      for await (const _ of body) void _;
    }
  } finally {
    extract.destroy();
    source.unpipe();
    gunzip.destroy();
  }
}

async function* guarded(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = body[Symbol.asyncIterator]();
  for (;;) {
    let step: IteratorResult<Buffer>;
    try {
      step = await it.next();
    } catch (e) {
      throw corrupt(e);
    }
    if (step.done) return;
    yield step.value;
  }
}

function parseJson(text: string, entry: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw backupInvalid('An entry of the archive is not valid JSON.', { entry });
  }
}
