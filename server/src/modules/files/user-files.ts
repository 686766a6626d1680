import type { Logger } from 'pino';
import type { UserEvents } from '../auth/index.js';
import type { FilesService } from './files.service.js';
import type { FilesSettingsService } from './files.settings.js';

/**
 * When an app user is deleted (auth's `users.delete` event), the files they own are deleted too
 * (bytes, variants, metadata, a `files.delete` event each), unless the app's file settings say
 * `onUserDelete: "keep"`. It runs after the user is gone, outside the request: a failure is
 * logged and leaves the files (an admin can list and delete them).
 */
export function deleteFilesOfDeletedUsers(deps: {
  events: UserEvents;
  files: FilesService;
  settings: FilesSettingsService;
  logger: Logger;
}): void {
  deps.events.on('users.delete', (event) => {
    const userId = event.before?.id;
    if (!userId) return;
    void (async () => {
      const { onUserDelete } = await deps.settings.get(event.appId);
      if (onUserDelete === 'delete') await deps.files.removeOwnedBy(event.appId, userId);
    })().catch((err: unknown) =>
      deps.logger.warn({ err, appId: event.appId }, "files: deleting a deleted user's files failed"),
    );
  });
}
