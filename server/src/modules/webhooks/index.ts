import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { OutboundPolicy, Resolve } from '../../lib/outbound/policy.js';
import type { DocumentStore } from '../../ports/document-store.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsModule } from '../apps/index.js';
import type { AuditLog } from '../audit/index.js';
import type { AuthModule } from '../auth/index.js';
import { toClientDocument, type CollectionsModule } from '../collections/index.js';
import type { FilesModule } from '../files/index.js';
import type { JobType, JobTypes } from '../jobs/index.js';
import type { HearthModule } from '../module.js';
import { DeliveryLog } from './deliveries.js';
import { WebhookMaintenance } from './maintenance.js';
import { WebhookOutbox } from './outbox.js';
import { ScheduleFireJob } from './schedule-fire.job.js';
import { scheduleRoutes } from './schedules.routes.js';
import { SchedulesService } from './schedules.service.js';
import {
  DEFAULT_DELIVERY_SETTINGS,
  WebhookDeliveryJob,
  type DeliverySettings,
  type OutcomeCounter,
} from './webhook-delivery.job.js';
import { webhookCallJobType, type WebhookCallPayloadV1 } from './webhook-call.job.js';
import { WebhookDispatcher } from './webhook-dispatch.js';
import { WebhookSecretBox } from './webhook-secrets.js';
import { webhookRoutes } from './webhooks.routes.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * The webhooks module: per-app webhooks on the modules' events (documents.*, users.*, files.*),
 * delivered through the job-queue port as signed, retried, logged POSTs behind the outbound SSRF
 * guard (lib/outbound); per-app schedules (cron + time zone) that call a webhook, fired once per
 * tick across replicas by the port's repeatable jobs. Admin API only (docs/webhooks.md).
 */
export type { DeliverySettings } from './webhook-delivery.job.js';
export { WEBHOOK_QUEUE } from './webhook-delivery.job.js';
export { MAINTENANCE_QUEUE } from './maintenance.js';
export { SCHEDULE_QUEUE } from './schedules.service.js';
export { WebhookSecretBox } from './webhook-secrets.js';
export { WEBHOOK_CALL_JOB, type WebhookCallPayloadV1 } from './webhook-call.job.js';

export interface WebhooksModule extends HearthModule {
  services: {
    webhooks: WebhooksService;
    deliveries: DeliveryLog;
    dispatcher: WebhookDispatcher;
    schedules: SchedulesService;
    delivery: WebhookDeliveryJob;
    fire: ScheduleFireJob;
    outbox: WebhookOutbox;
    maintenance: WebhookMaintenance;
    /** The `webhooks.call` job type, for the jobs module's registry (POST /v1/apps/{app}/jobs). */
    callJob: JobType<WebhookCallPayloadV1>;
  };
}

