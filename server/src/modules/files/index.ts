import type { Logger } from 'pino';
import type { DocumentStore } from '../../ports/document-store.js';
import type { FileStore } from '../../ports/file-store.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsModule } from '../apps/index.js';
import type { AuditLog } from '../audit/index.js';
import type { AuthModule } from '../auth/index.js';
import type { CollectionsModule } from '../collections/index.js';
import type { HearthModule } from '../module.js';
import { fileReferences } from './file-references.js';
import { FileEvents, type FileEvent } from './files.events.js';
import { adminFileRoutes, fileRoutes, signedContentPage, UPLOAD_PATH } from './files.routes.js';
import { FilesService } from './files.service.js';
import { FilesSettingsService } from './files.settings.js';
import { ResumableUploads, TUS_PATH } from './tus.js';
import { tusRoutes } from './tus.routes.js';
import { thumbnailJobType } from './thumbnail.job.js';
import type { ThumbnailJobs } from './variants.js';
import { deleteFilesOfDeletedUsers } from './user-files.js';
import type { FileOutbox } from './file-outbox.js';

/**
 * The files module: uploads streamed into the file store port (type sniffed, size and quota
 * enforced, sha256 computed on the way), metadata in each app's store, downloads with ranges and
 * ETags, signed URLs, per-app settings, admin listing. Other modules use `events`
 * (files.create / files.delete: webhooks, realtime) and `services.files`.
 */
export type { FileEvent, FileEvents } from './files.events.js';
export type { FileOutbox, FileOutboxEvent } from './file-outbox.js';
export { FILES as FILES_COLLECTION, toView as toFileView } from './files.model.js';
export type { FileView } from './files.schema.js';
export type { FilesService } from './files.service.js';
export type { FilesSettings } from './files.settings.js';

export interface FilesModule extends HearthModule {
  services: { files: FilesService; settings: FilesSettingsService; uploads: ResumableUploads };
  events: FileEvents;
  /** The webhooks module registers its transactional outbox for file events (file-outbox.ts). */
  useOutbox(outbox: FileOutbox): void;
}

export function createFilesModule(deps: {
  store: DocumentStore;
  files: FileStore;
  apps: Pick<AppsModule, 'services' | 'onRemove'>;
  guards: Pick<AdminAuth, 'requireAdmin'>;
  audit: AuditLog;
  /** Where `file` fields of collections get their checks and cascades. */
  collections?: Pick<CollectionsModule, 'useFiles'>;
  /** Deleting a user deletes their files (files settings `onUserDelete`). */
  users?: Pick<AuthModule, 'events'>;
  /** Signs download URLs (a key derived from it, for this purpose only). */
  secret: string;
  /** Where signed URLs point. */
  publicUrl: string;
  logger: Logger;
  now: () => Date;
  /** Large images are thumbnailed by a `files.thumbnail` job (variants.ts); without, in the request. */
  jobs?: {
    types: {
      register(type: ReturnType<typeof thumbnailJobType>): void;
      enqueue: ThumbnailJobs['enqueue'];
    };
    queue: ThumbnailJobs['queue'];
  };
  thumbnails?: { syncBytes?: number; waitMs?: number };
  /** Unfinished resumable uploads expire after this long without a chunk (default 24 h). */
  tusExpirationMs?: number;
}): FilesModule {
  const events = new FileEvents((err: unknown, event: FileEvent) =>
    deps.logger.error({ err, type: event.type, fileId: event.file.id }, 'file event listener failed'),
  );
  const settings = new FilesSettingsService({ store: deps.store, now: deps.now, logger: deps.logger });
  const files = new FilesService({
    store: deps.store,
    files: deps.files,
    settings,
    events,
    secret: deps.secret,
    publicUrl: deps.publicUrl,
    now: deps.now,
    logger: deps.logger,
    ...(deps.thumbnails?.syncBytes !== undefined ? { syncThumbnailBytes: deps.thumbnails.syncBytes } : {}),
    ...(deps.thumbnails?.waitMs !== undefined ? { thumbnailWaitMs: deps.thumbnails.waitMs } : {}),
  });
  const uploads = new ResumableUploads({
    files,
    fileStore: deps.files,
    store: deps.store,
    logger: deps.logger,
    now: deps.now,
    ...(deps.tusExpirationMs ? { expirationMs: deps.tusExpirationMs } : {}),
  });
  if (deps.jobs) {
    deps.jobs.types.register(thumbnailJobType({ files }));
    const { types, queue } = deps.jobs;
    files.variants.useJobs({
      queue,
      enqueue: (appId, name, payload, options) => types.enqueue(appId, name, payload, options),
    });
  }
  deps.apps.onRemove((appId) => files.removeApp(appId));
  deps.collections?.useFiles(fileReferences(files));
  if (deps.users) deleteFilesOfDeletedUsers({ events: deps.users.events, files, settings, logger: deps.logger });
  return {
    name: 'files',
    services: { files, settings, uploads },
    events,
    useOutbox: (outbox) => {
      files.outbox = outbox;
    },
    rawBodyPaths: [UPLOAD_PATH, TUS_PATH],
    init: async () => uploads.start(),
    settle: () => uploads.stop(),
    pages: [{ path: '/v1/apps/:appId/files/:fileId/content', router: signedContentPage({ files }) }],
    routes: [
      ...tusRoutes({ uploads }),
      ...fileRoutes({ files }),
      ...adminFileRoutes({
        files,
        settings,
        requireApp: (appId) => deps.apps.services.apps.get(appId),
        requireAdmin: deps.guards.requireAdmin,
        audit: deps.audit,
      }),
    ],
  };
}
