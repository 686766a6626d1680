import { z } from 'zod';
import { newId } from '../../../lib/ids.js';
import type { JobQueue } from '../../../ports/job-queue.js';
import type { Mailer, MailMessage, SentMail } from '../../../ports/mail.js';
import type { JobType, JobTypes } from '../job-types.js';

/**
 * Mail delivery (`mail`, payload v1: the message). Every mail the server sends goes through the
 * queue: a mail server that is down is retried (8 attempts, exponential from 5 s: about 10
 * minutes), and the request that caused it never waits for it.
 *
 * Safe to run twice: the job id is the delivery id (`MailMessage.id`), so the outbox keeps one
 * entry and SMTP repeats the same Message-ID. The job is removed once delivered, since its data
 * holds live one-time links.
 */
export const MAIL_JOB = 'mail';

const message = z.object({
  to: z.string().min(3).max(320),
  subject: z.string().max(998),
  text: z.string().max(1_000_000),
  html: z.string().max(2_000_000).optional(),
  from: z.string().max(320).optional(),
  kind: z.string().max(64).optional(),
});

export const mailPayload = z.object({ message });
export type MailPayload = z.infer<typeof mailPayload>;

export function mailJobType(deps: { mailer: Mailer }): JobType<MailPayload> {
  return {
    name: MAIL_JOB,
    version: 1,
    payload: mailPayload,
    defaults: { attempts: 8, backoff: { type: 'exponential', delay: 5000 } },
    concurrency: 8,
    run: async (payload, ctx) => {
      const sent = await deps.mailer.send({ ...stripUndefined(payload.message), appId: ctx.appId, id: ctx.jobId });
      return { id: sent.id };
    },
  };
}

/**
 * The Mailer modules send through: `send` queues a mail job and answers at once; `list` and the
 * engine name are the real mailer's. `settle()` waits until every mail queued by this process has
 * had its first attempt (tests and shutdown read the outbox or the SMTP server after it).
 */
export interface QueuedMailer extends Mailer {
  settle(): Promise<void>;
}

export function queuedMailer(deps: { mailer: Mailer; types: JobTypes; jobs: JobQueue }): QueuedMailer {
  const pending = new Set<string>();
  return {
    engine: deps.mailer.engine,
    async send(m: MailMessage): Promise<SentMail> {
      const { appId, id: _ignored, ...rest } = m;
      const job = await deps.types.enqueue(
        appId,
        MAIL_JOB,
        { message: rest },
        { jobId: `mail_${newId()}`, removeOnComplete: true },
      );
      pending.add(job.id);
      return { id: job.id };
    },
    list: (appId, page) => deps.mailer.list(appId, page),
    close: () => deps.mailer.close(),
    async settle() {
      const deadline = Date.now() + 15_000;
      for (const id of [...pending]) {
        for (;;) {
          const job = await deps.jobs.get(MAIL_JOB, id).catch(() => null);
          const tried =
            !job ||
            job.state === 'completed' ||
            job.state === 'failed' ||
            (job.state !== 'active' && job.attemptsMade > 0);
          if (tried || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        pending.delete(id);
      }
    },
  };
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
