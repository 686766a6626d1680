import type { StoredDocument } from '../../ports/document-store.js';
import type { FileView } from './files.schema.js';

/** The collection of each app's store that holds its files' metadata. */
export const FILES = '_files';

export function toView(doc: StoredDocument): FileView {
  return {
    id: doc.id,
    name: String(doc.name),
    size: Number(doc.size),
    type: String(doc.type),
    sha256: String(doc.sha256),
    public: doc.public === true,
    owner: doc.owner,
    createdAt: doc.createdAt,
  };
}
