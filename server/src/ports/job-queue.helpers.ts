import cronParser from 'cron-parser';
import { HearthError } from '../errors.js';
import type { AddJobOptions, Backoff, JobCounts } from './job-queue.js';

/** The wait before retry number `attemptsMade` (1 after the first failure): bull's formulas. */
export function backoffDelay(backoff: Backoff | undefined, attemptsMade: number): number {
  if (!backoff) return 0;
  if (backoff.type === 'fixed') return backoff.delay;
  return Math.round(backoff.delay * 2 ** Math.max(0, attemptsMade - 1));
}

/**
 * The next tick of `cron` in `tz` strictly after `after` (cron-parser 4, the version bull uses, so
 * both engines read an expression the same way). A bad expression or zone is `invalid_request`.
 */
export function nextCronTick(cron: string, tz: string | undefined, after: Date): Date {
  try {
    return cronParser
      .parseExpression(cron, { currentDate: after, tz: tz ?? 'UTC' })
      .next()
      .toDate();
  } catch (e) {
    throw new HearthError(
      'invalid_request',
      `Not a valid cron expression or time zone: ${cron} (${tz ?? 'UTC'}).`,
      undefined,
      {
        cause: e,
      },
    );
  }
}

/** Checks the options every engine takes, the same way (a programming error is `invalid_request`). */
export function checkAddOptions(options: AddJobOptions): void {
  const bad = (what: string) => {
    throw new HearthError('invalid_request', `Job option ${what} is invalid.`);
  };
  if (options.delay !== undefined && !(Number.isFinite(options.delay) && options.delay >= 0)) bad('delay');
  if (options.attempts !== undefined && !(Number.isInteger(options.attempts) && options.attempts >= 1)) bad('attempts');
  if (options.priority !== undefined && !(Number.isInteger(options.priority) && options.priority >= 1)) bad('priority');
  if (options.backoff && !(Number.isFinite(options.backoff.delay) && options.backoff.delay >= 0)) bad('backoff');
  if (options.jobId !== undefined && !/^[A-Za-z0-9_.:-]{1,200}$/.test(options.jobId)) bad('jobId');
}

export const emptyCounts = (): JobCounts => ({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, paused: 0 });

/** The message kept for a failed attempt: the error's message only (never a stack), bounded. */
export function errorText(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.slice(0, 1000) || 'failed';
}
