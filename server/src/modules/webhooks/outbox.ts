import { isError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { DocumentData, DocumentStore, StoredDocument } from '../../ports/document-store.js';
import { patternMatches } from './event-payloads.js';
import {
  FILES_COLLECTION,
  toFileView,
  toUserView,
  USERS_COLLECTION,
  type DocumentEvent,
  type FileEventOf,
  type FileOutbox,
  type OutboxEvent,
  type UserEventOf,
  type UserOutbox,
  type WriteOutbox,
} from './webhooks.deps.js';
import type { StoredWebhook } from './webhooks.service.js';

/**
 * The webhooks' transactional outbox (`_webhook_outbox`, in the app's store). A document write
 * whose event matches an enabled webhook of its app commits one record per such event in the
 * same batch as the write (collections' outbox.ts); the decision reads the process's cached
 * webhook list synchronously (`activeForWrite`: a stale list is used while it reloads), so a
 * write with no matching webhook costs nothing more. After the commit the dispatcher records the event's deliveries (delivery ids
 * derived from the event id, so doing it twice is harmless) and deletes the record. A record
 * still there after `outboxLeaseMs` belongs to a process that died in between: the maintenance
 * sweep (maintenance.ts) rebuilds its event and drains it the same way. A recovered event
 * carries the document as it is when recovered (null when deleted since); `previous` is the
 * stored one from before the write.
 */
export const OUTBOX = '_webhook_outbox';
/**
 * The records of user and file events: a collection of their own, which a release from before
 * them never reads (its sweep would rebuild any record as a document event and send the raw
 * stored document, password hash included, during a rolling deploy or a rollback).
 */
export const EVENTS_OUTBOX = '_webhook_outbox_events';

export interface OutboxRecord {
  id: string;
  /** documents.* (a document write) or users.* (a user write: `collection` is `_users`, `before` the user view). */
  type: DocumentEvent['type'] | UserEventOf['type'] | FileEventOf['type'];
  collection: string;
  docId: string;
  before: StoredDocument | null;
  cause: { collection: string; id: string } | null;
  createdAt: string;
  /** Which outbox collection holds it (OUTBOX or EVENTS_OUTBOX); set by `stale`. */
  outbox?: string;
}

function fromDoc(doc: StoredDocument): OutboxRecord {
  return {
    id: doc.id,
    type: doc.type as OutboxRecord['type'],
    collection: String(doc.collection),
    docId: String(doc.docId),
    before: (doc.before as unknown as StoredDocument | null) ?? null,
    cause: (doc.cause as OutboxRecord['cause']) ?? null,
    createdAt: doc.createdAt,
  };
}

export class WebhookOutbox implements WriteOutbox {
  constructor(
    private readonly deps: {
      store: DocumentStore;
      active: (appId: string) => StoredWebhook[] | Promise<StoredWebhook[]>;
    },
  ) {}

  wants(appId: string, type: DocumentEvent['type'], collection: string): boolean | Promise<boolean> {
    const match = (hooks: StoredWebhook[]) =>
      hooks.some((h) => h.events.some((p) => patternMatches(p, { type, collection })));
    const hooks = this.deps.active(appId);
    return hooks instanceof Promise ? hooks.then(match) : match(hooks);
  }

  record(_appId: string, event: OutboxEvent) {
    const data: DocumentData = {
      type: event.type,
      collection: event.collection,
      docId: event.docId,
      before: (event.before ?? null) as unknown as DocumentData[string],
      cause: event.cause ? { ...event.cause } : null,
    };
    return { op: 'create' as const, collection: OUTBOX, id: event.id, data };
  }

  /** The same outbox for the auth module's user writes (users.create / update / delete). */
  forUsers(): UserOutbox {
    return {
      wants: (appId, type) => this.wantsType(appId, type),
      record: (_appId, event) => ({
        op: 'create' as const,
        collection: EVENTS_OUTBOX,
        id: event.id,
        data: {
          type: event.type,
          collection: USERS_COLLECTION,
          docId: event.userId,
          before: (event.before ? { ...event.before } : null) as unknown as DocumentData[string],
          cause: null,
        },
      }),
    };
  }

  /** The same outbox for the files module's metadata writes (files.create / update / delete). */
  forFiles(): FileOutbox {
    return {
      wants: (appId, type) => this.wantsType(appId, type),
      record: (_appId, event) => ({
        op: 'create' as const,
        collection: EVENTS_OUTBOX,
        id: event.id,
        data: {
          type: event.type,
          collection: FILES_COLLECTION,
          docId: event.fileId,
          before: (event.before ? { ...event.before } : null) as unknown as DocumentData[string],
          cause: null,
        },
      }),
    };
  }

  private wantsType(appId: string, type: string): boolean | Promise<boolean> {
    const match = (hooks: StoredWebhook[]) => hooks.some((h) => h.events.some((p) => patternMatches(p, { type })));
    const hooks = this.deps.active(appId);
    return hooks instanceof Promise ? hooks.then(match) : match(hooks);
  }

  /**
   * The file event a files.* record stands for: the deleted file as recorded, else the file as it
   * is now; null when it was deleted since (its own files.delete event tells the rest).
   */
  async fileEventOf(appId: string, r: OutboxRecord): Promise<FileEventOf | null> {
    const recorded = r.before as unknown as FileEventOf['file'] | null;
    const current =
      r.type === 'files.delete' ? null : await this.deps.store.forApp(appId).get(FILES_COLLECTION, r.docId);
    const file = r.type === 'files.delete' ? recorded : current ? toFileView(current) : null;
    if (!file) return null;
    return { type: r.type as FileEventOf['type'], appId, file, at: r.createdAt, eventId: r.id };
  }

  /** The event's deliveries are recorded: its record goes (`outbox`: EVENTS_OUTBOX for user and file events). */
  async done(appId: string, id: string, outbox: string = OUTBOX): Promise<void> {
    await this.deps.store
      .forApp(appId)
      .delete(outbox, id)
      .catch((e: unknown) => {
        if (!isError(e, 'not_found')) throw e;
      });
  }

  /** Records older than `before` (ISO time): their writer died before draining them. */
  async stale(appId: string, before: string, limit: number): Promise<OutboxRecord[]> {
    const app = this.deps.store.forApp(appId);
    const pages = await Promise.all(
      [OUTBOX, EVENTS_OUTBOX].map(async (outbox) => {
        const page = await app.find(outbox, {
          filter: where.lt('createdAt', before),
          sort: [{ path: 'createdAt', dir: 1 }],
          limit,
        });
        return page.items.map((doc) => ({ ...fromDoc(doc), outbox }));
      }),
    );
    return pages
      .flat()
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
      .slice(0, limit);
  }

  /** The user event a users.* record stands for, with the user as it is now (null when deleted since). */
  async userEventOf(appId: string, r: OutboxRecord): Promise<UserEventOf> {
    const current =
      r.type === 'users.delete' ? null : await this.deps.store.forApp(appId).get(USERS_COLLECTION, r.docId);
    return {
      type: r.type as UserEventOf['type'],
      appId,
      before: r.before as unknown as UserEventOf['before'],
      after: current ? toUserView(current) : null,
      at: r.createdAt,
      eventId: r.id,
    };
  }

  /** The document event a record stands for, rebuilt from it and the document's current state. */
  async eventOf(appId: string, r: OutboxRecord): Promise<DocumentEvent> {
    if (!r.type.startsWith('documents.')) throw new Error(`eventOf: ${r.type} is not a document event`);
    const after = r.type === 'documents.delete' ? null : await this.deps.store.forApp(appId).get(r.collection, r.docId);
    return {
      type: r.type as DocumentEvent['type'],
      appId,
      collection: r.collection,
      before: r.before,
      after,
      at: r.createdAt,
      ...(r.cause ? { cause: r.cause } : {}),
      eventId: r.id,
    };
  }
}
