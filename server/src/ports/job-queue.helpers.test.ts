import { describe, expect, it } from 'vitest';
import { backoffDelay, checkAddOptions, nextCronTick } from './job-queue.helpers.js';

describe('job queue helpers', () => {
  it('reads a cron expression in its time zone, across a DST change', () => {
    // 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT)
    expect(nextCronTick('0 9 * * *', 'America/New_York', new Date('2026-01-10T12:00:00Z')).toISOString()).toBe(
      '2026-01-10T14:00:00.000Z',
    );
    expect(nextCronTick('0 9 * * *', 'America/New_York', new Date('2026-07-10T12:00:00Z')).toISOString()).toBe(
      '2026-07-10T13:00:00.000Z',
    );
    expect(nextCronTick('*/15 * * * *', undefined, new Date('2026-01-10T12:07:00Z')).toISOString()).toBe(
      '2026-01-10T12:15:00.000Z',
    );
    expect(() => nextCronTick('61 * * * *', 'UTC', new Date())).toThrow(/cron/);
  });

  it('computes fixed and exponential backoff as bull does', () => {
    expect([1, 2, 3].map((n) => backoffDelay({ type: 'fixed', delay: 500 }, n))).toEqual([500, 500, 500]);
    expect([1, 2, 3, 4].map((n) => backoffDelay({ type: 'exponential', delay: 1000 }, n))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
    expect(backoffDelay(undefined, 3)).toBe(0);
    // jitter shortens each wait by up to its fraction
    expect(backoffDelay({ type: 'exponential', delay: 1000, jitter: 0.5 }, 2, () => 1)).toBe(1000);
    expect(backoffDelay({ type: 'exponential', delay: 1000, jitter: 0.5 }, 2, () => 0)).toBe(2000);
    expect(() => checkAddOptions({ backoff: { type: 'fixed', delay: 1, jitter: 2 } })).toThrow();
  });

  it('refuses options no engine could honour', () => {
    expect(() => checkAddOptions({ attempts: 1.5 })).toThrow();
    expect(() => checkAddOptions({ backoff: { type: 'fixed', delay: Number.NaN } })).toThrow();
    expect(() => checkAddOptions({ delay: 0, attempts: 3, priority: 1, jobId: 'app1:nightly' })).not.toThrow();
  });
});
