import { z } from 'zod';
import { idParam } from '../../http/schemas.js';

export const BACKUP_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;

const progress = z
  .object({ phase: z.string(), done: z.number().int(), total: z.number().int().optional() })
  .nullable()
  .describe('How far the job is (documents and files done), while it runs');

const counts = z
  .object({
    collections: z.array(z.object({ name: z.string(), documents: z.number().int() })),
    files: z.object({ count: z.number().int(), bytes: z.number().int() }),
    schemas: z.number().int(),
  })
  .nullable();

export const backupView = z.object({
  id: z.string(),
  appId: z.string(),
  appName: z.string(),
  trigger: z.enum(['manual', 'scheduled']),
  status: z.enum(BACKUP_STATUSES),
  formatVersion: z.number().int(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  /** Bytes of the archive (gzip). */
  size: z.number().int().nullable(),
  counts,
  progress,
  error: z.string().nullable(),
});
export type BackupView = z.infer<typeof backupView>;

export const restoreView = z.object({
  id: z.string(),
  status: z.enum(BACKUP_STATUSES),
  /** The stored backup restored, or null for an uploaded archive. */
  backupId: z.string().nullable(),
  /** The new app, once it exists. */
  appId: z.string().nullable(),
  name: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  progress,
  result: z
    .object({
      publicKey: z.string(),
      counts,
      unreadableSecrets: z.object({ pushCredentials: z.array(z.string()), webhooks: z.array(z.string()) }),
      sourceAppId: z.string(),
      formatVersion: z.number().int(),
    })
    .nullable(),
  error: z.object({ message: z.string(), reason: z.string().nullable() }).nullable(),
});
export type RestoreView = z.infer<typeof restoreView>;

export const scheduleView = z.object({
  appId: z.string(),
  cron: z.string(),
  timezone: z.string(),
  /** Scheduled backups kept; older ones are deleted after each new one completes. */
  keep: z.number().int(),
  nextRunAt: z.string(),
});
export type BackupScheduleView = z.infer<typeof scheduleView>;

export const scheduleBody = z.strictObject({
  cron: z.string().min(9).max(100),
  timezone: z.string().min(1).max(64).default('UTC'),
  keep: z.number().int().min(1).max(365),
});

export const appParams = z.object({ appId: idParam });
export const backupParams = z.object({ backupId: idParam });
export const restoreParams = z.object({ restoreId: idParam });
export const backupListQuery = z.object({
  appId: idParam.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).max(4096).optional(),
});
export const restoreBody = z.strictObject({
  /** The new app's name (default: the backed-up app's name). */
  name: z.string().trim().min(1).max(100).optional(),
});
export const uploadQuery = z.object({ name: z.string().trim().min(1).max(100).optional() });

export const GZIP = { type: 'application/gzip', schema: { type: 'string', contentMediaType: 'application/gzip' } };
