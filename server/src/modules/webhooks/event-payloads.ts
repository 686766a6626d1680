import type { JsonValue } from '../../lib/filter/types.js';
import { newId } from '../../lib/ids.js';
import type { StoredDocument } from '../../ports/document-store.js';
import type { DocumentEvent, FileEventOf, UserEventOf } from './webhooks.deps.js';

/**
 * What a webhook receives for an event (the request body, before signing):
 *
 * ```json
 * { "id": "<event id>", "type": "documents.create", "appId": "…", "createdAt": "<ISO time>",
 *   "data": { "collection": "todos", "document": {…}, "previous": null } }
 * ```
 *
 * - documents.*: `data.collection`, `data.document` (after the write; null on delete),
 *   `data.previous` (before; null on create), `data.cause` on cascaded deletes. The app owns its
 *   webhooks, so read rules apply as for its secret key (every document of the event is seen),
 *   but **hidden fields never leave the server**: they are removed with the collections module's
 *   own view helper, as for a public-key caller. A collection whose schema is gone by then sends
 *   only the system fields.
 * - users.*: `data.user`, `data.previous` (the user as the admin API shows it: no hash, no secret).
 * - files.*: `data.file` (the file's metadata).
 * - schedule.fire (schedules): `data.schedule`, `data.trigger`, `data.scheduledAt`.
 *
 * The event id is the same for every webhook and every redelivery of one event; each delivery
 * has its own id (the `Hearth-Delivery` header), repeated on its retries.
 */
export interface WebhookEvent {
  id: string;
  type: string;
  appId: string;
  /** `documents.*` events' collection, for `documents.create:todos` patterns. */
  collection?: string;
  createdAt: string;
  data: Record<string, JsonValue>;
}

/** Does a subscription pattern (webhooks.schema.ts EVENT_PATTERN) match an event? */
export function patternMatches(pattern: string, event: { type: string; collection?: string }): boolean {
  if (pattern === '*') return true;
  const [typePattern = '', collection] = pattern.split(':');
  if (collection !== undefined && collection !== event.collection) return false;
  const [family, action] = typePattern.split('.');
  const [eventFamily, eventAction] = event.type.split('.');
  return family === eventFamily && (action === '*' || action === eventAction);
}

export type HiddenOf = (appId: string, collection: string) => Promise<ReadonlySet<string> | null>;

const SYSTEM_ONLY = ['id', 'createdAt', 'updatedAt', 'owner', 'version'];

function viewOf(
  doc: Readonly<StoredDocument> | null,
  hidden: ReadonlySet<string> | null,
  toClient: (col: { hidden: ReadonlySet<string> }, doc: Readonly<StoredDocument>) => Record<string, unknown>,
): JsonValue {
  if (!doc) return null;
  if (hidden === null) return Object.fromEntries(SYSTEM_ONLY.map((k) => [k, (doc[k] ?? null) as JsonValue]));
  return toClient({ hidden }, doc) as JsonValue;
}

export async function documentPayload(
  event: DocumentEvent,
  deps: {
    hiddenOf: HiddenOf;
    toClient: (col: { hidden: ReadonlySet<string> }, doc: Readonly<StoredDocument>) => Record<string, unknown>;
  },
): Promise<WebhookEvent> {
  const hidden = await deps.hiddenOf(event.appId, event.collection);
  return {
    id: newId(),
    type: event.type,
    appId: event.appId,
    collection: event.collection,
    createdAt: event.at,
    data: {
      collection: event.collection,
      document: viewOf(event.after, hidden, deps.toClient),
      previous: viewOf(event.before, hidden, deps.toClient),
      ...(event.cause ? { cause: { ...event.cause } } : {}),
    },
  };
}

export function userPayload(event: UserEventOf): WebhookEvent {
  return {
    id: newId(),
    type: event.type,
    appId: event.appId,
    createdAt: event.at,
    data: {
      user: (event.after ?? event.before) as unknown as JsonValue,
      previous: (event.after ? event.before : null) as unknown as JsonValue,
    },
  };
}

export function filePayload(event: FileEventOf): WebhookEvent {
  return {
    id: newId(),
    type: event.type,
    appId: event.appId,
    createdAt: event.at,
    data: { file: event.file as unknown as JsonValue },
  };
}

/** The body that is signed and sent (the collection is a routing detail, already in data). */
export const bodyOf = (event: WebhookEvent): Record<string, JsonValue> => ({
  id: event.id,
  type: event.type,
  appId: event.appId,
  createdAt: event.createdAt,
  data: event.data,
});
