import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { OutboundPolicy, Resolve } from '../../lib/outbound/policy.js';
import type { DocumentStore } from '../../ports/document-store.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { PushPlatform, PushProviders } from '../../ports/push-provider.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsModule } from '../apps/index.js';
import type { AuditLog } from '../audit/index.js';
import type { HearthModule } from '../module.js';
import { adminPushRoutes } from './admin.routes.js';
import { CredentialBox } from './credentials.box.js';
import { PushCredentials } from './credentials.service.js';
import { Fanout, type PushJob } from './fanout.js';
import { InstallationLinker } from './installation-link.js';
import { InstallationsService } from './installations.service.js';
import type { AuthModule } from './push.deps.js';
import { MessagesService, PUSH_QUEUE } from './messages.service.js';
import { PushEvents, type PushEvent } from './push.events.js';
import { pushMetrics, type PushMetrics } from './push.metrics.js';
import { pushRoutes } from './push.routes.js';

/**
 * The push module: installations (devices, linked to users), per-app provider credentials
 * (sealed at rest), messages accepted with 202 and fanned out through the job queue in batches
 * (`push` queue: plan → deliver jobs) to the PushProvider port's engines, with scheduling,
 * localisation, retries honouring Retry-After, dead-token deactivation and per-message stats.
 */
export type { InstallationView, MessageView } from './push.schema.js';
export type { PushJob } from './fanout.js';
export { CredentialBox } from './credentials.box.js';
export type { PushEvent, PushEvents } from './push.events.js';

export interface PushFanoutSettings {
  /** Installations per deliver job (default 500). */
  batchSize?: number;
  /** Concurrent provider calls per platform on one process (default 100 / 100 / 50). */
  concurrency?: Partial<Record<PushPlatform, number>>;
  /** Retries of throttled deliveries before they count as failed (default 5). */
  maxRetries?: number;
  /** Push jobs run at once by this process's worker (default 4). */
  workers?: number;
}

export interface PushModule extends HearthModule {
  services: {
    installations: InstallationsService;
    credentials: PushCredentials;
    messages: MessagesService;
    fanout: Fanout;
    linker: InstallationLinker;
  };
  /** push.message.<state> when a message changes state. */
  events: PushEvents;
}

export function createPushModule(deps: {
  store: DocumentStore;
  jobs: JobQueue;
  providers: PushProviders;
  apps: Pick<AppsModule, 'services' | 'onRemove'>;
  guards: Pick<AdminAuth, 'requireAdmin'>;
  audit: AuditLog;
  /** Credentials are sealed under a key derived from it; `previousSecrets` still open old ones. */
  secret: string;
  previousSecrets?: readonly string[];
  metrics: Registry | null;
  logger: Logger;
  now: () => Date;
  fanout?: PushFanoutSettings;
  /** Which addresses Web Push endpoints may point at (the webhooks' SSRF policy). */
  outbound?: OutboundPolicy;
  /** The resolver of the registration-time endpoint check (tests). */
  resolve?: Resolve;
  /** Sign-ins and sign-outs link and unlink the device's installation (installation-link.ts). */
  auth?: Pick<AuthModule, 'sessionEvents'>;
}): PushModule {
  const { store, now } = deps;
  const events = new PushEvents((err: unknown, event: PushEvent) =>
    deps.logger.error({ err, type: event.type, messageId: event.messageId }, 'push event listener failed'),
  );
  const counters = pushMetrics(deps.metrics);
  const metrics: PushMetrics = {
    message: (state, appId, messageId) => {
      counters.message(state, appId, messageId);
      events.emit({ type: `push.message.${state}` as PushEvent['type'], appId, messageId });
    },
    delivery: counters.delivery,
  };
  const credentials = new PushCredentials({ store, box: new CredentialBox(deps.secret, deps.previousSecrets), now });
  const installations = new InstallationsService({
    store,
    ...(deps.outbound ? { policy: deps.outbound } : {}),
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  });
  const messages = new MessagesService({ store, jobs: deps.jobs, metrics, now });
  const settings = deps.fanout ?? {};
  const fanout = new Fanout({
    store,
    jobs: deps.jobs,
    providers: deps.providers,
    credentials,
    installations,
    metrics,
    logger: deps.logger,
    now,
    batchSize: settings.batchSize ?? 500,
    concurrency: { ios: 100, android: 100, web: 50, ...settings.concurrency },
    maxRetries: settings.maxRetries ?? 5,
  });
  deps.apps.onRemove((appId) => credentials.forget(appId));
  const linker = new InstallationLinker({ store, logger: deps.logger });
  if (deps.auth) linker.attach(deps.auth.sessionEvents);
  return {
    name: 'push',
    services: { installations, credentials, messages, fanout, linker },
    events,
    routes: [
      ...pushRoutes({ installations, messages, credentials }),
      ...adminPushRoutes({
        credentials,
        installations,
        messages,
        requireApp: (appId) => deps.apps.services.apps.get(appId),
        requireAdmin: deps.guards.requireAdmin,
        audit: deps.audit,
        store,
      }),
    ],
    init: async () => {
      deps.jobs.process<PushJob>(PUSH_QUEUE, { concurrency: settings.workers ?? 4 }, fanout.handle);
    },
    settle: () => linker.settle(),
  };
}
