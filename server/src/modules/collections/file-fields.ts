import type { Logger } from 'pino';
import { where } from '../../lib/filter/build.js';
import type { DocumentStore } from '../../ports/document-store.js';
import type { Caller } from './access.js';
import type { CompiledCollection } from './collection.compile.js';
import type { DocumentEvents } from './events.js';
import { isFileField, type FILE_ON_DELETE } from './file-fields.def.js';
import type { CollectionRegistry } from './registry.js';
import { newFieldErrors, validationFailed, type FieldErrors } from './validate.js';

/**
 * `file` fields (and arrays of them): the value is the id of a file of the same app.
 * - On write, every id must name a file the caller may attach: one that exists in this app and
 *   that the caller owns or that is public; a secret key or an admin may attach any file of the
 *   app. Any other id (missing, another user's private file, another app's) is the same
 *   `validation_failed` "refers to a missing file", so file ids cannot be probed.
 * - `onDelete`: `keep` (default: the file stays; it may be shared) or `cascade` (deleting the
 *   document deletes the files it references, also when the delete is itself a cascade), except
 *   a file another document of the app still names in any of its `file` fields (any collection).
 * The files module provides the checks (`FileReferences`, registered with `use`): collections
 * knows nothing of how files are stored. Without one, only the id's shape is checked.
 */
export interface FileFieldInfo {
  field: string;
  many: boolean;
  onDelete: (typeof FILE_ON_DELETE)[number];
}

export interface FileReferences {
  /** The ids among `ids` that `caller` may not attach in `appId` (missing, not theirs and not public). */
  refused(appId: string, caller: { privileged: boolean; userId: string | null }, ids: string[]): Promise<Set<string>>;
  /**
   * Deletes these files of the app (the ones that exist) that `owner` owns: a document may name a
   * public file of another user, and deleting the document must not delete that user's file.
   */
  remove(appId: string, ids: string[], owner: string | null): Promise<void>;
  /**
   * `expand` of file fields: the files among `ids` the caller may read, as the client sees them
   * (metadata and a URL); absent ids expand to null.
   */
  describe?(
    appId: string,
    caller: { privileged: boolean; userId: string | null; scopes: readonly string[] },
    ids: string[],
  ): Promise<Map<string, Record<string, unknown>>>;
}

export function fileFieldsOf(col: Pick<CompiledCollection, 'fields'>): FileFieldInfo[] {
  const out: FileFieldInfo[] = [];
  for (const f of col.fields.values()) {
    if (!isFileField(f)) continue;
    out.push({ field: f.name, many: f.type === 'array', onDelete: f.onDelete === 'cascade' ? 'cascade' : 'keep' });
  }
  return out;
}

const idsIn = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.filter((v): v is string => typeof v === 'string')
      : [];

export class FileFields {
  private refs: FileReferences | null = null;

  /** The files module registers its checks here. */
  use(refs: FileReferences): void {
    this.refs = refs;
  }

  /** Checks the file fields present in `data` name files the caller may attach. */
  async assertAttachable(col: CompiledCollection, data: Record<string, unknown>, caller: Caller): Promise<void> {
    const refs = this.refs;
    if (!refs) return;
    const fields = fileFieldsOf(col).filter((f) => Object.hasOwn(data, f.field));
    const ids = [...new Set(fields.flatMap((f) => idsIn(data[f.field])))];
    if (ids.length === 0) return;
    const refused = await refs.refused(
      caller.appId,
      { privileged: caller.privileged, userId: caller.user?.id ?? null },
      ids,
    );
    if (refused.size === 0) return;
    const errors: FieldErrors = newFieldErrors();
    for (const f of fields) {
      const value = data[f.field];
      if (f.many) {
        idsIn(value).forEach((id, i) => {
          if (refused.has(id)) errors[`${f.field}.${i}`] = 'refers to a missing file';
        });
      } else if (typeof value === 'string' && refused.has(value)) {
        errors[f.field] = 'refers to a missing file';
      }
    }
    throw validationFailed(errors);
  }

  /** Deletes the files of `onDelete: cascade` fields when their document is deleted. */
  /** The expansions of file ids (file-references in the files module); empty without one. */
  async describe(caller: Caller, ids: string[]): Promise<Map<string, Record<string, unknown>>> {
    if (!this.refs?.describe || ids.length === 0) return new Map();
    return this.refs.describe(
      caller.appId,
      { privileged: caller.privileged, userId: caller.user?.id ?? null, scopes: caller.scopes },
      ids,
    );
  }

  cascadeOnDelete(deps: {
    events: DocumentEvents;
    registry: CollectionRegistry;
    logger: Logger;
    /** To find other documents that still name a file (they keep it). */
    store?: DocumentStore;
  }): void {
    deps.events.on('documents.delete', (event) => {
      const refs = this.refs;
      const before = event.before;
      if (!refs || !before) return;
      void (async () => {
        const col = await deps.registry.get(event.appId, event.collection);
        if (!col) return;
        const ids = fileFieldsOf(col)
          .filter((f) => f.onDelete === 'cascade')
          .flatMap((f) => idsIn(before[f.field]));
        if (ids.length === 0) return;
        const named = deps.store ? await stillNamed(deps.store, deps.registry, event.appId, ids) : new Set<string>();
        const gone = [...new Set(ids)].filter((id) => !named.has(id));
        if (gone.length) await refs.remove(event.appId, gone, before.owner);
      })().catch((err: unknown) =>
        deps.logger.warn({ err, collection: event.collection }, 'collections: deleting cascaded files failed'),
      );
    });
  }
}

/** The ids among `ids` that some document of the app names in a `file` field (the deleted one is gone already). */
async function stillNamed(
  store: DocumentStore,
  registry: CollectionRegistry,
  appId: string,
  ids: string[],
): Promise<Set<string>> {
  const named = new Set<string>();
  const app = store.forApp(appId);
  for (const col of await registry.list(appId)) {
    for (const f of fileFieldsOf(col)) {
      let left = ids.filter((id) => !named.has(id));
      while (left.length) {
        const page = await app.find(col.name, { filter: where.in(f.field, left), fields: [f.field], limit: 1000 });
        for (const d of page.items) for (const id of idsIn(d[f.field])) if (left.includes(id)) named.add(id);
        if (page.items.length < 1000) break;
        left = ids.filter((id) => !named.has(id));
      }
    }
  }
  return named;
}
