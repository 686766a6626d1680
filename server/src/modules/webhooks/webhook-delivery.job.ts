import type { Logger } from 'pino';
import { OutboundFailure, postOutbound, type OutboundResponse } from '../../lib/outbound/request.js';
import type { Job, JobQueue } from '../../ports/job-queue.js';
import type { AuditLog } from '../audit/index.js';
import { excerpt, type DeliveryLog, type StoredDelivery } from './deliveries.js';
import { signatureHeader } from './webhook-secrets.js';
import type { AttemptOutcome, AttemptView } from './webhooks.schema.js';
import type { StoredWebhook, WebhooksService } from './webhooks.service.js';

/**
 * The webhook-delivery job type: one job per attempt of one delivery, on the `webhooks` queue.
 *
 * Payload (versioned): `{ v: 1, appId, webhookId, deliveryId, attempt }`. The body itself lives
 * in the delivery log (deliveries.ts), so every attempt sends the same bytes, and a job carries
 * no document data.
 *
 * Safe to run twice: a delivery that already succeeded or finally failed is left alone; an
 * attempt already recorded is not sent again (only its follow-up is re-added, de-duplicated by
 * its job id `wh-<delivery>-<attempt>`). What can still happen is a second POST when a worker dies
 * between sending and recording: the receiver de-duplicates on `Hearth-Delivery`.
 *
 * An attempt is a signed POST (docs/webhooks.md: headers, signature) through the outbound guard
 * (SSRF checks at connect time, no redirects, `timeoutMs`). A 2xx answer succeeds; anything else
 * is retried with exponential backoff and jitter (`retryBaseMs` doubling up to `retryMaxDelayMs`,
 * each delay drawn from [d/2, d]) while the next attempt falls within `retryWindowMs` (24 h) of
 * the delivery's creation; then the delivery is `failed`. A webhook failing without a single
 * success for `disableAfterMs` (24 h) is disabled, with an audit entry and a notice on its view.
 * Retries are scheduled by this handler (the port's own backoff has no jitter); the job's port
 * attempts only cover the handler itself failing (the store unavailable).
 */
export const WEBHOOK_QUEUE = 'webhooks';

export interface WebhookDeliveryPayloadV1 {
  v: 1;
  appId: string;
  webhookId: string;
  deliveryId: string;
  attempt: number;
}

export interface DeliverySettings {
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxDelayMs: number;
  retryWindowMs: number;
  disableAfterMs: number;
  /** The maintenance sweep's cron (maintenance.ts). */
  sweepCron: string;
  /** An outbox record older than this is drained by the sweep (its writer died). */
  outboxLeaseMs: number;
  /** A `pending` delivery untouched for this long is re-enqueued by the sweep. */
  pendingLeaseMs: number;
  /** Finished deliveries kept per webhook (WEBHOOK_DELIVERIES_KEEP; 0: no limit). */
  keepPerWebhook: number;
  /** Days finished deliveries are kept (WEBHOOK_DELIVERIES_KEEP_DAYS; 0: no limit). */
  keepDays: number;
}

export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = {
  timeoutMs: 10_000,
  retryBaseMs: 10_000,
  retryMaxDelayMs: 3_600_000,
  retryWindowMs: 24 * 3_600_000,
  disableAfterMs: 24 * 3_600_000,
  sweepCron: '*/30 * * * * *',
  outboxLeaseMs: 30_000,
  pendingLeaseMs: 10 * 60_000,
  keepPerWebhook: 1000,
  keepDays: 30,
};

export function parseDeliveryPayload(data: unknown): WebhookDeliveryPayloadV1 | null {
  const d = data as Partial<WebhookDeliveryPayloadV1> | null;
  if (!d || d.v !== 1) return null;
  const ok =
    typeof d.appId === 'string' &&
    typeof d.webhookId === 'string' &&
    typeof d.deliveryId === 'string' &&
    Number.isInteger(d.attempt) &&
    (d.attempt ?? 0) >= 1;
  return ok ? (d as WebhookDeliveryPayloadV1) : null;
}

