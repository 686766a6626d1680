import { newId } from '../../lib/ids.js';
import type { BatchOp, StoredDocument } from '../../ports/document-store.js';
import type { DocumentEventType } from './events.js';

/**
 * A transactional outbox for document events, filled by another module (webhooks registers one
 * with `useOutbox`): for each event a write will emit, `wants` says whether it needs a durable
 * record (answered synchronously from a cache on the hot path), and `record` gives the op that
 * writes it, committed in the same batch as the write itself. The event is then emitted with
 * `eventId` = the record's id, so its consumer can finish it (and a sweeper can find the records
 * of a process that died between the commit and that consumer).
 */
export interface OutboxEvent {
  id: string;
  type: DocumentEventType;
  collection: string;
  docId: string;
  before: Readonly<StoredDocument> | null;
  cause?: { collection: string; id: string };
}

export interface WriteOutbox {
  wants(appId: string, type: DocumentEventType, collection: string): boolean | Promise<boolean>;
  record(appId: string, event: OutboxEvent): BatchOp;
}

/** What the plan needs of a prepared write (documents.commit.ts PreparedWrite). */
interface OutboxWrite {
  kind: 'create' | 'update' | 'replace' | 'delete';
  col: { name: string };
  before: Readonly<StoredDocument> | null;
  ops: BatchOp[];
  effects: ReadonlyArray<{ type: 'delete' | 'update'; collection: string; before: StoredDocument }>;
}

export interface OutboxPlan<W extends OutboxWrite> {
  prepared: W[];
  /** Outbox ops, committed after the writes' ops. */
  ops: BatchOp[];
  /** The event id of each event in emission order (main, then cascades), or undefined. */
  ids: Array<string | undefined>;
}

const typeOf = (kind: OutboxWrite['kind']): DocumentEventType =>
  kind === 'create' ? 'documents.create' : kind === 'delete' ? 'documents.delete' : 'documents.update';

/**
 * Null when no event of these writes wants a record (the common case: nothing changes). Answered
 * synchronously when every `wants` is (a fresh cache), so a write pays no extra await.
 */
export function planOutbox<W extends OutboxWrite>(
  outbox: WriteOutbox,
  appId: string,
  prepared: W[],
): OutboxPlan<W> | null | Promise<OutboxPlan<W> | null> {
  const answers: Array<boolean | Promise<boolean>> = [];
  for (const p of prepared) {
    if (p.ops.length === 0) continue;
    answers.push(outbox.wants(appId, typeOf(p.kind), p.col.name));
    for (const e of p.effects) {
      answers.push(outbox.wants(appId, e.type === 'delete' ? 'documents.delete' : 'documents.update', e.collection));
    }
  }
  if (answers.some((a) => a instanceof Promise)) {
    return Promise.all(answers).then((wanted) => buildPlan(outbox, appId, prepared, wanted));
  }
  return buildPlan(outbox, appId, prepared, answers as boolean[]);
}

function buildPlan<W extends OutboxWrite>(
  outbox: WriteOutbox,
  appId: string,
  prepared: W[],
  wanted: boolean[],
): OutboxPlan<W> | null {
  if (!wanted.includes(true)) return null;
  const ids: Array<string | undefined> = [];
  const ops: BatchOp[] = [];
  const out: W[] = [];
  let n = 0;
  for (const p of prepared) {
    if (p.ops.length === 0) {
      out.push(p);
      continue;
    }
    let main = p.ops[0]!;
    if (wanted[n++]) {
      // a create's id is chosen here, so the record can name the document before it exists
      if (main.op === 'create' && main.id === undefined) main = { ...main, id: newId() };
      const id = newId();
      const docId = main.op === 'create' ? main.id! : main.id;
      ops.push(outbox.record(appId, { id, type: typeOf(p.kind), collection: p.col.name, docId, before: p.before }));
      ids.push(id);
    } else ids.push(undefined);
    const cause = { collection: p.col.name, id: p.before?.id ?? '' };
    for (const effect of p.effects) {
      if (wanted[n++]) {
        const id = newId();
        const type = effect.type === 'delete' ? 'documents.delete' : 'documents.update';
        ops.push(
          outbox.record(appId, {
            id,
            type,
            collection: effect.collection,
            docId: effect.before.id,
            before: effect.before,
            cause,
          }),
        );
        ids.push(id);
      } else ids.push(undefined);
    }
    out.push(main === p.ops[0] ? p : { ...p, ops: [main, ...p.ops.slice(1)] });
  }
  return { prepared: out, ops, ids };
}
