import type { Logger } from 'pino';
import type { JobQueue } from '../../ports/job-queue.js';
import type { Mailer } from '../../ports/mail.js';
import type { AdminAuth } from '../admin/index.js';
import type { AuditLog } from '../audit/index.js';
import type { HearthModule } from '../module.js';
import { JobTypes } from './job-types.js';
import { adminJobRoutes, jobRoutes } from './jobs.routes.js';
import { mailJobType, queuedMailer, type QueuedMailer } from './types/mail.js';

/**
 * The jobs module: the registry of job types (one file each: types/ here, or in the module that
 * owns the work), one worker per type on every replica, the app API to queue a job and read it
 * back, and the admin API over the queues. Other modules register their types into
 * `services.types` when they are built (webhook calls, push fan-out, thumbnails); workers start in
 * `init`, after every module is built. Mail goes through `services.mailer`: a Mailer that queues.
 */
export type { JobEnvelope, JobRunContext, JobType, JobTypes } from './job-types.js';
export type { QueuedMailer } from './types/mail.js';
export { exportJobType, EXPORT_JOB } from './types/export.js';
export { MAIL_JOB } from './types/mail.js';

export interface JobsModule extends HearthModule {
  services: { types: JobTypes; mailer: QueuedMailer; queue: JobQueue };
}

export function createJobsModule(deps: {
  jobs: JobQueue;
  mailer: Mailer;
  guards: Pick<AdminAuth, 'requireAdmin'>;
  audit: AuditLog;
  logger: Logger;
}): JobsModule {
  const types = new JobTypes({ jobs: deps.jobs, logger: deps.logger });
  types.register(mailJobType({ mailer: deps.mailer }));
  const mailer = queuedMailer({ mailer: deps.mailer, types, jobs: deps.jobs });
  return {
    name: 'jobs',
    services: { types, mailer, queue: deps.jobs },
    routes: [
      ...jobRoutes({ jobs: deps.jobs, types }),
      ...adminJobRoutes({ jobs: deps.jobs, requireAdmin: deps.guards.requireAdmin, audit: deps.audit }),
    ],
    init: async () => {
      types.start();
    },
    settle: () => mailer.settle(),
  };
}