/** The delay before attempt `next` (≥ 2): exponential, capped, with jitter in [d/2, d]. */
export function retryDelay(
  next: number,
  s: Pick<DeliverySettings, 'retryBaseMs' | 'retryMaxDelayMs'>,
  random: () => number,
): number {
  const d = Math.min(s.retryBaseMs * 2 ** Math.max(0, next - 2), s.retryMaxDelayMs);
  return Math.round(d / 2 + random() * (d / 2));
}

export type OutcomeCounter = (outcome: AttemptOutcome | 'succeeded' | 'failed') => void;

export class WebhookDeliveryJob {
  constructor(
    private readonly deps: {
      jobs: JobQueue;
      webhooks: WebhooksService;
      log: DeliveryLog;
      audit: AuditLog;
      settings: DeliverySettings;
      count: OutcomeCounter;
      logger: Logger;
      now: () => Date;
      random?: () => number;
    },
  ) {}

  /** Adds the job of one attempt (attempt 1 right away, later ones after `delayMs`). */
  async enqueue(
    appId: string,
    d: Pick<StoredDelivery, 'id' | 'webhookId'>,
    attempt: number,
    delayMs = 0,
    /** A new job for an attempt whose job was lost (the maintenance sweep: `-s<n>`). */
    jobIdSuffix = '',
  ): Promise<void> {
    const payload: WebhookDeliveryPayloadV1 = { v: 1, appId, webhookId: d.webhookId, deliveryId: d.id, attempt };
    await this.deps.jobs.add(WEBHOOK_QUEUE, payload, {
      jobId: `wh-${d.id}-${attempt}${jobIdSuffix}`,
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      ...(delayMs > 0 ? { delay: delayMs } : {}),
    });
  }

  start(concurrency: number): void {
    this.deps.jobs.process(WEBHOOK_QUEUE, { concurrency }, (job) => this.handle(job));
  }

  async handle(job: Job): Promise<unknown> {
    const p = parseDeliveryPayload(job.data);
    if (!p) return { skipped: 'unknown payload' };
    const d = await this.deps.log.find(p.appId, p.deliveryId);
    if (!d) return { skipped: 'no such delivery' };
    if (d.status === 'succeeded' || d.status === 'failed') return { skipped: d.status };
    if (d.attempts >= p.attempt) {
      // This attempt was recorded by an earlier run; make sure its follow-up exists.
      if (d.status === 'retrying' && d.nextAttemptAt) {
        await this.enqueue(p.appId, d, p.attempt + 1, Date.parse(d.nextAttemptAt) - this.deps.now().getTime());
      }
      return { skipped: 'recorded' };
    }
    const hook = await this.deps.webhooks.find(p.appId, d.webhookId);
    const at = this.deps.now().toISOString();
    if (!hook || !hook.enabled) {
      await this.deps.log.markFailed(p.appId, d, hook ? 'webhook disabled' : 'webhook deleted', at);
      this.deps.count('failed');
      return { skipped: 'webhook gone or disabled' };
    }
    const secret = this.deps.webhooks.secretOf(p.appId, hook);
    if (!secret) {
      await this.deps.log.markFailed(p.appId, d, 'secret unreadable (HEARTH_SECRET changed): rotate the secret', at);
      this.deps.count('failed');
      return { skipped: 'secret unreadable' };
    }
    return this.attempt(p.appId, d, hook, secret, p.attempt, 'chain');
  }

