import type { Logger } from 'pino';
import type { AppStore, DocumentStore } from '../../ports/document-store.js';
import type { FileStore } from '../../ports/file-store.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { AppsModule } from '../apps/index.js';
import type { AuditLog } from '../audit/index.js';
import type { CollectionsModule } from '../collections/index.js';
import type { JobTypes } from '../jobs/index.js';
import type { CredentialBox } from '../push/index.js';
import type { RealtimeModule } from '../realtime/index.js';
import type { WebhookSecretBox, WebhooksModule } from '../webhooks/index.js';

/** What the backups module's parts use (built once in index.ts). */
export interface BackupDeps {
  store: DocumentStore;
  /** The system store (backup records, schedules, schemas). */
  system: AppStore;
  files: FileStore;
  jobs: JobQueue;
  types: JobTypes;
  apps: Pick<AppsModule, 'services' | 'onRemove'>;
  collections: Pick<CollectionsModule, 'services'>;
  realtime: Pick<RealtimeModule, 'services'>;
  webhooks: Pick<WebhooksModule, 'services'>;
  audit: AuditLog;
  /** The collections module's system collection of schemas and its id scheme. */
  schemasCollection: string;
  schemaDocId(appId: string, name: string): string;
  pushBox: CredentialBox;
  webhookBox: WebhookSecretBox;
  hearthVersion: string;
  logger: Logger;
  now: () => Date;
}
