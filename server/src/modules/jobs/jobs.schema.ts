import { z } from 'zod';
import { idParam } from '../../http/schemas.js';
import type { Job } from '../../ports/job-queue.js';
import type { JobEnvelope } from './job-types.js';

export const JOB_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'paused'] as const;
const jobState = z.enum(JOB_STATES);
/** Job ids: ours (`newId`) or the engine's, and an app's de-duplication keys prefixed with its id. */
const jobIdParam = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'must be a job id');
const queueName = z.string().regex(/^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)*$/, 'must be a queue name');

export const appParams = z.object({ appId: idParam });
export const appJobParams = z.object({ appId: idParam, jobId: jobIdParam });
export const queueParams = z.object({ queue: queueName });
export const queueJobParams = z.object({ queue: queueName, jobId: jobIdParam });

const MAX_DELAY_MS = 30 * 24 * 3600_000;

export const enqueueBody = z.strictObject({
  type: z.string().min(1).max(64),
  payload: z.record(z.string(), z.unknown()).default({}),
  /** Milliseconds before it may run (at most 30 days). */
  delay: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
  /** De-duplication key: a job with this key that the app already has is returned instead. */
  key: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
    .optional(),
  priority: z.number().int().min(1).max(1000).optional(),
  attempts: z.number().int().min(1).max(25).optional(),
});

export const jobListQuery = z.object({
  state: jobState,
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** What an app sees of its job (no payload echo, no other app's anything). */
export const appJobView = z.object({
  id: z.string(),
  type: z.string(),
  state: jobState,
  attempts: z.number().int(),
  attemptsMade: z.number().int(),
  progress: z.unknown(),
  // Any JSON value the handler returned (null when none): z.unknown() already admits null.
  result: z.unknown(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

/** The admin's view: the app and the payload too. */
export const adminJobView = appJobView.extend({ queue: z.string(), appId: z.string().nullable(), data: z.unknown() });

export const queueView = z.object({
  name: z.string(),
  counts: z.object(
    Object.fromEntries(JOB_STATES.map((s) => [s, z.number().int()])) as Record<
      (typeof JOB_STATES)[number],
      z.ZodNumber
    >,
  ),
});

export function toAppJobView(job: Job): z.infer<typeof appJobView> {
  const envelope = job.data as Partial<JobEnvelope> | null;
  return {
    id: job.id,
    type: typeof envelope?.type === 'string' ? envelope.type : job.queue,
    state: job.state,
    attempts: job.attempts,
    attemptsMade: job.attemptsMade,
    progress: job.progress ?? 0,
    result: job.result ?? null,
    error: job.error ?? null,
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt ? job.finishedAt.toISOString() : null,
  };
}

export function toAdminJobView(job: Job): z.infer<typeof adminJobView> {
  const envelope = job.data as Partial<JobEnvelope> | null;
  return {
    ...toAppJobView(job),
    queue: job.queue,
    appId: typeof envelope?.appId === 'string' ? envelope.appId : null,
    data: envelope && 'payload' in envelope ? envelope.payload : job.data,
  };
}
