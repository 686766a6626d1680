import type { FileReferences } from '../collections/index.js';
import { canRead, type FilesService } from './files.service.js';

/** How long the signed URL in an expanded file field stays valid. */
export const EXPANDED_URL_TTL_S = 3600;

/**
 * How collections' `file` fields are checked, expanded and cascaded:
 * - attach: a caller may attach a file of this app it may read in its own right (its own, a
 *   public one; privileged callers: any);
 * - expand (`expand=avatar`): the file's metadata plus `url`, a signed URL of the original valid
 *   for EXPANDED_URL_TTL_S (usable in an <img> without headers), only for a file the caller may
 *   read (and with the `files:read` scope when the key is scoped); any other id expands to null,
 *   as an unreadable related document does;
 * - cascade: deletes through `FilesService.delete` (bytes, variants, files.delete event).
 */
export function fileReferences(files: FilesService): FileReferences {
  return {
    refused: async (appId, caller, ids) => {
      const found = await files.findMany(appId, ids);
      const ok = new Set(found.filter((f) => canRead({ ...caller, appId, scopes: [] }, f)).map((f) => f.id));
      return new Set(ids.filter((id) => !ok.has(id)));
    },
    describe: async (appId, caller, ids) => {
      const out = new Map<string, Record<string, unknown>>();
      const scoped = caller.scopes.length > 0;
      if (scoped && !caller.scopes.includes('files:read') && !caller.scopes.includes('files:*')) return out;
      const fileCaller = { appId, privileged: caller.privileged, userId: caller.userId, scopes: caller.scopes };
      for (const file of await files.findMany(appId, ids)) {
        if (!canRead(fileCaller, file)) continue;
        const { url, expiresAt } = await files.signedUrl(fileCaller, file.id, EXPANDED_URL_TTL_S);
        out.set(file.id, { ...file, url, urlExpiresAt: expiresAt });
      }
      return out;
    },
    remove: async (appId, ids, owner) => {
      for (const file of await files.findMany(appId, ids)) {
        if (file.owner === owner) await files.delete(appId, file);
      }
    },
  };
}
