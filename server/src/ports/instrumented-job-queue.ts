import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JobHandler, JobQueue, JobState } from './job-queue.js';

/**
 * The job-queue port with metrics, as a decorator (engines know nothing of them):
 * - `hearth_jobs{queue,state}`: jobs per queue and state, read from `counts` at scrape time;
 * - `hearth_job_duration_seconds{queue,outcome}`: handler run time, outcome completed | failed;
 * - `hearth_job_failures_total{queue}`: failed attempts (retried or final).
 * Queue names are code-defined, so the series are bounded.
 */
export function instrumentJobQueue(queue: JobQueue, registry: Registry): JobQueue {
  const duration = new Histogram({
    name: 'hearth_job_duration_seconds',
    help: 'Job handler run time by queue and outcome',
    labelNames: ['queue', 'outcome'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'hearth_job_failures_total',
    help: 'Failed job attempts by queue',
    labelNames: ['queue'],
    registers: [registry],
  });
  new Gauge({
    name: 'hearth_jobs',
    help: 'Jobs by queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const name of await queue.queues()) {
          const counts = await queue.counts(name);
          for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state: state as JobState }, n);
        }
      } catch {
        // the queue is down: /readyz says so; the scrape still answers
      }
    },
  });
  return new Proxy(queue, {
    get(target, prop, receiver) {
      if (prop !== 'process') {
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      const process = <T>(name: string, options: { concurrency?: number }, handler: JobHandler<T>) =>
        target.process<T>(name, options, async (job, ctx) => {
          const stop = duration.startTimer({ queue: name });
          try {
            const result = await handler(job, ctx);
            stop({ outcome: 'completed' });
            return result;
          } catch (e) {
            stop({ outcome: 'failed' });
            failures.inc({ queue: name });
            throw e;
          }
        });
      return process;
    },
  });
}
