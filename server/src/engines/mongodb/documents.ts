import type { Document } from 'mongodb';
import type { RawDoc } from './catalog.js';
import type { StoredDocument } from '../../ports/document-store.js';
import { portKey, storedKey } from './paths.js';

/**
 * Port document ↔ stored MongoDB document: `id` is `_id`, everything else is a field of the same
 * name (see paths.ts for the one escape). Field order is kept both ways.
 */
export function toStored(doc: StoredDocument): RawDoc {
  const out: RawDoc = { _id: doc.id };
  for (const [key, value] of Object.entries(doc)) {
    if (key !== 'id') out[storedKey(key)] = value;
  }
  return out;
}

/** A stored document (possibly projected) → the port's shape. */
export function fromStored(raw: Document): StoredDocument {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key !== '_id') out[portKey(key)] = value;
  }
  return { ...out, id: String(raw._id) } as StoredDocument;
}