  /**
   * One attempt of a delivery: the signed POST, its record in the log, and what follows a failure.
   * `chain`: this job type schedules the next attempt itself (backoff with jitter, the retry
   * window); `{lastAttempt}`: the caller's job retries with the port's own attempts and backoff
   * (webhook-call.job.ts), so a failure is final only on its last attempt.
   */
  async attempt(
    appId: string,
    d: StoredDelivery,
    hook: StoredWebhook,
    secret: string,
    attempt: number,
    retries: 'chain' | { lastAttempt: boolean },
  ): Promise<{
    status: 'succeeded' | 'retrying' | 'failed';
    statusCode?: number;
    outcome?: AttemptOutcome;
    error?: string | null;
  }> {
    const p = { appId, attempt };
    const now = this.deps.now();
    const timestamp = Math.floor(now.getTime() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Hearth-Webhooks/1',
      'hearth-event': d.event,
      'hearth-delivery': d.id,
      'hearth-attempt': String(p.attempt),
      'hearth-signature': signatureHeader(secret, timestamp, d.body),
    };
    let response: OutboundResponse | null = null;
    let outcome: AttemptOutcome;
    let error: string | null = null;
    let durationMs: number;
    try {
      response = await postOutbound({
        url: hook.url,
        headers,
        body: d.body,
        policy: this.deps.webhooks.policy,
        timeoutMs: this.deps.settings.timeoutMs,
        maxResponseBytes: 2048,
      });
      durationMs = response.durationMs;
      outcome =
        response.status >= 200 && response.status < 300
          ? 'success'
          : response.status >= 300 && response.status < 400
            ? 'redirect'
            : 'http_error';
      if (outcome === 'redirect')
        error = `redirects are not followed (Location: ${excerpt(response.headers.location ?? '', 200).body})`;
      else if (outcome === 'http_error') error = `answered ${response.status}`;
    } catch (e) {
      if (!(e instanceof OutboundFailure)) throw e;
      durationMs = e.durationMs;
      outcome = e.kind === 'refused' ? 'refused' : e.kind === 'timeout' ? 'timeout' : 'network_error';
      error = e.message;
    }
    this.deps.count(outcome);
    const entry: AttemptView = {
      at: now.toISOString(),
      attempt: p.attempt,
      outcome,
      statusCode: response?.status ?? null,
      durationMs,
      error,
    };
    const signedHeaders = { ...headers, 'hearth-signature': `t=${timestamp},v1=…` };
    const responseView = response
      ? {
          statusCode: response.status,
          headers: trimHeaders(response.headers),
          body: response.body,
          truncated: response.truncated,
        }
      : null;
    if (outcome === 'success') {
      await this.deps.log.recordAttempt(p.appId, d, {
        entry,
        status: 'succeeded',
        nextAttemptAt: null,
        requestHeaders: signedHeaders,
        response: responseView,
      });
      await this.deps.webhooks.markHealthy(p.appId, hook);
      this.deps.count('succeeded');
      return { status: 'succeeded', statusCode: response!.status };
    }
    const s = this.deps.settings;
    const delay = retryDelay(p.attempt + 1, s, this.deps.random ?? Math.random);
    const nextAt = now.getTime() + delay;
    const failingSince = await this.deps.webhooks.markFailing(p.appId, hook);
    const disableNow = now.getTime() - Date.parse(failingSince) >= s.disableAfterMs;
    const chain = retries === 'chain';
    const final = disableNow || (chain ? nextAt > Date.parse(d.createdAt) + s.retryWindowMs : retries.lastAttempt);
    await this.deps.log.recordAttempt(p.appId, d, {
      entry,
      status: final ? 'failed' : 'retrying',
      nextAttemptAt: final || !chain ? null : new Date(nextAt).toISOString(),
      requestHeaders: signedHeaders,
      response: responseView,
    });
    if (final) this.deps.count('failed');
    if (disableNow) await this.disable(p.appId, hook, failingSince, error);
    else if (!final && chain) await this.enqueue(p.appId, d, p.attempt + 1, delay);
    return { status: final ? 'failed' : 'retrying', outcome, error };
  }

  private async disable(appId: string, hook: StoredWebhook, failingSince: string, error: string | null) {
    if (!(await this.deps.webhooks.disableFailing(appId, hook))) return;
    this.deps.logger.warn({ appId, webhookId: hook.id, failingSince }, 'webhook disabled after failing deliveries');
    await this.deps.audit.record({
      adminId: null,
      action: 'webhook.disable',
      target: { type: 'webhook', id: hook.id },
      details: { appId, reason: 'failing', failingSince, lastError: error ?? '' },
    });
  }
}

/** A few response headers worth keeping in the log. */
function trimHeaders(headers: Record<string, string>): Record<string, string> {
  const keep = ['content-type', 'content-length', 'location', 'retry-after', 'server', 'date'];
  const out: Record<string, string> = {};
  for (const k of keep) if (headers[k] !== undefined) out[k] = excerpt(headers[k], 200).body;
  return out;
}
