import { errors, notFound, reasonError, type HearthError } from '../../errors.js';

/**
 * The errors the collections module raises in more than one place, each worded once (the codes
 * and reasons are rows of the one table in src/errors.ts).
 */
export const collectionErrors = {
  /** A missing document, or one the caller may not see: the answers are the same. */
  noSuchDocument: (): HearthError => notFound('No such document.'),
  noSuchCollection: (name?: string): HearthError =>
    notFound('No such collection.', name === undefined ? undefined : { collection: name.slice(0, 64) }),
  collectionExists: (name: string): HearthError =>
    reasonError('conflict', 'exists', 'A collection with this name exists.', { name }),
  /** If-Match named another version than the stored one. */
  changedSinceRead: (what: 'document' | 'collection', expected: number, actual: number): HearthError =>
    errors.versionConflict(`The ${what} changed since you read it.`, { expected, actual }),
  /** A collection rule refuses the caller (reads) or the content (writes). */
  ruleDenied: (message: string): HearthError => reasonError('forbidden', 'rule_denied', message),
  listDenied: (): HearthError =>
    reasonError('forbidden', 'rule_denied', 'The list rule of this collection does not allow you to read it.'),
} as const;
