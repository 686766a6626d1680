import type { ClientSession } from 'mongodb';
import { unavailable } from '../../errors.js';
import type { BatchRequirement, StoredDocument } from '../../ports/document-store.js';
import type { BatchStep } from '../shared/batch.js';
import { applyStep, checkRequirements, type BatchTarget } from './batch.steps.js';

/**
 * All-or-nothing by a multi-document transaction (replica sets and sharded clusters): the steps
 * and the requirement checks run in one snapshot transaction, committed with majority write
 * concern. A write conflict with another transaction (or a failover) aborts it with a
 * TransientTransactionError label; the whole batch then runs again after a short random pause,
 * so that concurrent batches on one document serialise, up to `maxAttempts` times
 * (then `unavailable`).
 */
export async function batchInTransaction({
  target,
  steps,
  requirements,
  startSession,
  maxAttempts,
}: {
  target: BatchTarget;
  steps: BatchStep[];
  requirements: BatchRequirement[];
  startSession: () => ClientSession;
  maxAttempts: number;
}): Promise<StoredDocument[]> {
  for (let attempt = 1; ; attempt++) {
    const session = startSession();
    try {
      session.startTransaction({ readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } });
      const results: StoredDocument[] = [];
      for (const step of steps) {
        const { before, after } = await applyStep(target, step, session);
        results.push((after ?? before)!);
      }
      await checkRequirements(target, requirements, session);
      await commit(session);
      return results;
    } catch (e) {
      if (session.inTransaction()) await session.abortTransaction().catch(() => {});
      if (!hasLabel(e, 'TransientTransactionError')) throw e;
      if (attempt >= maxAttempts) {
        throw unavailable('The batch conflicts with too many concurrent writes. Retry later.');
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, attempt * 5)));
    } finally {
      await session.endSession().catch(() => {});
    }
  }
}

/** Commits, retrying when the server could not say whether the commit happened (it is idempotent). */
async function commit(session: ClientSession): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await session.commitTransaction();
    } catch (e) {
      if (!hasLabel(e, 'UnknownTransactionCommitResult') || attempt >= 3) throw e;
    }
  }
}

const hasLabel = (e: unknown, label: string): boolean =>
  (e as { hasErrorLabel?: (l: string) => boolean }).hasErrorLabel?.(label) === true;
