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
}

export type DocumentListener = (event: DocumentEvent) => void;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class DocumentEvents {
  private readonly listeners = new Map<DocumentEventType | '*', Set<DocumentListener>>();

  constructor(private readonly onListenerError: (err: unknown, event: DocumentEvent) => void = () => {}) {}

  /** Subscribes to one event type or to all (`*`); returns the unsubscribe function. */
  on(type: DocumentEventType | '*', listener: DocumentListener): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit(event: Omit<DocumentEvent, 'at'> & { at?: string }): void {
    const frozen = deepFreeze({
      ...event,
      before: event.before ? structuredClone(event.before) : null,
      after: event.after ? structuredClone(event.after) : null,
      at: event.at ?? new Date().toISOString(),
    }) as DocumentEvent;
    for (const set of [this.listeners.get(frozen.type), this.listeners.get('*')]) {
      for (const listener of set ?? []) {
        try {
          listener(frozen);
        } catch (err) {
          this.onListenerError(err, frozen);
        }
      }
    }
  }

  listenerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}
