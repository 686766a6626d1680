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

/** Default for an uploaded archive's size: 10 GiB (BACKUP_MAX_UPLOAD_BYTES). */
export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 ** 3;

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
  /** Largest archive `POST /v1/admin/restores` takes (bytes). */
  maxUploadBytes: number;
  logger: Logger;
  now: () => Date;
}
