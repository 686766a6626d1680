import type { FilterNode } from '../../lib/filter/types.js';
import type { BatchOp, BatchRequirement, StoredDocument } from '../../ports/document-store.js';
import { prepareBatch, type WriteStep } from '../shared/batch.js';
import { requirementFailed } from '../shared/errors.js';
import type { SqliteConnection } from './connection.js';

/** What a batch needs from the app store (app-store.ts): its write primitives and an existence check. */
export interface BatchTarget {
  insert(collection: string, doc: StoredDocument): StoredDocument;
  writeOne(step: WriteStep): { before: StoredDocument; after: StoredDocument | null };
  exists(collection: string, filter: FilterNode): boolean;
}

/**
 * A batch on SQLite: every step and every requirement inside one write transaction
 * (BEGIN IMMEDIATE), so it is all-or-nothing and no other writer can change the answer between
 * a requirement's check and the commit (with group commit: one savepoint of the group's transaction). The steps are checked first (shared/batch.ts), before
 * anything is written, and applied with the app store's own write primitives.
 */
export function runBatch({
  target,
  connection,
  ops,
  requirements,
}: {
  target: BatchTarget;
  connection: SqliteConnection;
  ops: BatchOp[];
  requirements: BatchRequirement[] | undefined;
}): Promise<StoredDocument[]> {
  const batch = prepareBatch({ ops, requirements, now: connection.now });
  return connection.writeGrouped(() => {
    const results = batch.steps.map((step) => {
      if (step.op === 'create') return target.insert(step.collection, step.doc);
      const { before, after } = target.writeOne(step);
      return after ?? before;
    });
    for (const requirement of batch.requirements) {
      if (target.exists(requirement.collection, requirement.filter) !== requirement.exists) {
        throw requirementFailed(requirement);
      }
    }
    return results;
  });
}
