import { z } from 'zod';
import { reasonError } from '../../errors.js';
import { NAME_PATTERN } from '../../lib/ids.js';
import { KEY_PATTERN } from '../../ports/file-store.js';

/**
 * The backup archive, format version 1: a gzip-compressed tar (ustar, via tar-stream) whose
 * entries come in this order, each a regular file:
 *
 *   manifest.json                         what this is (format, version, source, counts)
 *   app.json                              the app's name, settings and channel rules
 *   schemas.ndjson                        the collection definitions (rules, fields, indexes), one a line
 *   collections/<name>/indexes.json       the collection's indexes (IndexSpec[]), before its documents
 *   collections/<name>/<000001>.ndjson    its stored documents as they are (ids, times, owner,
 *                                         version), at most PART_DOCUMENTS a part
 *   files/<fileId>[.<variant>]            each stored object of the app (bytes as stored)
 *   end.json                              the counts of all of the above (last: a cut archive has none)
 *
 * File metadata lives in the `_files` collection; users (with their password hashes), webhooks,
 * schedules, push installations and credentials (still sealed) are collections of the app too.
 * Left out: sessions and one-time tokens (everyone signs in again), unfinished resumable uploads,
 * signing key ids (the new app makes its own, so no token of the old app opens the new one), and
 * webhook outbox records (events of the old app in flight: the new app must not send them again).
 *
 * A reader refuses (invalid_request `backup_format_newer`) a format version above its own, and
 * (`backup_invalid`) anything else that is not exactly this: another first entry, an entry that is
 * not a regular file, a name outside these patterns (so no `..`, absolute path or link can name
 * a place outside the restore), a corrupt or truncated gzip or tar stream, counts that do not
 * match `end.json`, no `end.json` at the end.
 *
 * A backup reads a live app: it is not a snapshot (a document written while it runs may or may
 * not be in it), but every entry is whole and `end.json` counts exactly what was written.
 */
export const FORMAT = 'hearth-backup';
export const FORMAT_VERSION = 1;
export const PART_DOCUMENTS = 1000;
/** The largest JSON entry a reader accepts into memory (a part of 1000 documents fits easily). */
export const MAX_JSON_ENTRY = 64 * 1024 * 1024;

/** Collections of an app that are not backed up (see above). */
export const EXCLUDED_COLLECTIONS = [
  '_sessions',
  '_auth_tokens',
  '_uploads',
  '_signing_keys',
  '_webhook_outbox',
  '_webhook_outbox_events',
] as const;

export const manifestSchema = z.object({
  format: z.literal(FORMAT),
  formatVersion: z.number().int().positive(),
  createdAt: z.string(),
  hearthVersion: z.string(),
  source: z.object({
    appId: z.string(),
    name: z.string(),
    storeEngine: z.string(),
    fileEngine: z.string(),
  }),
  excluded: z.array(z.string()),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** The last entry: what the archive holds, so a reader knows it got all of it. */
export const endSchema = z.object({
  collections: z.array(z.object({ name: z.string().regex(NAME_PATTERN), documents: z.number().int().nonnegative() })),
  files: z.object({ count: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() }),
  schemas: z.number().int().nonnegative(),
});
export type ArchiveCounts = z.infer<typeof endSchema>;

export const appEntrySchema = z.object({
  name: z.string().min(1),
  settings: z.record(z.string(), z.unknown()),
  channelRules: z.unknown(),
});
export type AppEntry = z.infer<typeof appEntrySchema>;

export type EntryName =
  | { kind: 'manifest' }
  | { kind: 'app' }
  | { kind: 'schemas' }
  | { kind: 'indexes'; collection: string }
  | { kind: 'documents'; collection: string; part: number }
  | { kind: 'file'; rest: string }
  | { kind: 'end' };

export const partName = (collection: string, part: number): string =>
  `collections/${collection}/${String(part).padStart(6, '0')}.ndjson`;

/** What an entry name means, or a `backup_invalid` error for any name this format does not have. */
export function parseEntryName(name: string): EntryName {
  if (name === 'manifest.json') return { kind: 'manifest' };
  if (name === 'app.json') return { kind: 'app' };
  if (name === 'schemas.ndjson') return { kind: 'schemas' };
  if (name === 'end.json') return { kind: 'end' };
  const col = /^collections\/([^/]+)\/(indexes\.json|(\d{6})\.ndjson)$/.exec(name);
  if (col && NAME_PATTERN.test(col[1]!)) {
    return col[3]
      ? { kind: 'documents', collection: col[1]!, part: Number(col[3]) }
      : { kind: 'indexes', collection: col[1]! };
  }
  if (name.startsWith('files/')) {
    const rest = name.slice('files/'.length);
    // One segment under the app's prefix, as the file store's keys have (`<appId>/<fileId>…`).
    if (!rest.includes('/') && KEY_PATTERN.test(rest) && !rest.includes('..')) return { kind: 'file', rest };
  }
  throw backupInvalid('The archive holds an entry this format does not have.', { entry: name.slice(0, 200) });
}

export const backupInvalid = (message: string, details: Record<string, unknown> = {}) =>
  reasonError('invalid_request', 'backup_invalid', message, details);

/** The manifest, checked: a newer format version is refused by name before anything else. */
export function checkManifest(raw: unknown): Manifest {
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (
    (raw as { format?: unknown } | null)?.format === FORMAT &&
    typeof version === 'number' &&
    version > FORMAT_VERSION
  ) {
    throw reasonError(
      'invalid_request',
      'backup_format_newer',
      `The archive has backup format version ${version}; this server reads up to version ${FORMAT_VERSION}. Restore it with a newer Hearth.`,
      { formatVersion: version, supported: FORMAT_VERSION },
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw backupInvalid('The archive has no valid Hearth backup manifest.');
  return parsed.data;
}
