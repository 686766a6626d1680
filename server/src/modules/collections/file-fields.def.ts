import type { FieldDef } from './collection.schema.js';
import type { FieldErrors } from './validate.js';

/** What deleting a document does to the files its `file` fields name (see file-fields.ts). */
export const FILE_ON_DELETE = ['cascade', 'keep'] as const;

export const isFileField = (f: Pick<FieldDef, 'type' | 'of'>): boolean =>
  f.type === 'file' || (f.type === 'array' && f.of?.type === 'file');

/** Schema checks of a file field's `onDelete` (collection.compile.ts calls it per field). */
export function checkFileOnDelete(field: FieldDef, at: string, errors: FieldErrors): void {
  if (field.onDelete === undefined || !isFileField(field)) return;
  if (!(FILE_ON_DELETE as readonly string[]).includes(field.onDelete)) {
    errors[`${at}.onDelete`] = 'is cascade or keep for file fields';
  }
}
