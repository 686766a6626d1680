import type { Logger } from 'pino';
import { isError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { DocumentStore } from '../../ports/document-store.js';
import type { JobQueue } from '../../ports/job-queue.js';
import { DELIVERIES, type DeliveryLog } from './deliveries.js';
import type { WebhookOutbox } from './outbox.js';
import type { WebhookDispatcher } from './webhook-dispatch.js';
import { WEBHOOK_QUEUE, type DeliverySettings, type WebhookDeliveryJob } from './webhook-delivery.job.js';
import type { WebhooksService } from './webhooks.service.js';

/**
 * The webhooks' maintenance sweep: a repeatable job (`webhooks.maintenance`, cron `sweepCron`,
 * once per tick across replicas) that goes through every app and
 * 1. drains outbox records older than `outboxLeaseMs` (their writer died after the commit);
 * 2. re-enqueues `pending` deliveries not touched for `pendingLeaseMs` whose first attempt's job
 *    is gone (its writer died between recording the delivery and queueing it, or the queue lost
 *    it), at most MAX_RESWEEPS times, and fails them with a reason after that, or once they are
 *    older than the retry window;
 * 3. trims the delivery log: finished (succeeded/failed) deliveries older than `keepDays`, and
 *    beyond the newest `keepPerWebhook` finished ones of each webhook (0 turns either off).
 * Every step is safe to run twice or on two replicas at once.
 */
export const MAINTENANCE_QUEUE = 'webhooks.maintenance';
const MAX_RESWEEPS = 3;
const PAGE = 200;
const LIVE = new Set(['waiting', 'delayed', 'active', 'paused']);

export interface SweepResult {
  recovered: number;
  requeued: number;
  failed: number;
  trimmed: number;
}

export class WebhookMaintenance {
  constructor(
    private readonly deps: {
      store: DocumentStore;
      jobs: JobQueue;
      webhooks: WebhooksService;
      log: DeliveryLog;
      outbox: WebhookOutbox;
      dispatcher: WebhookDispatcher;
      delivery: WebhookDeliveryJob;
      settings: DeliverySettings;
      appIds: () => AsyncIterable<string>;
      logger: Logger;
      now: () => Date;
    },
  ) {}

  async start(): Promise<void> {
    this.deps.jobs.process(MAINTENANCE_QUEUE, { concurrency: 1 }, () => this.sweepAll());
    await this.deps.jobs.addRepeatable(
      MAINTENANCE_QUEUE,
      { v: 1 },
      { cron: this.deps.settings.sweepCron, key: 'sweep' },
    );
  }

  async sweepAll(): Promise<SweepResult> {
    const total: SweepResult = { recovered: 0, requeued: 0, failed: 0, trimmed: 0 };
    for await (const appId of this.deps.appIds()) {
      try {
        const r = await this.sweepApp(appId);
        for (const k of Object.keys(total) as Array<keyof SweepResult>) total[k] += r[k];
      } catch (err) {
        this.deps.logger.warn({ err, appId }, 'webhooks: maintenance sweep of an app failed');
      }
    }
    return total;
  }

  /** An app without webhooks has no deliveries to look at: only its outbox is (read, never written). */
  async sweepApp(appId: string): Promise<SweepResult> {
    const recovered = await this.drainOutbox(appId);
    const hooks = await this.deps.webhooks.list(appId);
    if (hooks.length === 0) return { recovered, requeued: 0, failed: 0, trimmed: 0 };
    const { requeued, failed } = await this.sweepPending(appId);
    const trimmed = await this.trim(appId, hooks);
    return { recovered, requeued, failed, trimmed };
  }

  private ago(ms: number): string {
    return new Date(this.deps.now().getTime() - ms).toISOString();
  }

  async drainOutbox(appId: string): Promise<number> {
    const records = await this.deps.outbox.stale(appId, this.ago(this.deps.settings.outboxLeaseMs), PAGE);
    for (const r of records) {
      if (r.type.startsWith('users.')) {
        const event = await this.deps.outbox.userEventOf(appId, r);
        // A create or update of a user deleted since: nothing true to send (its delete follows).
        if (event.after === null && event.type !== 'users.delete') await this.deps.outbox.done(appId, r.id, r.outbox);
        else await this.deps.dispatcher.user(event);
      } else if (r.type.startsWith('files.')) {
        const event = await this.deps.outbox.fileEventOf(appId, r);
        if (event) await this.deps.dispatcher.file(event);
        else await this.deps.outbox.done(appId, r.id, r.outbox);
      } else await this.deps.dispatcher.document(await this.deps.outbox.eventOf(appId, r));
    }
    if (records.length) this.deps.logger.info({ appId, n: records.length }, 'webhooks: recovered outbox events');
    return records.length;
  }

  async sweepPending(appId: string): Promise<{ requeued: number; failed: number }> {
    const s = this.deps.settings;
    const stuck = await this.deps.log.stuckPending(appId, this.ago(s.pendingLeaseMs), PAGE);
    let requeued = 0;
    let failed = 0;
    const at = this.deps.now().toISOString();
    for (const d of stuck) {
      const tooOld = d.createdAt < this.ago(s.retryWindowMs);
      if (tooOld || d.sweeps >= MAX_RESWEEPS) {
        const why = tooOld ? 'not attempted within the retry window' : `re-enqueued ${d.sweeps} times`;
        await this.deps.log.markFailed(appId, d, `never attempted: its job was lost (${why})`, at);
        failed++;
        continue;
      }
      const job = await this.deps.jobs.get(WEBHOOK_QUEUE, `wh-${d.id}-1${d.sweeps ? `-s${d.sweeps}` : ''}`);
      if (job && LIVE.has(job.state)) continue; // still queued behind others: not stuck
      await this.deps.log.markSwept(appId, d);
      await this.deps.delivery.enqueue(appId, d, 1, 0, `-s${d.sweeps + 1}`);
      requeued++;
    }
    return { requeued, failed };
  }

  async trim(appId: string, hooks: Array<{ id: string }>): Promise<number> {
    const { keepDays, keepPerWebhook } = this.deps.settings;
    if (keepDays <= 0 && keepPerWebhook <= 0) return 0;
    const app = this.deps.store.forApp(appId);
    const byAge = keepDays > 0 ? this.ago(keepDays * 86_400_000) : null;
    let trimmed = 0;
    for (const hook of hooks) {
      const finished = where.and(where.eq('webhookId', hook.id), where.in('status', ['succeeded', 'failed']));
      let cutoff = byAge;
      if (keepPerWebhook > 0 && (await app.count(DELIVERIES, { filter: finished })) > keepPerWebhook) {
        const newest = await app.find(DELIVERIES, {
          filter: finished,
          sort: [{ path: 'createdAt', dir: -1 }],
          limit: keepPerWebhook,
          fields: ['createdAt'],
        });
        const nth = newest.items.at(-1)?.createdAt;
        if (nth && (cutoff === null || nth > cutoff)) cutoff = nth;
      }
      if (cutoff === null) continue;
      for (;;) {
        const page = await app.find(DELIVERIES, {
          filter: where.and(finished, where.lt('createdAt', cutoff)),
          limit: PAGE,
          fields: ['id'],
        });
        await Promise.all(page.items.map((d) => app.delete(DELIVERIES, d.id).catch(ignoreMissing)));
        trimmed += page.items.length;
        if (page.items.length < PAGE) break;
      }
    }
    return trimmed;
  }
}

function ignoreMissing(e: unknown): void {
  if (!isError(e, 'not_found')) throw e;
}
