import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.js';
import { UnrecoverableJobError } from '../../ports/job-queue.js';
import type { JobType } from '../jobs/index.js';
import { RESTORE_JOB, type BackupsService } from './backups.service.js';

/**
 * `backups.restore` (payload v1): restores the archive of one restore record into a new app
 * (backups.service.ts `runRestore`). One attempt: a corrupt archive does not get better, and a
 * failed restore has removed its app. Safe to run twice: a second run (the worker died) removes the
 * app the first one had made before it starts over; a finished restore is not run again.
 */
export const restorePayload = z.object({ restoreId: z.string().regex(ID_PATTERN) });
export type RestorePayload = z.infer<typeof restorePayload>;

export function restoreJobType(deps: { backups: BackupsService }): JobType<RestorePayload> {
  return {
    name: RESTORE_JOB,
    version: 1,
    payload: restorePayload,
    defaults: { attempts: 1 },
    concurrency: 1,
    run: async (payload, ctx) => {
      try {
        return await deps.backups.runRestore(payload.restoreId, (p) => void ctx.progress(p).catch(() => undefined));
      } catch (e) {
        throw new UnrecoverableJobError(e instanceof Error ? e.message : 'The restore failed.');
      }
    },
  };
}
