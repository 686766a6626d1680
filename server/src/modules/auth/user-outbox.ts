import type { BatchOp } from '../../ports/document-store.js';
import type { UserEventType } from './user-events.js';
import type { UserView } from './user-view.js';

/**
 * A transactional outbox for user events, filled by another module (webhooks registers one with
 * `useOutbox`, as it does for documents in collections' outbox.ts): when `wants` says an event
 * needs a durable record (answered from a cache on the write path), `record` gives the op that
 * writes it, committed in the same batch as the user write; the event is then emitted with
 * `eventId` = the record's id, so the consumer can finish it and a sweeper can find the records
 * of a process that died between the commit and the consumer.
 */
export interface UserOutboxEvent {
  id: string;
  type: UserEventType;
  userId: string;
  /** The user as the API showed it before the write (null for create). */
  before: Readonly<UserView> | null;
}

export interface UserOutbox {
  wants(appId: string, type: UserEventType): boolean | Promise<boolean>;
  record(appId: string, event: UserOutboxEvent): BatchOp;
}
