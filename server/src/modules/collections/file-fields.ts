import type { Logger } from 'pino';
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
 *   document deletes the files it references, also when the delete is itself a cascade).
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
  cascadeOnDelete(deps: { events: DocumentEvents; registry: CollectionRegistry; logger: Logger }): void {
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
        if (ids.length) await refs.remove(event.appId, [...new Set(ids)], before.owner);
      })().catch((err: unknown) =>
        deps.logger.warn({ err, collection: event.collection }, 'collections: deleting cascaded files failed'),
      );
    });
  }
}
