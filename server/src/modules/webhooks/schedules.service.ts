import cronParser from 'cron-parser';
import { HearthError, isError, notFound } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { sha256 } from '../../lib/hash.js';
import { newId } from '../../lib/ids.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { JobQueue } from '../../ports/job-queue.js';
import { readAllArray } from '../../ports/read-all.js';
import type { RunView, ScheduleView } from './schedules.schema.js';

/**
 * An app's schedules (`_schedules` in the app's store) and their run history (`_schedule_runs`).
 * Each enabled schedule is a repeatable job of the job-queue port on the `schedules` queue, keyed
 * `<app>.<schedule>`: the port adds one job per cron tick across all replicas, so a schedule
 * fires once per tick however many replicas run. Creating, changing, disabling or deleting a
 * schedule adds, replaces or removes its repeatable job.
 *
 * Cron expressions are read by cron-parser 4 (the version bull and the queue engines use; five fields, or six with seconds) in the schedule's
 * IANA time zone; ticks closer together than `minIntervalMs` (default 60 s) are refused.
 */
export const SCHEDULES = '_schedules';
export const RUNS = '_schedule_runs';
export const SCHEDULE_QUEUE = 'schedules';

export interface ScheduleFirePayloadV1 {
  v: 1;
  appId: string;
  scheduleId: string;
}

export type StoredSchedule = Omit<ScheduleView, 'nextRunAt'>;

