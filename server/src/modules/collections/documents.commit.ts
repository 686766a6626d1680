import { HearthError, isError } from '../../errors.js';
import type { FilterNode } from '../../lib/filter/types.js';
import type { AppStore, BatchOp, BatchRequirement, DocumentData, StoredDocument } from '../../ports/document-store.js';
import type { Caller } from './access.js';
import type { CompiledCollection } from './collection.compile.js';
import type { DocumentEvents } from './events.js';
import { planOutbox, type WriteOutbox } from './outbox.js';
import type { CascadeEffect } from './relations.js';

/**
 * Committing prepared writes (see documents.write.ts for how they are prepared): their port ops
 * run all-or-nothing, then each write's document events are emitted, in order, cascades after
 * the write that caused them. Nothing is emitted for a commit that failed.
 */
export type WriteKind = 'create' | 'update' | 'replace' | 'delete';

export interface PreparedWrite {
  kind: WriteKind;
  col: CompiledCollection;
  /** The stored document before the write (null for create). */
  before: StoredDocument | null;
  /** The main op, then cascade ops; none for a no-op update. */
  ops: BatchOp[];
  effects: CascadeEffect[];
  /** Checked in the same transaction as the ops (referential integrity; see relations.ts). */
  requires?: BatchRequirement[];
  /**
   * Whether a commit that lost a race (isLostRace) may be prepared again and retried: not when
   * the client pinned the version it read (If-Match), whose conflict is then the answer, nor for
   * a create, whose only possible race (a relation target deleted meanwhile) is answered as the
   * conflict it is.
   */
  retryable: boolean;
}

/** Unique clashes name the clashing document ids only to privileged callers. */
export function sanitizeConflict(e: unknown, caller: Caller): unknown {
  if (isError(e, 'conflict') && !caller.privileged && e.details && 'ids' in e.details) {
    const { ids: _ids, ...rest } = e.details;
    return new HearthError('conflict', e.message, rest);
  }
  return e;
}

/**
 * A commit lost a race with another writer: a version changed, or a relation requirement stopped
 * holding. Preparing again sees the new state (and may then succeed, or refuse properly).
 */
export const isLostRace = (e: unknown): boolean =>
  isError(e, 'conflict', 'version') || isError(e, 'conflict', 'precondition');

/**
 * Commits prepared writes all-or-nothing and emits their events. Returns each write's main
 * result (the created/updated document, or the deleted one; the stored one for a no-op).
 */
export async function commitWrites(
  deps: { store: AppStore; events: DocumentEvents; outbox?: WriteOutbox | null },
  caller: Caller,
  writes: PreparedWrite[],
): Promise<StoredDocument[]> {
  // --- outbox (webhooks): durable event records in the write's own batch, only when wanted
  const planned = deps.outbox ? planOutbox(deps.outbox, caller.appId, writes) : null;
  const plan = planned instanceof Promise ? await planned : planned;
  const prepared = plan?.prepared ?? writes;
  const eventIds = plan?.ids ?? [];
  let nth = 0;
  const eventId = () => {
    const id = eventIds[nth++];
    return id !== undefined ? { eventId: id } : {};
  };
  // ---
  const ops = [...prepared.flatMap((p) => p.ops), ...(plan?.ops ?? [])];
  const requires = prepared.flatMap((p) => (p.ops.length > 0 ? (p.requires ?? []) : []));
  let results: StoredDocument[];
  try {
    if (ops.length === 0) results = [];
    else if (ops.length === 1 && requires.length === 0) results = [await runOne(deps.store, ops[0]!)];
    else results = await deps.store.batch(ops, { require: requires });
  } catch (e) {
    throw sanitizeConflict(e, caller);
  }
  const out: StoredDocument[] = [];
  let i = 0;
  for (const p of prepared) {
    if (p.ops.length === 0) {
      out.push(p.before!);
      continue;
    }
    const main = results[i++]!;
    out.push(main);
    emitWrite(deps.events, caller.appId, p, main, eventId());
    const cause = { collection: p.col.name, id: p.before?.id ?? main.id };
    for (const effect of p.effects) {
      const after = results[i++]!;
      deps.events.emit({
        appId: caller.appId,
        collection: effect.collection,
        ...(effect.type === 'delete'
          ? { type: 'documents.delete', before: effect.before, after: null }
          : { type: 'documents.update', before: effect.before, after }),
        cause,
        ...eventId(),
      });
    }
  }
  return out;
}

function emitWrite(
  events: DocumentEvents,
  appId: string,
  p: PreparedWrite,
  main: StoredDocument,
  id: { eventId?: string },
): void {
  const base = { appId, collection: p.col.name, ...id };
  if (p.kind === 'create') events.emit({ ...base, type: 'documents.create', before: null, after: main });
  else if (p.kind === 'delete') events.emit({ ...base, type: 'documents.delete', before: p.before, after: null });
  else events.emit({ ...base, type: 'documents.update', before: p.before, after: main });
}

/** One op without a batch (the common case: no cascades, no relation requirements). */
async function runOne(store: AppStore, op: BatchOp): Promise<StoredDocument> {
  const guard = (o: { expectedVersion?: number | undefined; where?: FilterNode | undefined }) => ({
    ...(o.expectedVersion !== undefined ? { expectedVersion: o.expectedVersion } : {}),
    ...(o.where ? { where: o.where } : {}),
  });
  switch (op.op) {
    case 'create':
      return store.create(op.collection, {
        data: op.data as DocumentData,
        ...(op.owner !== undefined ? { owner: op.owner } : {}),
      });
    case 'update':
      return store.update(op.collection, op.id, op.update, guard(op));
    case 'replace':
      return store.replace(op.collection, op.id, op.data, guard(op));
    case 'delete':
      return store.delete(op.collection, op.id, guard(op));
  }
}
