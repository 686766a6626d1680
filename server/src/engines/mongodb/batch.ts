import type { ClientSession } from 'mongodb';
import type { BatchOp, BatchRequirement, StoredDocument } from '../../ports/document-store.js';
import { prepareBatch } from '../shared/batch.js';
import { batchWithUndo } from './batch.compensate.js';
import type { BatchTarget } from './batch.steps.js';
import { batchInTransaction } from './batch.transaction.js';
import { guarded } from './errors.js';

/**
 * A batch on MongoDB, all-or-nothing in one of two ways, chosen by what the deployment supports:
 * a multi-document transaction on a replica set or sharded cluster (batch.transaction.ts), or,
 * on a standalone server, the steps one by one with compensation on failure
 * (batch.compensate.ts). Either way the steps are checked first (shared/batch.ts), before
 * anything is written, and applied with the app store's own write primitives (batch.steps.ts).
 */
export async function runBatch({
  target,
  ops,
  requirements,
  now,
  transactions,
  startSession,
  maxAttempts,
}: {
  target: BatchTarget;
  ops: BatchOp[];
  requirements: BatchRequirement[] | undefined;
  now: () => string;
  /** Whether the deployment has transactions (Capabilities). */
  transactions: boolean;
  startSession: () => ClientSession;
  /** Attempts of a transaction that conflicts with concurrent writes. */
  maxAttempts: number;
}): Promise<StoredDocument[]> {
  const batch = prepareBatch({ ops, requirements, now });
  if (batch.steps.length === 0 && batch.requirements.length === 0) return [];
  return guarded(async () => {
    // Collections are registered outside any transaction (catalog writes are not part of it).
    for (const step of batch.steps) if (step.op === 'create') await target.collectionOf(step.collection, true);
    return transactions
      ? batchInTransaction({ target, ...batch, startSession, maxAttempts })
      : batchWithUndo({ target, ...batch });
  });
}
