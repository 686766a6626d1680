import { Readable } from 'node:stream';
import { isError } from '../../errors.js';
import type { IndexSpec, StoredDocument } from '../../ports/document-store.js';
import { readArchive, type ArchiveEntry } from './archive-read.js';
import type { BackupDeps } from './backups.deps.js';
import {
  appEntrySchema,
  backupInvalid,
  checkManifest,
  endSchema,
  type AppEntry,
  type ArchiveCounts,
  type Manifest,
} from './format.js';

export interface RestoreProgress {
  phase: 'documents' | 'files' | 'done';
  done: number;
}

export interface RestoreResult {
  appId: string;
  /** The new app's public key (its secret key was never shown: create one on the Keys page). */
  publicKey: string;
  counts: ArchiveCounts;
  /**
   * Sealed values (push credentials, webhook signing secrets) that could not be moved to the new
   * app because this server's secret does not open them (the archive came from a server with
   * another HEARTH_SECRET): they are restored as they were and stay unusable until set again.
   */
  unreadableSecrets: { pushCredentials: string[]; webhooks: string[] };
  manifest: Manifest;
}

/** Reads the first entry and checks it: a newer format version or a non-backup is refused. */
export async function peekManifest(source: Readable): Promise<Manifest> {
  const entries = readArchive(source);
  try {
    const first = await entries.next();
    if (first.done || first.value.name.kind !== 'manifest') {
      throw backupInvalid('The archive does not start with a Hearth backup manifest.');
    }
    return checkManifest(await first.value.json());
  } finally {
    await entries.return(undefined);
    source.destroy();
  }
}

/**
 * Restores an archive into a new app: the manifest and app entries first (checked before the app
 * is made), then schemas, indexes, documents (exactly as stored: ids, times, owners, versions)
 * and file bytes. Sealed values bound to the old app id are re-sealed for the new one when this
 * server's secret opens them. On any failure the new app is removed again and the error thrown.
 */
