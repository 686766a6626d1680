/**
 * The job-queue port: named queues of background jobs (mail delivery, webhook deliveries,
 * thumbnails, exports, push fan-out). Engines: bull on Redis (with REDIS_URL) and a durable
 * embedded queue in the document store (the default). Both pass one conformance suite.
 *
 * Semantics every engine keeps:
 * - at-least-once: a job whose worker died (lease expired) runs again, so handlers must be safe
 *   to run twice (each job type's file says how it is);
 * - `jobId` de-duplicates: adding a job whose id is already kept (waiting, delayed, active, and
 *   also completed or failed until removed or pruned, as on bull) returns the existing job and
 *   adds nothing;
 * - a failed attempt is retried after `backoff` until `attempts` are used up, then the job is
 *   `failed` with its last error;
 * - lower `priority` numbers run first (bull's convention); equal priorities run in order added;
 * - `close()` stops taking jobs and waits for running handlers to finish.
 *
 * Payloads and results are JSON values. Queue names are code-defined (`mail`, `webhooks`, …),
 * never client input.
 */

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'paused';

export interface Backoff {
  type: 'fixed' | 'exponential';
  /** Milliseconds: the fixed delay, or the first delay that doubles on each retry. */
  delay: number;
}

export interface AddJobOptions {
  /** Milliseconds before the job may run. */
  delay?: number;
  /** Total attempts including the first (default 1). */
  attempts?: number;
  backoff?: Backoff;
  /** De-duplication id (see the port's semantics). */
  jobId?: string;
  /** 1 and up, lower runs first; jobs without one run after every prioritised job. */
  priority?: number;
}

export interface RepeatOptions {
  /** A five- or six-field cron expression. */
  cron: string;
  /** IANA time zone the cron is read in (default UTC). */
  tz?: string;
  /** Identifies the repeatable job, for `removeRepeatable`; one per (queue, key). */
  key: string;
}

export interface Job<T = unknown> {
  id: string;
  queue: string;
  data: T;
  state: JobState;
  /** Attempts made so far, the running or completed one included. */
  attemptsMade: number;
  attempts: number;
  /** 0–100, or a JSON value the handler reported. */
  progress: unknown;
  result?: unknown;
  /** Last error message (never a stack). */
  error?: string;
  createdAt: Date;
  /** When it finished (completed or finally failed). */
  finishedAt?: Date;
}

export interface JobContext {
  /** Report progress (persisted; visible through `get`). */
  progress(value: unknown): Promise<void>;
  /** The attempt being run, starting at 1. */
  attempt: number;
}

export type JobHandler<T = unknown> = (job: Job<T>, context: JobContext) => Promise<unknown>;

export type JobCounts = Record<JobState, number>;

export interface ListJobsOptions {
  state: JobState;
  /** Zero-based offset into the jobs in that state, newest first. */
  offset?: number;
  limit?: number;
}

export interface JobQueue {
  readonly engine: string;
  add<T>(queue: string, data: T, options?: AddJobOptions): Promise<Job<T>>;
  /** Adds (or replaces, by key) a repeatable job that is added once per cron tick across replicas. */
  addRepeatable<T>(queue: string, data: T, options: RepeatOptions): Promise<void>;
  removeRepeatable(queue: string, key: string): Promise<void>;
  /** Starts a worker on this process for the queue. */
  process<T>(queue: string, options: { concurrency?: number }, handler: JobHandler<T>): void;
  get(queue: string, id: string): Promise<Job | null>;
  list(queue: string, options: ListJobsOptions): Promise<Job[]>;
  counts(queue: string): Promise<JobCounts>;
  /** Puts a failed job back to waiting with fresh attempts. */
  retry(queue: string, id: string): Promise<boolean>;
  remove(queue: string, id: string): Promise<boolean>;
  pause(queue: string): Promise<void>;
  resume(queue: string): Promise<void>;
  /** Queue names known to this queue (ones added to or processed). */
  queues(): Promise<string[]>;
  ping(): Promise<void>;
  /** Stops taking jobs, waits for running handlers, closes connections. */
  close(): Promise<void>;
}
