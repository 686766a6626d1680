import { HearthError } from '../../errors.js';
import { getPath } from '../../lib/filter/compare.js';
import type { IndexSpec } from '../../ports/document-store.js';

/**
 * Unique violations, the same on every engine: `conflict {reason: 'unique', index, fields, ids}`
 * where `ids` are (up to MAX_CLASHING_IDS of) the stored documents the value clashes with.
 * Unique indexes skip documents where an indexed field is missing or null, so those never clash.
 */

type RegularIndex = Extract<IndexSpec, { kind: 'regular' }>;

/** At most this many clashing ids are reported (engines ask their database for no more). */
export const MAX_CLASHING_IDS = 20;

export const duplicateId = (collection: string, id: string) =>
  new HearthError('conflict', 'A document with this id already exists.', {
    reason: 'unique',
    index: 'id',
    fields: ['id'],
    ids: [id],
    collection,
  });

/** A unique violation: the index, its fields and the stored documents the value clashes with. */
export const uniqueConflict = ({
  collection,
  index,
  ids,
}: {
  collection: string;
  index: RegularIndex;
  ids: string[];
}) =>
  new HearthError('conflict', `The value must be unique (index "${index.name}").`, {
    reason: 'unique',
    index: index.name,
    fields: index.fields.map((f) => f.path),
    ids: ids.slice(0, MAX_CLASHING_IDS),
    collection,
  });

/** A document's values for the index's fields, or null when one is missing or null (it clashes with nothing). */
export function uniqueKeyValues(doc: Record<string, unknown>, index: RegularIndex): unknown[] | null {
  const values = index.fields.map(({ path }) => getPath(doc, path));
  return values.some((v) => v === undefined || v === null) ? null : values;
}