export async function restoreArchive(options: {
  deps: BackupDeps;
  source: Readable;
  name?: string | undefined;
  adminId: string | null;
  /** Called with the new app's id as soon as it exists (so a retried job can remove it). */
  onApp(appId: string): Promise<void>;
  progress(p: RestoreProgress): void;
}): Promise<RestoreResult> {
  const { deps } = options;
  const entries = readArchive(options.source);
  const next = async (): Promise<ArchiveEntry> => {
    const step = await entries.next();
    if (step.done) throw backupInvalid('The archive ends before its end entry (truncated).');
    return step.value;
  };
  let appId: string | null = null;
  try {
    const first = await next();
    if (first.name.kind !== 'manifest')
      throw backupInvalid('The archive does not start with a Hearth backup manifest.');
    const manifest = checkManifest(await first.json());
    const second = await next();
    const parsedApp = second.name.kind === 'app' ? appEntrySchema.safeParse(await second.json()) : null;
    if (!parsedApp?.success) throw backupInvalid('The archive has no valid app entry after its manifest.');
    const appEntry: AppEntry = parsedApp.data;

    const created = await deps.apps.services.apps.create(
      { name: (options.name ?? appEntry.name).slice(0, 100), settings: appEntry.settings },
      { adminId: options.adminId },
    );
    appId = created.id;
    await options.onApp(appId);
    const target = deps.store.forApp(appId);
    const from = manifest.source.appId;
    const seen: ArchiveCounts = { collections: [], files: { count: 0, bytes: 0 }, schemas: 0 };
    const unreadable: RestoreResult['unreadableSecrets'] = { pushCredentials: [], webhooks: [] };
    const documentsOf = new Map<string, number>();
    let done = 0;
    let end: ArchiveCounts | null = null;

    for (;;) {
      const entry = await next();
      const kind = entry.name.kind;
      if (kind === 'end') {
        const parsed = endSchema.safeParse(await entry.json());
        if (!parsed.success) throw backupInvalid('The archive has an invalid end entry.');
        end = parsed.data;
        break;
      }
      if (entry.name.kind === 'schemas') {
        const docs = (await entry.lines()) as StoredDocument[];
        const moved = docs.map((d) => ({ ...d, id: deps.schemaDocId(appId!, String(d.name)), appId: appId! }));
        await deps.system.importDocuments(deps.schemasCollection, moved);
        seen.schemas += docs.length;
      } else if (entry.name.kind === 'indexes') {
        const specs = (await entry.json()) as IndexSpec[];
        if (!Array.isArray(specs)) throw backupInvalid('An index entry of the archive is not a list.');
        for (const spec of specs) await target.ensureIndex(entry.name.collection, spec);
        if (!documentsOf.has(entry.name.collection)) documentsOf.set(entry.name.collection, 0);
      } else if (entry.name.kind === 'documents') {
        const collection = entry.name.collection;
        const docs = (await entry.lines()) as StoredDocument[];
        const moved = docs.map((d) => reseal({ deps, collection, doc: d, from, to: appId!, unreadable }));
        await target.importDocuments(collection, moved);
        documentsOf.set(collection, (documentsOf.get(collection) ?? 0) + docs.length);
        done += docs.length;
        options.progress({ phase: 'documents', done });
      } else if (entry.name.kind === 'file') {
        const { size } = await deps.files.write(`${appId}/${entry.name.rest}`, Readable.from(entry.body));
        if (size !== entry.size) throw backupInvalid('A file of the archive is truncated.', { entry: entry.path });
        seen.files.count += 1;
        seen.files.bytes += size;
        done += 1;
        if (done % 50 === 0) options.progress({ phase: 'files', done });
      } else {
        throw backupInvalid('The archive holds an entry out of place.', { entry: entry.path });
      }
    }
    if ((await entries.next()).done !== true) throw backupInvalid('The archive holds entries after its end entry.');
    seen.collections = [...documentsOf].map(([name, documents]) => ({ name, documents }));
    if (!sameCounts(seen, end)) {
      throw backupInvalid('The archive does not hold what its end entry counts (truncated or altered).');
    }
    const rules = appEntry.channelRules as { rules?: unknown[] } | null;
    if (rules && Array.isArray(rules.rules) && rules.rules.length > 0) {
      await deps.realtime.services.channels.set(appId, rules as never);
    }
    deps.collections.services.registry.invalidate(appId);
    await deps.webhooks.services.schedules.resync(appId);
    options.progress({ phase: 'done', done });
    return { appId, publicKey: created.keys.public, counts: end, unreadableSecrets: unreadable, manifest };
  } catch (caught) {
    // The store's invalid_request (a malformed document, index or schema in the archive) is the archive's fault.
    const reason = isError(caught, 'invalid_request') ? caught.details?.reason : undefined;
    const e =
      isError(caught, 'invalid_request') && reason !== 'backup_invalid' && reason !== 'backup_format_newer'
        ? backupInvalid('The archive holds a record this server cannot store (malformed document, index or schema).')
        : caught;
    if (appId) {
      await deps.apps.services.apps.remove(appId, { adminId: options.adminId }).catch((err: unknown) => {
        deps.logger.error({ err, appId }, 'backups: removing a failed restore’s app failed');
      });
    }
    throw e;
  } finally {
    await entries.return(undefined);
    options.source.destroy();
  }
}

function sameCounts(seen: ArchiveCounts, end: ArchiveCounts): boolean {
  const byName = (c: ArchiveCounts) =>
    JSON.stringify([...c.collections].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  return (
    seen.schemas === end.schemas &&
    seen.files.count === end.files.count &&
    seen.files.bytes === end.files.bytes &&
    byName(seen) === byName(end)
  );
}

/** Push credentials and webhook secrets are sealed with the app id bound in: move them to the new app. */
function reseal(input: {
  deps: BackupDeps;
  collection: string;
  doc: StoredDocument;
  from: string;
  to: string;
  unreadable: RestoreResult['unreadableSecrets'];
}): StoredDocument {
  const { deps, collection, doc, from, to, unreadable } = input;
  if (collection === '_push_credentials' && typeof doc.sealed === 'string') {
    try {
      return { ...doc, sealed: deps.pushBox.seal(to, deps.pushBox.open(from, doc.sealed)) };
    } catch {
      unreadable.pushCredentials.push(doc.id);
      return doc;
    }
  }
  if (collection === '_webhooks' && typeof doc.secretSealed === 'string') {
    const plain = deps.webhookBox.open(doc.secretSealed, { appId: from, webhookId: doc.id });
    if (plain === null) {
      unreadable.webhooks.push(doc.id);
      return doc;
    }
    return { ...doc, secretSealed: deps.webhookBox.seal(plain, { appId: to, webhookId: doc.id }) };
  }
  return doc;
}
