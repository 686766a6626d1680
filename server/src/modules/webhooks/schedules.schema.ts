import { z } from 'zod';
import { idParam } from '../../http/schemas.js';

/** Request and response schemas of the schedule routes. */
export const scheduleParams = z.object({ appId: idParam, scheduleId: idParam });

const cron = z.string().trim().min(9).max(120);
/** An IANA time zone name such as Europe/Paris (checked against the runtime's zone database). */
export const timezone = z
  .string()
  .min(1)
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Europe/Paris');

/**
 * What a schedule calls on each tick: one of the app's webhooks (event `schedule.fire`), or a job
 * of a type apps may queue themselves (`POST /v1/apps/{app}/jobs`), with a fixed payload.
 */
const target = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('webhook'), webhookId: idParam }),
  z.strictObject({
    type: z.literal('job'),
    job: z.string().min(1).max(64),
    // Checked against the job type's own payload schema when saved (schedules.routes.ts).
    payload: z.record(z.string(), z.unknown()).default({}),
  }),
]);
export type ScheduleTarget = z.infer<typeof target>;

export const scheduleCreate = z.strictObject({
  name: z.string().trim().min(1).max(100),
  description: z.string().max(500).default(''),
  cron: cron.describe('Five fields (minute hour day month weekday), or six with seconds first'),
  timezone: timezone.default('UTC'),
  target,
  enabled: z.boolean().default(true),
});

export const schedulePatch = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    description: z.string().max(500).optional(),
    cron: cron.optional(),
    timezone: timezone.optional(),
    target: target.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change something');

export const scheduleView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  cron: z.string(),
  timezone: z.string(),
  target: target,
  enabled: z.boolean(),
  /** The next tick (null when disabled). */
  nextRunAt: z.string().nullable(),
  lastRunAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ScheduleView = z.infer<typeof scheduleView>;

export const runView = z.object({
  id: z.string(),
  scheduleId: z.string(),
  trigger: z.enum(['cron', 'manual']),
  at: z.string(),
  /** delivered: a delivery (deliveryId) or job (jobId) was queued; skipped: the target is missing or disabled. */
  status: z.enum(['delivered', 'skipped']),
  deliveryId: z.string().nullable(),
  jobId: z.string().nullable(),
  error: z.string().nullable(),
});
export type RunView = z.infer<typeof runView>;

export const runsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).max(4096).optional(),
});
