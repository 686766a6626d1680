/**
 * The other modules' exports this module consumes (through their index.ts only): their event
 * buses, the collections registry for hidden fields, the document view helper.
 */
export type { DocumentEvent, DocumentEvents, CollectionsModule } from '../collections/index.js';
export type { UserEvent as UserEventOf, UserEvents, UserOutbox } from '../auth/index.js';
export { toUserView, USERS_COLLECTION } from '../auth/index.js';
export type { FileEvent as FileEventOf, FileEvents, FileOutbox } from '../files/index.js';
export { FILES_COLLECTION, toFileView } from '../files/index.js';
export type { OutboxEvent, WriteOutbox } from '../collections/index.js';
