import type { Logger } from 'pino';
import type { z } from 'zod';
import { HearthError, notFound } from '../../errors.js';
import { fieldErrors } from '../../http/route.js';
import { newId } from '../../lib/ids.js';
import { UnrecoverableJobError, type AddJobOptions, type Job, type JobQueue } from '../../ports/job-queue.js';

/**
 * Job types: one file each (types/*.ts here, or in the module that owns the work), registered
 * into the jobs module's registry. A type is a queue of its own name, a versioned payload (zod)
 * and a handler that is safe to run twice (delivery is at-least-once). Every job's data is an
 * envelope `{type, v, appId, payload}`: `v` is the payload version it was written with, so a
 * handler can still read jobs queued by the previous release (`upgrade`).
 */
export interface JobEnvelope {
  type: string;
  v: number;
  appId: string;
  payload: unknown;
}

export interface JobRunContext {
  appId: string;
  jobId: string;
  attempt: number;
  /** True on the job's last attempt (a handler may record a final failure). */
  lastAttempt: boolean;
  progress(value: unknown): Promise<void>;
  logger: Logger;
}

export interface JobType<P> {
  /** The type and its queue's name: lower-case, dotted (`mail`, `exports`, `webhooks.call`). */
  name: string;
  /** The payload version this release writes. */
  version: number;
  payload: z.ZodType<P>;
  /** Reads a payload written with an older version (default: refuse it). */
  upgrade?(v: number, payload: unknown): unknown;
  /** May an app enqueue it with `POST /v1/apps/{app}/jobs` (secret key)? Default: internal only. */
  api?: boolean;
  /** Attempts and backoff when the caller gives none. */
  defaults?: Pick<AddJobOptions, 'attempts' | 'backoff'>;
  concurrency?: number;
  run(payload: P, ctx: JobRunContext): Promise<unknown>;
}

export const TYPE_NAME = /^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)*$/;

export class JobTypes {
  private readonly types = new Map<string, JobType<unknown>>();
  private started = false;

  constructor(private readonly d: { jobs: JobQueue; logger: Logger }) {}

  /** Adds a type; its worker starts with the module (or at once, when registered later). */
  register<P>(type: JobType<P>): void {
    if (!TYPE_NAME.test(type.name)) throw new Error(`Job type name ${type.name} is not lower-case dotted.`);
    if (this.types.has(type.name)) throw new Error(`Job type ${type.name} is already registered.`);
    this.types.set(type.name, type as JobType<unknown>);
    if (this.started) this.startOne(type as JobType<unknown>);
  }

  get(name: string): JobType<unknown> | undefined {
    return this.types.get(name);
  }

  names(options: { api?: boolean } = {}): string[] {
    return [...this.types.values()].filter((t) => !options.api || t.api).map((t) => t.name);
  }

  /** Validates the payload against the type and queues it for `appId`. */
  async enqueue<P>(appId: string, name: string, payload: P, options: AddJobOptions = {}): Promise<Job<JobEnvelope>> {
    const type = this.types.get(name);
    if (!type) throw notFound('No such job type.');
    const parsed = type.payload.safeParse(payload);
    if (!parsed.success) {
      const fields = Object.fromEntries(
        Object.entries(fieldErrors(parsed.error)).map(([k, v]) => [k === '(body)' ? 'payload' : `payload.${k}`, v]),
      );
      throw new HearthError('validation_failed', 'The job payload is invalid.', { fields });
    }
    const envelope: JobEnvelope = { type: name, v: type.version, appId, payload: parsed.data };
    return this.d.jobs.add(name, envelope, {
      ...type.defaults,
      ...options,
      jobId: options.jobId ?? newId(),
    });
  }

  /** Starts one worker per registered type on this process. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const type of this.types.values()) this.startOne(type);
  }

  private startOne(type: JobType<unknown>): void {
    this.d.jobs.process<JobEnvelope>(type.name, { concurrency: type.concurrency ?? 4 }, async (job, ctx) => {
      const envelope = job.data;
      let raw = envelope.payload;
      if (envelope.v !== type.version) {
        if (!type.upgrade || envelope.v > type.version) {
          throw new UnrecoverableJobError(`payload version ${envelope.v} is not readable by this release`);
        }
        raw = type.upgrade(envelope.v, raw);
      }
      const parsed = type.payload.safeParse(raw);
      if (!parsed.success) throw new UnrecoverableJobError('payload does not match its type');
      return type.run(parsed.data, {
        appId: envelope.appId,
        jobId: job.id,
        attempt: ctx.attempt,
        lastAttempt: ctx.attempt >= job.attempts,
        progress: ctx.progress,
        logger: this.d.logger.child({ job: job.id, type: type.name, appId: envelope.appId }),
      });
    });
  }
}
