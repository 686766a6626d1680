import Bull from 'bull';
import type { Logger } from 'pino';
import { HearthError, reasonError } from '../../errors.js';
import type {
  AddJobOptions,
  Backoff,
  Job,
  JobCounts,
  JobHandler,
  JobQueue,
  JobState,
  ListJobsOptions,
  RepeatOptions,
} from '../../ports/job-queue.js';
import { isUnrecoverable } from '../../ports/job-queue.js';
import { backoffDelay, checkAddOptions, emptyCounts, nextCronTick } from '../../ports/job-queue.helpers.js';
import { createRedisClient, redactUrl, type RedisClient } from '../redis/index.js';

/**
 * The bull engine (REDIS_URL, bull 4): one bull queue per name, keys under `hearth:`. bull holds
 * a lock on a running job and renews it; a worker that died loses the lock and bull's stalled
 * check (every `stalledIntervalMs`) puts the job back, so delivery is at-least-once. Repeatable
 * jobs are added once per tick across every process sharing the Redis (bull's tick ids).
 * Redis errors are `unavailable`; the driver's text stays in `cause`.
 */
export interface BullQueueOptions {
  url: string;
  logger: Logger;
  /** bull's lock on a running job (default 30 s), and how often stalled jobs are looked for. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Completed jobs are kept this long (default 7 days), failed ones 4 times longer. */
  keepCompletedMs?: number;
  prefix?: string;
  /** An add that Redis has not answered after this fails with `unavailable` (default 5000 ms). */
  addTimeoutMs?: number;
  /** A connection for pings and the queue list, shared with the rate limiters (closed by its owner). */
  client?: RedisClient | undefined;
}

/** bull's own job name: the string-first add(name, data) form, so a string payload is never taken for a name. */
const DEFAULT_NAME = '__default__';
const BACKOFF = 'hearth';
const QUEUES_KEY = (prefix: string) => `${prefix}:queues`;

export function createBullQueue(options: BullQueueOptions): JobQueue {
  return new BullJobQueue(options);
}

class BullJobQueue implements JobQueue {
  readonly engine = 'bull';
  private readonly queuesByName = new Map<string, Bull.Queue>();
  private readonly known = new Set<string>();
  private readonly client: RedisClient;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly keepSeconds: number;
  private closing = false;
  private warned = false;
  private readonly addTimeoutMs: number;

  constructor(private readonly options: BullQueueOptions) {
    this.prefix = options.prefix ?? 'hearth';
    this.keepSeconds = Math.round((options.keepCompletedMs ?? 7 * 24 * 3600_000) / 1000);
    this.addTimeoutMs = options.addTimeoutMs ?? 5000;
    this.ownsClient = !options.client;
    this.client = options.client ?? createRedisClient({ url: options.url, logger: options.logger });
    if (this.ownsClient) this.client.connect().catch(() => undefined);
  }

  private queue(name: string): Bull.Queue {
    if (this.closing) throw new HearthError('unavailable', 'The job queue is closing.');
    let q = this.queuesByName.get(name);
    if (!q) {
      q = new Bull(name, this.options.url, {
        prefix: this.prefix,
        settings: {
          lockDuration: this.options.lockDurationMs ?? 30_000,
          stalledInterval: this.options.stalledIntervalMs ?? 30_000,
          maxStalledCount: 2,
          // the port's backoff (ports/job-queue.helpers.ts), not bull's exponential ((2^n - 1) · delay)
          backoffStrategies: {
            [BACKOFF]: (attemptsMade: number, _err: Error, options: Backoff) => backoffDelay(options, attemptsMade),
          },
        },
      });
      q.on('error', (err: Error) => {
        if (this.warned) return;
        this.warned = true;
        this.options.logger.warn(
          { err: { message: err.message }, redis: redactUrl(this.options.url), queue: name },
          'job queue: redis error (bull reconnects in the background)',
        );
      });
      this.queuesByName.set(name, q);
    }
    if (!this.known.has(name)) {
      this.known.add(name);
      this.client.sadd(QUEUES_KEY(this.prefix), name).catch(() => this.known.delete(name));
    }
    return q;
  }

  async add<T>(queue: string, data: T, options: AddJobOptions = {}): Promise<Job<T>> {
    checkAddOptions(options);
    const q = this.queue(queue);
    return guard(async () => {
      // bull's connection queues commands while Redis is away: an add fails after a while instead of hanging its caller
      const job = await timeout(
        this.addTimeoutMs,
        q.add(DEFAULT_NAME, data ?? null, {
          ...(options.delay ? { delay: options.delay } : {}),
          attempts: options.attempts ?? 1,
          ...(options.backoff ? { backoff: { type: BACKOFF, options: { ...options.backoff } } } : {}),
          ...(options.jobId !== undefined ? { jobId: options.jobId } : {}),
          ...(options.priority !== undefined ? { priority: options.priority } : {}),
          removeOnComplete: options.removeOnComplete ? true : { age: this.keepSeconds },
          removeOnFail: { age: 4 * this.keepSeconds },
        }),
      );
      // with a jobId that already existed bull returns a job built from our arguments: read the real one
      const stored = options.jobId !== undefined ? ((await q.getJob(job.id)) ?? job) : job;
      return (await toJob(
        queue,
        stored,
        options.jobId !== undefined ? undefined : options.delay ? 'delayed' : 'waiting',
      )) as Job<T>;
    });
  }

