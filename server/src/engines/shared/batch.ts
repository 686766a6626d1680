import { invalidRequest } from '../../errors.js';
import type { BatchOp, BatchRequirement, StoredDocument, WriteOptions } from '../../ports/document-store.js';
import { changeOf, newDocument } from './documents.js';
import { assertCollectionName, assertTargetId } from './errors.js';

/**
 * A batch checked and turned into steps before anything is written, the same on every engine:
 * unknown ops and bad collection names are `invalid_request`, an id that cannot exist is
 * `not_found` (errors.ts), new documents are built (and their data checked) here. Each engine
 * then applies the steps under its own all-or-nothing (a SQLite transaction; a MongoDB
 * transaction or compensation) with the same two primitives it uses for single writes.
 */
export type BatchStep = { op: 'create'; collection: string; doc: StoredDocument } | ({ op: 'write' } & WriteStep);

/** One document's write by id (alone or in a batch). */
export interface WriteStep {
  collection: string;
  id: string;
  /** `where` and `expectedVersion`, checked against the stored document at the write. */
  options: WriteOptions;
  /** The new document, or null to delete the stored one. */
  change: (stored: StoredDocument) => StoredDocument | null;
}

const OPS = new Set(['create', 'update', 'replace', 'delete']);

export function prepareBatch({
  ops,
  requirements = [],
  now,
}: {
  ops: BatchOp[];
  requirements?: BatchRequirement[] | undefined;
  now: () => string;
}): { steps: BatchStep[]; requirements: BatchRequirement[] } {
  if (!Array.isArray(ops)) throw invalidRequest('A batch is a list of operations.');
  const steps = ops.map((op): BatchStep => {
    if (!op || !OPS.has(op.op)) throw invalidRequest('Unknown batch operation.');
    assertCollectionName(op.collection);
    if (op.op === 'create') return { op: 'create', collection: op.collection, doc: newDocument(op, now()) };
    assertTargetId(op.collection, op.id);
    return {
      op: 'write',
      collection: op.collection,
      id: op.id,
      options: op,
      change: op.op === 'delete' ? () => null : changeOf(op, now),
    };
  });
  for (const requirement of requirements) assertCollectionName(requirement.collection);
  return { steps, requirements };
}
