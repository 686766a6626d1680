import type { Logger } from 'pino';
import { SYSTEM_APP, type DocumentStore } from '../../ports/document-store.js';
import type { FileStore } from '../../ports/file-store.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsModule } from '../apps/index.js';
import type { AuditLog } from '../audit/index.js';
import { SCHEMAS, schemaDocId, type CollectionsModule } from '../collections/index.js';
import type { JobTypes } from '../jobs/index.js';
import type { HearthModule } from '../module.js';
import { CredentialBox } from '../push/index.js';
import type { RealtimeModule } from '../realtime/index.js';
import { WebhookSecretBox, type WebhooksModule } from '../webhooks/index.js';
import { backupJobType } from './backup-create.job.js';
import { restoreJobType } from './backup-restore.job.js';
import { BackupSchedules } from './backup-schedules.js';
import { DEFAULT_MAX_UPLOAD_BYTES, type BackupDeps } from './backups.deps.js';
import { backupRoutes, UPLOAD_PATH } from './backups.routes.js';
import { BackupsService } from './backups.service.js';

/**
 * The backups module: per-app backups (a streamed tar.gz of settings, schemas, indexes, rules,
 * documents, users with their password hashes, file bytes, webhooks, schedules, channel rules and
 * push credentials still sealed: format.ts), made by a job into the file store, listed,
 * downloaded, deleted, made on a schedule with retention; and restores of such an archive (a
 * stored backup or an upload) into a new app, on either store engine. docs/deployment.md,
 * "Backups and restore".
 */
export { FORMAT_VERSION } from './format.js';
export type { BackupsService } from './backups.service.js';

export interface BackupsModule extends HearthModule {
  services: { backups: BackupsService; schedules: BackupSchedules };
}

export function createBackupsModule(deps: {
  store: DocumentStore;
  files: FileStore;
  jobs: JobQueue;
  jobTypes: JobTypes;
  apps: Pick<AppsModule, 'services' | 'onRemove'>;
  collections: Pick<CollectionsModule, 'services'>;
  realtime: Pick<RealtimeModule, 'services'>;
  webhooks: Pick<WebhooksModule, 'services'>;
  guards: Pick<AdminAuth, 'requireAdmin'>;
  audit: AuditLog;
  /** The signing secret (push credentials and webhook secrets are re-sealed for the new app). */
  secret: string;
  previousSecrets?: readonly string[] | undefined;
  /** Largest archive an upload may be (bytes); default DEFAULT_MAX_UPLOAD_BYTES. */
  maxUploadBytes?: number;
  version: string;
  logger: Logger;
  now: () => Date;
}): BackupsModule {
  const d: BackupDeps = {
    store: deps.store,
    system: deps.store.forApp(SYSTEM_APP),
    files: deps.files,
    jobs: deps.jobs,
    types: deps.jobTypes,
    apps: deps.apps,
    collections: deps.collections,
    realtime: deps.realtime,
    webhooks: deps.webhooks,
    audit: deps.audit,
    schemasCollection: SCHEMAS,
    schemaDocId,
    pushBox: new CredentialBox(deps.secret, deps.previousSecrets ?? []),
    webhookBox: new WebhookSecretBox(deps.secret),
    hearthVersion: deps.version,
    maxUploadBytes: deps.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    logger: deps.logger,
    now: deps.now,
  };
  const backups = new BackupsService(d);
  const schedules = new BackupSchedules(d);
  deps.jobTypes.register(backupJobType({ backups, schedules }));
  deps.jobTypes.register(restoreJobType({ backups }));
  // Backups outlive their app (that is what they are for); its schedule does not.
  deps.apps.onRemove((appId) => schedules.remove(appId, null));
  return {
    name: 'backups',
    services: { backups, schedules },
    rawBodyPaths: [UPLOAD_PATH],
    routes: backupRoutes({ backups, schedules, requireAdmin: deps.guards.requireAdmin }),
    settle: () => backups.settle(),
  };
}
