import { EventBus } from '../../lib/event-bus.js';
import type { FileView } from './files.schema.js';

/**
 * File events for other modules (webhooks, realtime): `files.create` after an upload is stored
 * and its metadata written, `files.update` after its `public` flag or name changed,
 * `files.delete` after both are gone. Emitted after the fact, never
 * for a refused or failed upload; listeners run synchronously, a throwing one is reported and
 * affects neither the request nor the other listeners.
 */
export interface FileEvent {
  type: 'files.create' | 'files.update' | 'files.delete';
  appId: string;
  file: FileView;
  /** ISO-8601 time of emission. */
  at: string;
  /** Set when the write committed an outbox record for this event (file-outbox.ts): its id. */
  eventId?: string;
}

export class FileEvents extends EventBus<FileEvent> {}