  async addRepeatable<T>(queue: string, data: T, options: RepeatOptions): Promise<void> {
    const tz = options.tz ?? 'UTC';
    nextCronTick(options.cron, tz, new Date()); // invalid_request before anything is stored
    const q = this.queue(queue);
    await guard(async () => {
      await this.removeRepeatable(queue, options.key);
      // as add: while Redis is away this fails after a while (a schedule's PUT answers 503, not never)
      await timeout(
        this.addTimeoutMs,
        q.add(DEFAULT_NAME, data ?? null, {
          repeat: { cron: options.cron, tz },
          jobId: options.key,
          removeOnComplete: { age: this.keepSeconds },
          removeOnFail: { age: 4 * this.keepSeconds },
        }),
      );
    });
  }

  async removeRepeatable(queue: string, key: string): Promise<void> {
    const q = this.queue(queue);
    await guard(async () => {
      const repeatable = await timeout(this.addTimeoutMs, q.getRepeatableJobs());
      for (const r of repeatable) if (r.id === key) await timeout(this.addTimeoutMs, q.removeRepeatableByKey(r.key));
    });
  }

  process<T>(queue: string, options: { concurrency?: number }, handler: JobHandler<T>): void {
    const q = this.queue(queue);
    void q
      .process(Math.max(1, options.concurrency ?? 1), async (job: Bull.Job) => {
        const attempt = job.attemptsMade + 1;
        const view = await toJob(queue, job, 'active');
        try {
          return (
            (await handler(view as Job<T>, {
              attempt,
              progress: async (value) => {
                await job.progress(value);
              },
            })) ?? null
          );
        } catch (e) {
          if (isUnrecoverable(e)) job.discard();
          throw e;
        }
      })
      .catch((err: unknown) => this.options.logger.error({ err, queue }, 'job queue: worker stopped'));
  }

  async get(queue: string, id: string): Promise<Job | null> {
    const q = this.queue(queue);
    return guard(async () => {
      const job = await q.getJob(id);
      if (!job) return null;
      const state = (await job.getState()) as JobState;
      // the hash was read before the state: a job that finished in between is read again for its result
      const finished = state === 'completed' || state === 'failed' ? ((await q.getJob(id)) ?? job) : job;
      return toJob(queue, finished, state);
    });
  }

  async list(queue: string, options: ListJobsOptions): Promise<Job[]> {
    const q = this.queue(queue);
    const limit = Math.min(Math.max(options.limit ?? 20, 1), 1000);
    const offset = Math.max(options.offset ?? 0, 0);
    return guard(async () => {
      const jobs = await q.getJobs([options.state as Bull.JobStatus], offset, offset + limit - 1, false);
      return Promise.all(jobs.filter((j): j is Bull.Job => Boolean(j)).map((j) => toJob(queue, j, options.state)));
    });
  }

  async counts(queue: string): Promise<JobCounts> {
    const q = this.queue(queue);
    return guard(async () => {
      const raw = (await q.getJobCounts()) as unknown as Partial<JobCounts>;
      const counts = emptyCounts();
      for (const state of Object.keys(counts) as JobState[]) counts[state] = Number(raw[state] ?? 0);
      return counts;
    });
  }

  async retry(queue: string, id: string): Promise<boolean> {
    const q = this.queue(queue);
    return guard(async () => {
      const job = await q.getJob(id);
      if (!job || (await job.getState()) !== 'failed') return false;
      // fresh attempts, as the port says (bull's retry keeps the count)
      await q.client.hset(q.toKey(String(job.id)), 'attemptsMade', 0);
      await job.retry();
      return true;
    });
  }

  async remove(queue: string, id: string): Promise<boolean> {
    const q = this.queue(queue);
    return guard(async () => {
      const job = await q.getJob(id);
      if (!job) return false;
      if ((await job.getState()) === 'active') throw reasonError('conflict', 'in_progress', 'The job is running.');
      try {
        await job.remove();
      } catch (e) {
        throw reasonError('conflict', 'in_progress', 'The job is running.', undefined, { cause: e });
      }
      return true;
    });
  }

  async pause(queue: string): Promise<void> {
    const q = this.queue(queue);
    await guard(() => q.pause());
  }

  async resume(queue: string): Promise<void> {
    const q = this.queue(queue);
    await guard(() => q.resume());
  }

  async queues(): Promise<string[]> {
    return guard(async () => {
      const names = new Set(await this.client.smembers(QUEUES_KEY(this.prefix)));
      for (const name of this.known) names.add(name);
      return [...names].sort();
    });
  }

  async ping(): Promise<void> {
    await guard(() => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.allSettled([...this.queuesByName.values()].map((q) => q.close()));
    if (this.ownsClient) this.client.disconnect();
  }
}

function timeout<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof HearthError) throw e;
    throw new HearthError('unavailable', 'The job queue is unavailable.', undefined, { cause: e });
  }
}

async function toJob(queue: string, job: Bull.Job, known?: JobState): Promise<Job> {
  const state = known ?? ((await job.getState()) as string);
  const finished = job.finishedOn ? new Date(job.finishedOn) : undefined;
  return {
    id: String(job.id),
    queue,
    data: job.data as unknown,
    state: (state === 'stuck' ? 'waiting' : state) as JobState,
    // bull counts failed attempts; the port counts the running or completed one too
    attemptsMade: job.attemptsMade + (state === 'active' || state === 'completed' ? 1 : 0),
    attempts: job.opts.attempts ?? 1,
    progress: (job as unknown as { _progress: unknown })._progress ?? 0,
    ...(job.returnvalue !== undefined && job.returnvalue !== null ? { result: job.returnvalue as unknown } : {}),
    ...(job.failedReason ? { error: String(job.failedReason).slice(0, 1000) } : {}),
    createdAt: new Date(job.timestamp),
    ...(finished && (state === 'completed' || state === 'failed') ? { finishedAt: finished } : {}),
  };
}
