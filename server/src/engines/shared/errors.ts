import { HearthError, invalidRequest, notFound } from '../../errors.js';
import { ID_PATTERN, NAME_PATTERN } from '../../lib/ids.js';
import type { BatchRequirement, StoredDocument, WriteOptions } from '../../ports/document-store.js';

/**
 * The port's errors, raised the same way by every engine, and the one answer each kind of bad
 * name or id gets (the contract in ports/document-store.ts):
 * - a collection name that is not NAME_PATTERN → `invalid_request`, on every call;
 * - a document id that is not ID_PATTERN cannot name a stored document: `get` misses (null),
 *   `update` / `replace` / `delete` (alone or in a batch) are `not_found`, exactly as for an id
 *   that is well formed but absent; only `create` with such an id is `invalid_request` (it
 *   would make a document that could never be addressed).
 * Bad input never reaches a provider: these checks run before any query is built.
 */

export function assertCollectionName(collection: string): void {
  if (typeof collection !== 'string' || !NAME_PATTERN.test(collection)) {
    throw invalidRequest('The collection name is invalid.', { collection: String(collection).slice(0, 80) });
  }
}

/** Whether `id` can name a stored document at all (ID_PATTERN). */
export const isDocumentId = (id: unknown): id is string => typeof id === 'string' && ID_PATTERN.test(id);

/** For a new document's id: a malformed one is `invalid_request`. */
export function assertNewId(id: string): void {
  if (!isDocumentId(id)) throw invalidRequest('The id is invalid.', { id: String(id).slice(0, 80) });
}

/** For a write by id: an id that cannot exist is `not_found`, like any missing document. */
export function assertTargetId(collection: string, id: string): void {
  if (!isDocumentId(id)) throw documentNotFound({ collection, id });
}

export const documentNotFound = ({ collection, id }: { collection: string; id: string }) =>
  notFound('The document does not exist.', { collection, id: String(id).slice(0, 80) });

export const versionConflict = ({ expected, actual }: { expected: number; actual: number }) =>
  new HearthError('conflict', 'The document was changed by someone else (version mismatch).', {
    reason: 'version',
    expected,
    actual,
  });

/** The `expectedVersion` precondition of a write, checked against the stored document. */
export function assertExpectedVersion(options: WriteOptions, stored: StoredDocument): void {
  if (options.expectedVersion !== undefined && options.expectedVersion !== stored.version) {
    throw versionConflict({ expected: options.expectedVersion, actual: stored.version });
  }
}

/** The conflict a batch fails with when one of its requirements does not hold. */
export const requirementFailed = (requirement: BatchRequirement) =>
  new HearthError('conflict', requirement.message, { reason: 'precondition', ...(requirement.details ?? {}) });
