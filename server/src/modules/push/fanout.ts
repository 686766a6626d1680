import type { Logger } from 'pino';
import { isError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { Job, JobQueue } from '../../ports/job-queue.js';
import type { PushPlatform, PushProviders } from '../../ports/push-provider.js';
import type { PushCredentials } from './credentials.service.js';
import { deliverBatch, type BatchTally } from './deliver.js';
import type { InstallationsService } from './installations.service.js';
import { BATCHES, MESSAGES, PUSH_QUEUE, targetFilter } from './messages.service.js';
import type { PushMetrics } from './push.metrics.js';
import type { Target } from './push.schema.js';
import { wallClockToInstant } from './schedule.js';

/**
 * The fan-out, as two job types on the `push` queue (both safe to run twice, the queue being
 * at-least-once):
 * - `plan` pages through the message's targeted installations (by id, `batchSize` a page) and adds
 *   one `deliver` job per page (per page and time zone for local-time messages, each delayed to
 *   its zone's time). Its progress (cursor, batches, targeted) is saved after each page, and batch
 *   job ids are deterministic, so a re-run continues where it stopped and adds nothing twice.
 * - `deliver` sends one batch through the providers (deliver.ts), re-adds the throttled part as a
 *   delayed retry batch honouring Retry-After, and records its tally and the message's counters in
 *   one store batch whose first op creates the batch record: a re-run finds it and counts nothing.
 * The message is `done` when sent + failed + invalid reaches targeted after planning finished.
 */
export type PushJob =
  | { type: 'plan'; appId: string; messageId: string }
  | {
      type: 'deliver';
      appId: string;
      messageId: string;
      batchId: string;
      ids: string[];
      retry: number;
      delay?: number;
    };

export interface FanoutDeps {
  store: DocumentStore;
  jobs: JobQueue;
  providers: PushProviders;
  credentials: PushCredentials;
  installations: InstallationsService;
  metrics: PushMetrics;
  logger: Logger;
  now: () => Date;
  batchSize: number;
  /** Concurrent provider calls per platform on this process. */
  concurrency: Record<PushPlatform, number>;
  maxRetries: number;
}

const DELIVER_OPTIONS = { attempts: 5, backoff: { type: 'exponential' as const, delay: 1000 } };

export class Fanout {
  constructor(private readonly deps: FanoutDeps) {}

  handle = async (job: Job<PushJob>): Promise<unknown> => {
    const data = job.data;
    return data.type === 'plan' ? this.plan(data.appId, data.messageId) : this.deliver(data);
  };

  private async finishIfComplete(appId: string, doc: StoredDocument): Promise<void> {
    const c = doc.counts as { targeted: number; sent: number; failed: number; invalid: number };
    const open = doc.state === 'sending' || doc.state === 'scheduled';
    if (doc.planned !== true || !open || c.sent + c.failed + c.invalid < c.targeted) return;
    await this.deps.store
      .forApp(appId)
      .update(
        MESSAGES,
        doc.id,
        { set: { state: 'done', finishedAt: this.deps.now().toISOString() } },
        { where: where.in('state', ['scheduled', 'sending']) },
      )
      .then(
        () => this.deps.metrics.message('done', appId, doc.id),
        (err: unknown) => {
          if (!isError(err, 'not_found')) throw err;
        },
      );
  }

  async plan(appId: string, messageId: string): Promise<{ batches: number; targeted: number }> {
    const store = this.deps.store.forApp(appId);
    let doc = await store.get(MESSAGES, messageId);
    if (!doc || doc.state === 'cancelled' || doc.planned === true) return { batches: 0, targeted: 0 };
    if (doc.state === 'scheduled' && doc.localTime !== true) {
      doc = await store.update(MESSAGES, messageId, {
        set: { state: 'sending', startedAt: this.deps.now().toISOString() },
      });
      this.deps.metrics.message('sending', appId, messageId);
    }
    let filter;
    try {
      filter = targetFilter(doc.target as Target);
    } catch (err) {
      await store.update(MESSAGES, messageId, { set: { state: 'failed', finishedAt: this.deps.now().toISOString() } });
      this.deps.metrics.message('failed', appId, messageId);
      this.deps.logger.warn({ err, appId, messageId }, 'push: the message target no longer parses');
      return { batches: 0, targeted: 0 };
    }
    await this.deps.installations.ensure(appId);
    let after = (doc.cursor as string | null) ?? undefined;
    let batches = Number(doc.batches ?? 0);
    for (;;) {
      const page = await store.find('_push_installations', {
        filter,
        fields: ['id', 'timeZone'],
        limit: this.deps.batchSize,
        ...(after ? { after } : {}),
      });
      if (page.items.length) {
        for (const [delay, ids] of this.groups(doc, page.items)) {
          const batchId = `${messageId}-${batches}`;
          await this.deps.jobs.add<PushJob>(
            PUSH_QUEUE,
            { type: 'deliver', appId, messageId, batchId, ids, retry: 0, delay },
            { ...DELIVER_OPTIONS, jobId: `deliver-${appId}-${batchId}`, delay },
          );
          batches += 1;
        }
      }
      after = page.next ?? undefined;
      const current = await store.get(MESSAGES, messageId);
      if (!current || current.state === 'cancelled') return { batches, targeted: 0 };
      doc = await store.update(MESSAGES, messageId, {
        set: { cursor: after ?? null, batches, ...(after ? {} : { planned: true }) },
        inc: { 'counts.targeted': page.items.length },
      });
      if (!after) break;
    }
    await this.finishIfComplete(appId, doc);
    return { batches, targeted: (doc.counts as { targeted: number }).targeted };
  }

  /** [delay ms, ids]: one group, or one per time zone for local-time messages. */
  private groups(doc: StoredDocument, items: StoredDocument[]): Array<[number, string[]]> {
    if (doc.localTime !== true) return [[0, items.map((i) => i.id)]];
    const byZone = new Map<string, string[]>();
    for (const i of items) {
      const tz = typeof i.timeZone === 'string' ? i.timeZone : 'UTC';
      byZone.set(tz, [...(byZone.get(tz) ?? []), i.id]);
    }
    const now = this.deps.now().getTime();
    return [...byZone].map(([tz, ids]) => {
      let at: number;
      try {
        at = wallClockToInstant(String(doc.sendAt), tz);
      } catch {
        at = wallClockToInstant(String(doc.sendAt), 'UTC');
      }
      return [Math.max(0, at - now), ids] as [number, string[]];
    });
  }

  async deliver(job: Extract<PushJob, { type: 'deliver' }>): Promise<BatchTally | null> {
    const { appId, messageId, batchId } = job;
    const store = this.deps.store.forApp(appId);
    const message = await store.get(MESSAGES, messageId);
    if (!message || message.state === 'cancelled' || message.state === 'failed' || message.state === 'done')
      return null;
    if (await store.get(BATCHES, batchId)) return null; // recorded by an earlier run
    if (message.state === 'scheduled') {
      await store
        .update(
          MESSAGES,
          messageId,
          { set: { state: 'sending', startedAt: this.deps.now().toISOString() } },
          { where: where.eq('state', 'scheduled') },
        )
        .then(() => this.deps.metrics.message('sending', appId, messageId))
        .catch((err: unknown) => {
          if (!isError(err, 'not_found')) throw err;
        });
    }
    const tally = await deliverBatch(this.deps, {
      appId,
      message,
      ids: job.ids,
      lastTry: job.retry >= this.deps.maxRetries,
    });
    if (tally.retry.ids.length) {
      const retryId = `${messageId}-${batchId.slice(messageId.length + 1)}r${job.retry + 1}`;
      await this.deps.jobs.add<PushJob>(
        PUSH_QUEUE,
        { type: 'deliver', appId, messageId, batchId: retryId, ids: tally.retry.ids, retry: job.retry + 1 },
        { ...DELIVER_OPTIONS, jobId: `deliver-${appId}-${retryId}`, delay: tally.retry.afterMs },
      );
    }
    const inc: Record<string, number> = {};
    for (const [platform, c] of Object.entries(tally.byPlatform)) {
      for (const [k, v] of Object.entries(c)) {
        if (!v) continue;
        inc[`providers.${platform}.${k}`] = v;
        inc[`counts.${k}`] = (inc[`counts.${k}`] ?? 0) + v;
      }
    }
    let updated: StoredDocument | undefined;
    try {
      const results = await store.batch([
        {
          op: 'create',
          collection: BATCHES,
          id: batchId,
          data: {
            messageId,
            counts: inc,
            hasErrors: tally.errors.length > 0,
            errors: tally.errors.slice(0, 5),
            retried: tally.retry.ids.length,
          },
        },
        ...(Object.keys(inc).length
          ? [{ op: 'update' as const, collection: MESSAGES, id: messageId, update: { inc } }]
          : []),
      ]);
      updated = results[1] ?? results[0];
    } catch (err) {
      if (isError(err, 'conflict')) return null; // another run recorded this batch
      throw err;
    }
    const latest = updated && updated.id === messageId ? updated : await store.get(MESSAGES, messageId);
    if (latest) await this.finishIfComplete(appId, latest);
    return tally;
  }
}