export function createWebhooksModule(deps: {
  store: DocumentStore;
  jobs: JobQueue;
  apps: Pick<AppsModule, 'services' | 'onRemove'>;
  guards: Pick<AdminAuth, 'requireAdmin'>;
  audit: AuditLog;
  collections: Pick<CollectionsModule, 'services' | 'events' | 'useOutbox'>;
  auth: Pick<AuthModule, 'events' | 'useOutbox'>;
  files: Pick<FilesModule, 'events' | 'useOutbox'>;
  /** The jobs module's registry: schedules may queue a job of a type apps may queue. */
  jobTypes?: Pick<JobTypes, 'get' | 'names' | 'enqueue'>;
  /** Webhook secrets are sealed with a key derived from it (webhook-secrets.ts). */
  secret: string;
  /** Which addresses outbound requests may reach (OUTBOUND_ALLOW_PRIVATE / OUTBOUND_ALLOW_CIDRS). */
  outbound: OutboundPolicy;
  /** Counts deliveries by outcome when metrics are on. */
  metrics: Registry | null;
  logger: Logger;
  now: () => Date;
  /** Timeouts, backoff, retry window, automatic disabling (defaults: DEFAULT_DELIVERY_SETTINGS). */
  delivery?: Partial<DeliverySettings>;
  /** Shortest interval between a schedule's ticks (default 60 s). */
  scheduleMinIntervalMs?: number;
  /** Deliveries this process runs at once (default 16). */
  concurrency?: number;
  /** The resolver the creation-time URL check uses (tests). */
  resolve?: Resolve;
}): WebhooksModule {
  const { store, jobs, logger, now } = deps;
  const webhooks = new WebhooksService({
    store,
    box: new WebhookSecretBox(deps.secret),
    policy: deps.outbound,
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
    now,
  });
  const log = new DeliveryLog({ store });
  const settings = { ...DEFAULT_DELIVERY_SETTINGS, ...deps.delivery };
  const delivery = new WebhookDeliveryJob({
    jobs,
    webhooks,
    log,
    audit: deps.audit,
    settings,
    count: outcomeCounter(deps.metrics),
    logger,
    now,
  });
  const registry = deps.collections.services.registry;
  const outbox = new WebhookOutbox({ store, active: (appId) => webhooks.activeForWrite(appId) });
  deps.collections.useOutbox(outbox);
  deps.auth.useOutbox(outbox.forUsers());
  deps.files.useOutbox(outbox.forFiles());
  const dispatcher = new WebhookDispatcher({
    webhooks,
    log,
    delivery,
    outbox,
    hiddenOf: async (appId, collection) => (await registry.get(appId, collection))?.hidden ?? null,
    toClient: (col, doc) => toClientDocument(col, doc, { privileged: false }),
    logger,
  });
  dispatcher.attach({ documents: deps.collections.events, users: deps.auth.events, files: deps.files.events });
  const maintenance = new WebhookMaintenance({
    store,
    jobs,
    webhooks,
    log,
    outbox,
    dispatcher,
    delivery,
    settings,
    appIds: () => appIdsOf(deps.apps),
    logger,
    now,
  });
  const schedules = new SchedulesService({ store, jobs, minIntervalMs: deps.scheduleMinIntervalMs ?? 60_000, now });
  const fire = new ScheduleFireJob({
    jobs,
    schedules,
    webhooks,
    dispatcher,
    ...(deps.jobTypes ? { jobTypes: deps.jobTypes } : {}),
    now,
  });
  deps.apps.onRemove(async (appId) => {
    await schedules.removeApp(appId);
    webhooks.forget(appId);
    log.forget(appId);
  });
  const requireApp = (appId: string) => deps.apps.services.apps.get(appId);
  const routeDeps = { requireApp, requireAdmin: deps.guards.requireAdmin, audit: deps.audit };
  return {
    name: 'webhooks',
    services: {
      webhooks,
      deliveries: log,
      dispatcher,
      schedules,
      delivery,
      fire,
      outbox,
      maintenance,
      callJob: webhookCallJobType({ webhooks, log, delivery, now }),
    },
    routes: [
      ...webhookRoutes({ webhooks, log, dispatcher, ...routeDeps }),
      ...scheduleRoutes({ schedules, fire, webhooks, jobTypes: deps.jobTypes, ...routeDeps }),
    ],
    init: async () => {
      delivery.start(deps.concurrency ?? 16);
      fire.start(2);
      // Registering the repeatable sweep waits for the queue's backend: with Redis down at start
      // it would hold up the whole server, so it completes in the background once Redis is back.
      maintenance
        .start()
        .catch((err: unknown) => logger.warn({ err }, 'webhooks: the maintenance sweep could not be scheduled'));
    },
    settle: () => dispatcher.settle(),
  };
}

async function* appIdsOf(apps: Pick<AppsModule, 'services'>): AsyncIterable<string> {
  let after: string | undefined;
  do {
    const page = await apps.services.apps.list({ limit: 100, ...(after ? { after } : {}) });
    for (const app of page.items) yield app.id;
    after = page.next ?? undefined;
  } while (after);
}

function outcomeCounter(registry: Registry | null): OutcomeCounter {
  if (!registry) return () => {};
  const counter = new Counter({
    name: 'hearth_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (success, http_error, redirect, timeout, network_error, refused), and deliveries finished (succeeded, failed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return (outcome) => counter.inc({ outcome });
}