function fromDoc(doc: StoredDocument): StoredSchedule {
  return {
    id: doc.id,
    name: String(doc.name),
    description: String(doc.description ?? ''),
    cron: String(doc.cron),
    timezone: String(doc.timezone),
    target: doc.target as StoredSchedule['target'],
    enabled: doc.enabled === true,
    lastRunAt: (doc.lastRunAt as string | null) ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

function runFromDoc(doc: StoredDocument): RunView {
  return {
    id: doc.id,
    scheduleId: String(doc.scheduleId),
    trigger: doc.trigger as RunView['trigger'],
    at: doc.createdAt,
    status: doc.status as RunView['status'],
    deliveryId: (doc.deliveryId as string | null) ?? null,
    jobId: (doc.jobId as string | null) ?? null,
    error: (doc.error as string | null) ?? null,
  };
}

const cronError = (message: string) =>
  new HearthError('validation_failed', 'One or more fields are invalid.', { fields: { cron: message } });

/** The next `n` ticks of a cron in a time zone; a bad expression is a field error on `cron`. */
export function nextTicks(cron: string, timezone: string, n: number, from: Date): Date[] {
  const fields = cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) throw cronError('must have five fields (or six, with seconds first)');
  try {
    const expr = cronParser.parseExpression(cron, { tz: timezone, currentDate: from });
    return Array.from({ length: n }, () => expr.next().toDate());
  } catch {
    throw cronError('is not a valid cron expression');
  }
}

export class SchedulesService {
  constructor(
    private readonly options: {
      store: DocumentStore;
      jobs: JobQueue;
      minIntervalMs: number;
      now: () => Date;
    },
  ) {}

  private app(appId: string) {
    return this.options.store.forApp(appId);
  }

  view(s: StoredSchedule): ScheduleView {
    return {
      ...s,
      nextRunAt: s.enabled ? nextTicks(s.cron, s.timezone, 1, this.options.now())[0]!.toISOString() : null,
    };
  }

  private checkCron(cron: string, timezone: string): void {
    const ticks = nextTicks(cron, timezone, 12, this.options.now());
    for (let i = 1; i < ticks.length; i++) {
      if (ticks[i]!.getTime() - ticks[i - 1]!.getTime() < this.options.minIntervalMs) {
        throw cronError(`fires more often than every ${Math.round(this.options.minIntervalMs / 1000)} s`);
      }
    }
  }

  private async sync(appId: string, s: StoredSchedule): Promise<void> {
    const key = `${appId}.${s.id}`;
    if (!s.enabled) return this.options.jobs.removeRepeatable(SCHEDULE_QUEUE, key);
    const payload: ScheduleFirePayloadV1 = { v: 1, appId, scheduleId: s.id };
    await this.options.jobs.addRepeatable(SCHEDULE_QUEUE, payload, { cron: s.cron, tz: s.timezone, key });
  }

  async list(appId: string): Promise<StoredSchedule[]> {
    const docs = await readAllArray(this.app(appId), SCHEDULES, { sort: [{ path: 'createdAt', dir: 1 }], max: 1000 });
    return docs.map(fromDoc);
  }

  async find(appId: string, id: string): Promise<StoredSchedule | null> {
    const doc = await this.app(appId).get(SCHEDULES, id);
    return doc ? fromDoc(doc) : null;
  }

  async require(appId: string, id: string): Promise<StoredSchedule> {
    const s = await this.find(appId, id);
    if (!s) throw notFound('No such schedule.');
    return s;
  }

  async create(
    appId: string,
    input: Omit<StoredSchedule, 'id' | 'lastRunAt' | 'createdAt' | 'updatedAt'>,
  ): Promise<StoredSchedule> {
    this.checkCron(input.cron, input.timezone);
    const doc = await this.app(appId).create(SCHEDULES, {
      id: newId(),
      data: { ...input, target: { ...input.target } as JsonValue, lastRunAt: null },
    });
    const s = fromDoc(doc);
    await this.sync(appId, s);
    return s;
  }

  async update(appId: string, id: string, patch: Partial<Omit<StoredSchedule, 'id'>>): Promise<StoredSchedule> {
    const current = await this.require(appId, id);
    const cron = patch.cron ?? current.cron;
    const timezone = patch.timezone ?? current.timezone;
    if (patch.cron !== undefined || patch.timezone !== undefined) this.checkCron(cron, timezone);
    const set: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) set[k] = v as JsonValue;
    const s = fromDoc(await this.app(appId).update(SCHEDULES, id, { set }));
    await this.sync(appId, s);
    return s;
  }

  async remove(appId: string, id: string): Promise<StoredSchedule> {
    const s = await this.require(appId, id);
    await this.options.jobs.removeRepeatable(SCHEDULE_QUEUE, `${appId}.${id}`);
    await this.app(appId).delete(SCHEDULES, id);
    return s;
  }

  /** Registers every schedule of the app with the queue again (a restore wrote them into a new app). */
  async resync(appId: string): Promise<void> {
    for (const s of await this.list(appId)) await this.sync(appId, s);
  }

  /** Removes the repeatable jobs of every schedule of an app (the app is being deleted). */
  async removeApp(appId: string): Promise<void> {
    for (const s of await this.list(appId))
      await this.options.jobs.removeRepeatable(SCHEDULE_QUEUE, `${appId}.${s.id}`);
  }

  /**
   * Starts a run: its record, with an id derived from the tick's job id, so a tick whose job runs
   * twice records (and delivers) once. null when this tick already ran.
   */
  async startRun(
    appId: string,
    s: StoredSchedule,
    trigger: RunView['trigger'],
    tickId?: string,
  ): Promise<string | null> {
    const id = tickId ? sha256(`${appId}/${s.id}/${tickId}`).slice(0, 32) : newId();
    try {
      await this.app(appId).create(RUNS, {
        id,
        data: { scheduleId: s.id, trigger, status: 'delivered', deliveryId: null, error: null },
      });
    } catch (e) {
      if (isError(e, 'conflict')) return null;
      throw e;
    }
    await this.app(appId)
      .update(SCHEDULES, s.id, { set: { lastRunAt: this.options.now().toISOString() } })
      .catch(() => {});
    return id;
  }

  async finishRun(
    appId: string,
    runId: string,
    outcome: { deliveryId: string } | { jobId: string } | { error: string },
  ): Promise<RunView> {
    const set: Record<string, JsonValue> =
      'error' in outcome ? { status: 'skipped', error: outcome.error } : { ...outcome };
    return runFromDoc(await this.app(appId).update(RUNS, runId, { set }));
  }

  async runs(appId: string, scheduleId: string, query: { limit: number; after?: string | undefined }) {
    const page = await this.app(appId).find(RUNS, {
      filter: where.eq('scheduleId', scheduleId),
      sort: [{ path: 'createdAt', dir: -1 }],
      limit: query.limit,
      ...(query.after ? { after: query.after } : {}),
    });
    return { items: page.items.map(runFromDoc), next: page.next };
  }
}
