import cronParser from 'cron-parser';
import { HearthError, isError, notFound } from '../../errors.js';
import type { RequestMeta } from '../../principals.js';
import { auditMeta } from '../audit/index.js';
import type { JobEnvelope } from '../jobs/index.js';
import type { BackupDeps } from './backups.deps.js';
import type { BackupScheduleView } from './backups.schema.js';
import { BACKUP_JOB } from './backups.service.js';

export const SCHEDULES = 'backup_schedules';
/** Scheduled backups may not run more often than this. */
export const MIN_INTERVAL_MS = 15 * 60_000;

const cronError = (message: string) =>
  new HearthError('validation_failed', 'One or more fields are invalid.', { fields: { cron: message } });

/** The next ticks of a cron (cron-parser, as the job queues read it); a bad one is a field error. */
function ticks(cron: string, timezone: string, n: number, from: Date): Date[] {
  const fields = cron.trim().split(/\s+/).length;
  if (fields !== 5) throw cronError('must have five fields');
  try {
    const expr = cronParser.parseExpression(cron, { tz: timezone, currentDate: from });
    return Array.from({ length: n }, () => expr.next().toDate());
  } catch {
    throw cronError('is not a valid cron expression (or the time zone is unknown)');
  }
}

export const scheduleKey = (appId: string) => `backup.${appId}`;

/**
 * Scheduled backups, one schedule per app (`backup_schedules`, id = app id): a repeatable job on
 * the `backups.create` queue (the port adds one job per tick across replicas) whose backups are
 * `trigger: scheduled`; after each completes, only the newest `keep` scheduled backups of the app
 * are kept (manual backups are never pruned).
 */
export class BackupSchedules {
  constructor(private readonly d: BackupDeps) {}

  private view(appId: string, doc: Record<string, unknown>): BackupScheduleView {
    const cron = String(doc.cron);
    const timezone = String(doc.timezone);
    return {
      appId,
      cron,
      timezone,
      keep: Number(doc.keep),
      nextRunAt: ticks(cron, timezone, 1, this.d.now())[0]!.toISOString(),
    };
  }

  async get(appId: string): Promise<BackupScheduleView> {
    await this.d.apps.services.apps.get(appId);
    const doc = await this.d.system.get(SCHEDULES, appId);
    if (!doc) throw notFound('The app has no backup schedule.');
    return this.view(appId, doc);
  }

  /** The schedule's `keep`, or null when the app has none. */
  async keepOf(appId: string): Promise<number | null> {
    const doc = await this.d.system.get(SCHEDULES, appId);
    return doc ? Number(doc.keep) : null;
  }

  async put(
    appId: string,
    input: { cron: string; timezone: string; keep: number },
    meta: RequestMeta,
  ): Promise<BackupScheduleView> {
    await this.d.apps.services.apps.get(appId);
    const next = ticks(input.cron, input.timezone, 12, this.d.now());
    for (let i = 1; i < next.length; i++) {
      if (next[i]!.getTime() - next[i - 1]!.getTime() < MIN_INTERVAL_MS) {
        throw cronError(`fires more often than every ${MIN_INTERVAL_MS / 60_000} minutes`);
      }
    }
    const data = { cron: input.cron.trim(), timezone: input.timezone, keep: input.keep };
    const existing = await this.d.system.get(SCHEDULES, appId);
    if (existing) await this.d.system.replace(SCHEDULES, appId, data);
    else await this.d.system.create(SCHEDULES, { id: appId, data });
    const envelope: JobEnvelope = { type: BACKUP_JOB, v: 1, appId, payload: { trigger: 'scheduled' } };
    await this.d.jobs.addRepeatable(BACKUP_JOB, envelope, {
      cron: data.cron,
      tz: data.timezone,
      key: scheduleKey(appId),
    });
    await this.d.audit.record({
      adminId: meta.adminId ?? null,
      action: 'backup.schedule.put',
      target: { type: 'app', id: appId },
      details: data,
      ...auditMeta(meta),
    });
    return this.view(appId, data);
  }

  async remove(appId: string, meta: RequestMeta | null): Promise<void> {
    await this.d.jobs.removeRepeatable(BACKUP_JOB, scheduleKey(appId));
    await this.d.system.delete(SCHEDULES, appId).catch((e: unknown) => {
      if (!isError(e, 'not_found')) throw e;
      if (meta) throw notFound('The app has no backup schedule.');
    });
    if (meta) {
      await this.d.audit.record({
        adminId: meta.adminId ?? null,
        action: 'backup.schedule.delete',
        target: { type: 'app', id: appId },
        ...auditMeta(meta),
      });
    }
  }
}
