import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ID_PATTERN } from '../../lib/ids.js';
import type { JobType } from '../jobs/index.js';
import type { BackupSchedules } from './backup-schedules.js';
import { BACKUP_JOB, type BackupsService } from './backups.service.js';

/**
 * `backups.create` (payload v1): writes one app's archive into the file store (backups.service.ts
 * `run`). Manual backups carry their record's id; scheduled ones (a repeatable job) derive it from
 * the job id, so a tick whose job runs twice makes one backup. Safe to run twice: the same id
 * writes the same key and record. After a scheduled backup, the schedule's retention prunes.
 */
export const backupPayload = z.object({
  backupId: z.string().regex(ID_PATTERN).optional(),
  trigger: z.enum(['manual', 'scheduled']).default('manual'),
});
export type BackupPayload = z.infer<typeof backupPayload>;

export const scheduledBackupId = (jobId: string): string =>
  `s${createHash('sha256').update(jobId).digest('base64url').slice(0, 23)}`;

export function backupJobType(deps: { backups: BackupsService; schedules: BackupSchedules }): JobType<BackupPayload> {
  return {
    name: BACKUP_JOB,
    version: 1,
    payload: backupPayload,
    defaults: { attempts: 3, backoff: { type: 'exponential', delay: 30_000 } },
    concurrency: 1,
    run: async (payload, ctx) => {
      const backupId = payload.backupId ?? scheduledBackupId(ctx.jobId);
      try {
        const result = await deps.backups.run({
          appId: ctx.appId,
          backupId,
          trigger: payload.trigger,
          progress: (p) => void ctx.progress(p).catch(() => undefined),
        });
        if (payload.trigger === 'scheduled') {
          const keep = await deps.schedules.keepOf(ctx.appId);
          if (keep !== null) await deps.backups.prune(ctx.appId, keep);
        }
        return result;
      } catch (e) {
        if (ctx.lastAttempt) await deps.backups.failed(backupId, e);
        else ctx.logger.warn({ err: e }, 'backup attempt failed; retrying');
        throw e;
      }
    },
  };
}
