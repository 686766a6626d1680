import { newId } from '../../lib/ids.js';
import type { Job, JobQueue } from '../../ports/job-queue.js';
import type { JobTypes } from '../jobs/index.js';
import type { RunView } from './schedules.schema.js';
import {
  SCHEDULE_QUEUE,
  type ScheduleFirePayloadV1,
  type SchedulesService,
  type StoredSchedule,
} from './schedules.service.js';
import type { WebhookDispatcher } from './webhook-dispatch.js';
import type { WebhooksService } from './webhooks.service.js';

/**
 * The schedule-fire job type: one job per cron tick of one schedule, added by the port's
 * repeatable jobs on the `schedules` queue. Payload (versioned): `{ v: 1, appId, scheduleId }`.
 *
 * A run queues one delivery of the event `schedule.fire` to the schedule's webhook (signed,
 * retried and logged like every delivery):
 * `{ id, type: "schedule.fire", appId, createdAt, data: { schedule: {id, name, cron, timezone}, trigger } }`.
 *
 * A job target queues one job of its type with the schedule's payload instead (job id
 * `schedule-<run>`), as the app could with `POST /v1/apps/{app}/jobs`.
 *
 * Safe to run twice: the run's id is derived from the tick's job id, so a second run of the same
 * tick finds its record and does nothing. A schedule deleted or disabled since the tick is
 * skipped without a run.
 */
export class ScheduleFireJob {
  constructor(
    private readonly deps: {
      jobs: JobQueue;
      schedules: SchedulesService;
      webhooks: WebhooksService;
      dispatcher: WebhookDispatcher;
      /** Where a job target's job is queued (the jobs module's registry). */
      jobTypes?: Pick<JobTypes, 'enqueue'>;
      now: () => Date;
    },
  ) {}

  start(concurrency: number): void {
    this.deps.jobs.process(SCHEDULE_QUEUE, { concurrency }, (job) => this.handle(job));
  }

  async handle(job: Job): Promise<unknown> {
    const p = job.data as Partial<ScheduleFirePayloadV1> | null;
    if (!p || p.v !== 1 || typeof p.appId !== 'string' || typeof p.scheduleId !== 'string') {
      return { skipped: 'unknown payload' };
    }
    const s = await this.deps.schedules.find(p.appId, p.scheduleId);
    if (!s || !s.enabled) return { skipped: s ? 'disabled' : 'no such schedule' };
    const run = await this.fire(p.appId, s, 'cron', job.id);
    return run ? { run: run.id, status: run.status } : { skipped: 'tick already ran' };
  }

  /** One run of a schedule now (a cron tick, or "run now" from the admin API). */
  async fire(appId: string, s: StoredSchedule, trigger: RunView['trigger'], tickId?: string): Promise<RunView | null> {
    const runId = await this.deps.schedules.startRun(appId, s, trigger, tickId);
    if (!runId) return null;
    if (s.target.type === 'job') {
      if (!this.deps.jobTypes) return this.deps.schedules.finishRun(appId, runId, { error: 'jobs are not available' });
      try {
        // The run id makes the job id: a run that is retried queues its job once.
        const job = await this.deps.jobTypes.enqueue(appId, s.target.job, s.target.payload, {
          jobId: `schedule-${runId}`,
        });
        return this.deps.schedules.finishRun(appId, runId, { jobId: job.id });
      } catch (e) {
        return this.deps.schedules.finishRun(appId, runId, {
          error: `the job could not be queued: ${(e as Error).message}`,
        });
      }
    }
    const hook = await this.deps.webhooks.find(appId, s.target.webhookId);
    if (!hook || !hook.enabled) {
      return this.deps.schedules.finishRun(appId, runId, {
        error: hook ? 'the webhook is disabled' : 'the webhook no longer exists',
      });
    }
    const at = this.deps.now().toISOString();
    const d = await this.deps.dispatcher.deliverTo(appId, hook, {
      id: newId(),
      type: 'schedule.fire',
      appId,
      createdAt: at,
      data: { schedule: { id: s.id, name: s.name, cron: s.cron, timezone: s.timezone }, trigger, runId },
    });
    return this.deps.schedules.finishRun(appId, runId, { deliveryId: d.id });
  }
}
