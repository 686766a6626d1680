import { EventBus } from '../../lib/event-bus.js';
import type { StoredDocument } from '../../ports/document-store.js';

/**
 * Document events for other modules (realtime, webhooks): `documents.create | update | delete`
 * with the whole before/after documents (hidden fields included: consumers apply the collection's
 * read rule and strip hidden fields per subscriber, see `view.ts`). Emitted after the write
 * committed, never for a write that failed. Listeners run synchronously in registration order;
 * a throwing listener is reported and does not affect the request or other listeners. Documents
 * in events are frozen: a listener cannot change what another one sees.
 */
export type DocumentEventType = 'documents.create' | 'documents.update' | 'documents.delete';

export interface DocumentEvent {
  type: DocumentEventType;
  appId: string;
  collection: string;
  /** null for create. */
  before: Readonly<StoredDocument> | null;
  /** null for delete. */
  after: Readonly<StoredDocument> | null;
  /** ISO-8601 time of emission. */
  at: string;
  /** Set when the event was caused by a cascade (relation onDelete) of another delete. */
  cause?: { collection: string; id: string };
  /** Set when the write committed an outbox record for this event (outbox.ts): its id. */
  eventId?: string;
}

export type DocumentListener = (event: DocumentEvent) => void;

export class DocumentEvents extends EventBus<DocumentEvent> {}
