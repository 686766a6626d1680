import { z } from 'zod';
import { HearthError } from '../../errors.js';
import type { FilesService } from './files.service.js';
import { THUMB_FITS, MAX_THUMB_SIDE } from './thumbnails.js';
import { THUMBNAIL_JOB, type ThumbnailPayload } from './variants.js';

/**
 * `files.thumbnail` (payload v1: file id, width, height, fit; the app is the job's): renders one
 * variant of a large image out of the request (variants.ts says when). Safe to run twice: the
 * variant's key is derived from the file and the spec and written atomically by the file store,
 * and a run that finds it already made does nothing. A deleted file or a size the app no longer
 * offers ends the job quietly; an image that can never be rendered (not an image, over the pixel
 * or source-size limit) completes with `{refused: {code, reason, message}}`, which the waiting
 * request answers as that error; other failures are retried (3 attempts, backoff).
 */
export const thumbnailPayload = z.object({
  fileId: z.string().min(1).max(64),
  width: z.number().int().min(1).max(MAX_THUMB_SIDE),
  height: z.number().int().min(1).max(MAX_THUMB_SIDE),
  fit: z.enum(THUMB_FITS),
});

export function thumbnailJobType(deps: { files: FilesService }) {
  return {
    name: THUMBNAIL_JOB,
    version: 1,
    payload: thumbnailPayload as z.ZodType<ThumbnailPayload>,
    defaults: { attempts: 3, backoff: { type: 'exponential' as const, delay: 2_000 } },
    concurrency: 2,
    run: async (payload: ThumbnailPayload, ctx: { appId: string }): Promise<unknown> => {
      const file = await deps.files.find(ctx.appId, payload.fileId);
      if (!file) return { skipped: 'file_deleted' };
      try {
        const spec = await deps.files.variants.spec(ctx.appId, file, {
          thumb: `${payload.width}x${payload.height}`,
          fit: payload.fit,
        });
        if (!spec) return { skipped: 'no_variant' };
        const made = await deps.files.variants.render(ctx.appId, file, spec);
        return { key: made.key, size: made.size };
      } catch (e) {
        if (e instanceof HearthError && e.code !== 'internal' && e.code !== 'unavailable') {
          if (e.code === 'invalid_request') return { skipped: 'size_not_offered' };
          return {
            refused: {
              code: e.code,
              reason: e.details?.reason ?? null,
              message: e.message,
              details: e.details ?? null,
            },
          };
        }
        throw e;
      }
    },
  };
}
