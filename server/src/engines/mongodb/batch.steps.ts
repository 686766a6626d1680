import type { ClientSession, Collection } from 'mongodb';
import type { FilterNode } from '../../lib/filter/types.js';
import type { BatchRequirement, StoredDocument } from '../../ports/document-store.js';
import type { BatchStep, WriteStep } from '../shared/batch.js';
import { requirementFailed } from '../shared/errors.js';
import type { RawDoc } from './catalog.js';

/**
 * What both batch strategies (batch.transaction.ts, batch.compensate.ts) do the same way:
 * applying one step and checking the requirements, through the app store's own primitives.
 */

/** What a batch needs from the app store (app-store.ts). Every call runs in `session` when given. */
export interface BatchTarget {
  collectionOf(collection: string, register?: boolean): Promise<Collection<RawDoc>>;
  insert(input: {
    collection: string;
    doc: StoredDocument;
    session?: ClientSession | undefined;
  }): Promise<StoredDocument>;
  writeOne(
    step: WriteStep & { session?: ClientSession | undefined },
  ): Promise<{ before: StoredDocument; after: StoredDocument | null }>;
  exists(input: { collection: string; filter: FilterNode; session?: ClientSession | undefined }): Promise<boolean>;
}

/** What a step did: the document before (null for a create) and after (null for a delete). */
export interface StepResult {
  before: StoredDocument | null;
  after: StoredDocument | null;
}

export async function applyStep(target: BatchTarget, step: BatchStep, session?: ClientSession): Promise<StepResult> {
  if (step.op === 'create') {
    return { before: null, after: await target.insert({ collection: step.collection, doc: step.doc, session }) };
  }
  return target.writeOne({ ...step, session });
}

/**
 * Checks a batch's requirements after its steps (inside its transaction when there is one). In
 * a transaction a concurrent writer that changes a checked document makes one of the two abort;
 * a concurrent insert that would break an `exists: false` requirement is not seen (MongoDB
 * transactions detect write conflicts, not read-write ones).
 */
export async function checkRequirements(
  target: BatchTarget,
  requirements: BatchRequirement[],
  session?: ClientSession,
): Promise<void> {
  for (const requirement of requirements) {
    const found = await target.exists({ collection: requirement.collection, filter: requirement.filter, session });
    if (found !== requirement.exists) throw requirementFailed(requirement);
  }
}
