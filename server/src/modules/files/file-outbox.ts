import { newId } from '../../lib/ids.js';
import type { BatchOp } from '../../ports/document-store.js';
import type { FileEvent } from './files.events.js';
import type { FileView } from './files.schema.js';

/**
 * A transactional outbox for file events, filled by another module (webhooks registers one with
 * `useOutbox`, as for documents and users): when `wants` says an event needs a durable record
 * (answered from a cache on the write path), `record` gives the op that writes it, committed in
 * the same batch as the file's metadata write; the event is then emitted with `eventId` = the
 * record's id, so the consumer can finish it and a sweeper can find the records of a process
 * that died between the commit and the consumer.
 */
export interface FileOutboxEvent {
  id: string;
  type: FileEvent['type'];
  fileId: string;
  /** The file's metadata before the write (the deleted file for files.delete; null for create). */
  before: Readonly<FileView> | null;
}

export interface FileOutbox {
  wants(appId: string, type: FileEvent['type']): boolean | Promise<boolean>;
  record(appId: string, event: FileOutboxEvent): BatchOp;
}

/** The outbox op (none when nothing wants the event) and the event id to emit with. */
export async function outboxOps(
  outbox: FileOutbox | null,
  appId: string,
  event: Omit<FileOutboxEvent, 'id'>,
): Promise<{ ops: BatchOp[]; eventId?: string }> {
  if (!outbox) return { ops: [] };
  const wanted = outbox.wants(appId, event.type);
  if (!(wanted instanceof Promise ? await wanted : wanted)) return { ops: [] };
  const id = newId();
  return { ops: [outbox.record(appId, { id, ...event })], eventId: id };
}
