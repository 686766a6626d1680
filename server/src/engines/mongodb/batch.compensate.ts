import { HearthError } from '../../errors.js';
import type { BatchRequirement, StoredDocument } from '../../ports/document-store.js';
import type { BatchStep } from '../shared/batch.js';
import { applyStep, checkRequirements, type BatchTarget } from './batch.steps.js';
import { toStored } from './documents.js';

/**
 * All-or-nothing without transactions (a standalone server): the steps apply one by one and,
 * when one fails, the ones applied so far are undone in reverse order, each again as a
 * compare-and-set (a created document is deleted if still at its version, an updated one gets
 * its old content back, a deleted one is inserted again) — then the first failure is thrown.
 * Guarantee: on failure the batch leaves no trace unless another writer changed one of its
 * documents in the moment between the batch's write and its undo (that change wins and is not
 * overwritten); concurrent readers can see the intermediate state, and a restored document has
 * its old version number again.
 */
export async function batchWithUndo({
  target,
  steps,
  requirements,
}: {
  target: BatchTarget;
  steps: BatchStep[];
  requirements: BatchRequirement[];
}): Promise<StoredDocument[]> {
  const undo: Array<() => Promise<unknown>> = [];
  const results: StoredDocument[] = [];
  try {
    for (const step of steps) {
      const { before, after } = await applyStep(target, step);
      const col = await target.collectionOf(step.collection);
      if (!before) undo.push(() => col.deleteOne({ _id: after!.id, version: after!.version }));
      else if (after) undo.push(() => col.replaceOne({ _id: after.id, version: after.version }, toStored(before)));
      else undo.push(() => col.insertOne(toStored(before)));
      results.push((after ?? before)!);
    }
    await checkRequirements(target, requirements);
    return results;
  } catch (e) {
    let undoFailure: unknown = null;
    for (const step of undo.reverse()) {
      await step().catch((err: unknown) => {
        undoFailure ??= err;
      });
    }
    // An undo that could not be written (the server went away) leaves part of the batch applied:
    // say so, rather than reporting the op's error as if nothing had happened.
    if (undoFailure) {
      throw new HearthError(
        'unavailable',
        'The batch failed and could not be fully undone; some of its writes may remain. Check the documents.',
        { undoIncomplete: true },
        { cause: undoFailure },
      );
    }
    throw e;
  }
}
