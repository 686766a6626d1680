import express, { type Express } from 'express';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { jsonBody } from './http/body.js';
import { mountDashboard } from './http/dashboard.js';
import { chain, routeDispatcher, skipDispatched } from './http/dispatch.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { createMetrics } from './http/metrics.js';
import { OpenApiRegistry } from './http/openapi.js';
import { warnForwardedWithoutTrustProxy } from './http/proxy-warning.js';
import { requestLog } from './http/request-log.js';
import { apiSecurityHeaders, securityHeaders } from './http/security-headers.js';
import './http/request.js';
import { mountRoutes, routeHandlers } from './http/route.js';
import { createAdminModule, type AdminModule } from './modules/admin/index.js';
import { createAppsModule, type AppsModule } from './modules/apps/index.js';
import { createAuditLog, createAuditModule, type AuditModule } from './modules/audit/index.js';
import { createAuthModule, type AuthModule } from './modules/auth/index.js';
import { createBackupsModule, type BackupsModule } from './modules/backups/index.js';
import {
  createCollectionsModule,
  type CollectionsModule,
  type DataLimitSettings,
} from './modules/collections/index.js';
import { createFilesModule, type FilesModule } from './modules/files/index.js';
import { createRealtimeModule, type RealtimeModule, type RealtimeSettings } from './modules/realtime/index.js';
import { createJobsModule, exportJobType, type JobsModule } from './modules/jobs/index.js';
import type { HearthModule } from './modules/module.js';
import { createPushModule, type PushFanoutSettings, type PushModule } from './modules/push/index.js';
import { createSystemModule } from './modules/system/index.js';
import { createWebhooksModule, type DeliverySettings, type WebhooksModule } from './modules/webhooks/index.js';
import type { Ports } from './ports/index.js';
import { DENY_PRIVATE, type OutboundPolicy } from './lib/outbound/policy.js';
import { instrumentStore } from './ports/instrumented-store.js';
import { instrumentJobQueue } from './ports/instrumented-job-queue.js';
import { SYSTEM_APP } from './ports/document-store.js';
import { createStatsModule } from './modules/stats/index.js';

/**
 * What buildApp needs besides the ports: plain settings, read from the configuration by main.ts
 * (tests pass their own).
 */
/** For whoever creates the HTTP server (main.ts, test harnesses): parser errors in the contract's shape. */
export { answerClientErrors } from './http/client-error.js';

export interface AppOptions {
  logger: Logger;
  /** Token signing secret. */
  secret: string;
  version: string;
  publicUrl: string;
  bodyLimit?: string;
  trustProxy?: string | undefined;
  adminAccessTtlSeconds?: number;
  adminRefreshTtlSeconds?: number;
  metrics?: boolean;
  /** When set, /metrics needs `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string | undefined;
  /** Thumbnails: sources up to `syncBytes` render in the request, larger ones by a job waited on for `waitMs` (files/variants.ts). */
  thumbnails?: { syncBytes?: number; waitMs?: number };
  /** Rate limits on the document routes for public keys; default DEFAULT_DATA_LIMITS. */
  dataRateLimits?: DataLimitSettings;
  /** The dashboard's built files; null or missing → a page that says how to build it. */
  dashboardDir?: string | null;
  now?: () => Date;
  /** Realtime limits and timings; default DEFAULT_REALTIME_SETTINGS. */
  realtime?: Partial<RealtimeSettings>;
  /** Which addresses webhooks and schedules may reach (default: public addresses only). */
  outbound?: OutboundPolicy;
  /** Webhook delivery timing (tests shorten it; defaults in modules/webhooks). */
  webhookDelivery?: Partial<DeliverySettings>;
  /** Shortest interval between a schedule's ticks, ms (default 60 s). */
  scheduleMinIntervalMs?: number;
  /** Push fan-out sizes (batch, per-provider concurrency, retries); defaults in modules/push. */
  pushFanout?: PushFanoutSettings;
  /** Old signing secrets that still open stored push credentials (until rotated). */
  pushPreviousSecrets?: string[] | undefined;
  /** Largest backup archive `POST /v1/admin/restores` takes, bytes (default in modules/backups). */
  backupMaxUploadBytes?: number;
}

/** The built modules, for main.ts (bootstrap, shutdown) and tests. */
export interface Modules {
  audit: AuditModule;
  admin: AdminModule;
  apps: AppsModule;
  collections: CollectionsModule;
  auth: AuthModule;
  files: FilesModule;
  realtime: RealtimeModule;
  jobs: JobsModule;
  webhooks: WebhooksModule;
  push: PushModule;
  backups: BackupsModule;
}

export interface BuiltApp {
  app: Express;
  modules: Modules;
  openapi: OpenApiRegistry;
  /** Finishes work answered requests started (mail sent after the reply), before the ports close. */
  settle(): Promise<void>;
  /** Joins the listening HTTP server (realtime); returns what stops that, to call before closing it. */
  attach(server: HttpServer): () => Promise<void>;
}

/**
 * Builds the express app from the ports without listening: makes every module (in dependency
 * order: each gets the ports it uses and what earlier modules export), then mounts the list.
 * Adding a module is: write its folder (modules/module.ts says the shape), make it here, add it
 * to `list`.
 */
export async function buildApp(ports: Ports, options: AppOptions): Promise<BuiltApp> {
  const now = options.now ?? (() => new Date());
  const { limits } = ports;
  const logger = options.logger;
  const openapi = new OpenApiRegistry();
  const metrics = options.metrics === false ? null : createMetrics();
  // Store latency by operation (hearth_store_operation_seconds) for every module.
  const store = metrics ? instrumentStore(ports.store, metrics.registry) : ports.store;

  const auditLog = createAuditLog({ system: store.forApp(SYSTEM_APP) });
  const admin = createAdminModule({
    store,
    limits,
    audit: auditLog,
    secret: options.secret,
    accessTtlSeconds: options.adminAccessTtlSeconds ?? 900,
    refreshTtlSeconds: options.adminRefreshTtlSeconds ?? 30 * 24 * 3600,
    now,
  });
  const audit = createAuditModule({ log: auditLog, requireAdmin: admin.guards.requireAdmin });
  // Job types register into it as their modules are built; workers start in its init.
  const jobs = createJobsModule({
    jobs: metrics ? instrumentJobQueue(ports.jobs, metrics.registry) : ports.jobs,
    mailer: ports.mail,
    guards: admin.guards,
    audit: auditLog,
    logger,
  });
  const apps = createAppsModule({ store, audit: auditLog, guards: admin.guards, now });
  const collections = createCollectionsModule({
    store,
    audit: auditLog,
    apps,
    guards: admin.guards,
    limits: { limiters: limits, ...(options.dataRateLimits ? { settings: options.dataRateLimits } : {}) },
    logger,
    now,
    openapi: () => openapi.document({ version: options.version, serverUrl: options.publicUrl }),
  });
  const auth = createAuthModule({
    store,
    mailer: jobs.services.mailer,
    settleMail: () => jobs.services.mailer.settle(),
    limits,
    apps,
    guards: admin.guards,
    audit: auditLog,
    collections,
    secret: options.secret,
    publicUrl: options.publicUrl,
    logger,
    now,
  });
  const files = createFilesModule({
    store,
    files: ports.files,
    jobs: jobs.services,
    ...(options.thumbnails ? { thumbnails: options.thumbnails } : {}),
    apps,
    guards: admin.guards,
    audit: auditLog,
    collections,
    users: auth,
    secret: options.secret,
    publicUrl: options.publicUrl,
    logger,
    now,
  });
  const realtime = createRealtimeModule({
    store,
    pubsub: ports.pubsub,
    socketAdapter: ports.socketAdapter,
    leases: ports.leases,
    apps,
    auth,
    collections,
    guards: admin.guards,
    audit: auditLog,
    metrics: metrics?.registry ?? null,
    settings: options.realtime,
    logger,
    now,
  });
  jobs.services.types.register(exportJobType({ store, files: files.services.files }));
  const webhooks = createWebhooksModule({
    store,
    jobs: jobs.services.queue,
    apps,
    guards: admin.guards,
    audit: auditLog,
    collections,
    auth,
    files,
    jobTypes: jobs.services.types,
    secret: options.secret,
    outbound: options.outbound ?? DENY_PRIVATE,
    metrics: metrics?.registry ?? null,
    logger,
    now,
    ...(options.webhookDelivery ? { delivery: options.webhookDelivery } : {}),
    ...(options.scheduleMinIntervalMs ? { scheduleMinIntervalMs: options.scheduleMinIntervalMs } : {}),
  });
  jobs.services.types.register(webhooks.services.callJob);
  const push = createPushModule({
    store,
    outbound: options.outbound ?? DENY_PRIVATE,
    auth,
    jobs: ports.jobs,
    providers: ports.push,
    apps,
    guards: admin.guards,
    audit: auditLog,
    secret: options.secret,
    ...(options.pushPreviousSecrets ? { previousSecrets: options.pushPreviousSecrets } : {}),
    metrics: metrics?.registry ?? null,
    logger,
    now,
    ...(options.pushFanout ? { fanout: options.pushFanout } : {}),
  });
  const backups = createBackupsModule({
    store,
    files: ports.files,
    jobs: jobs.services.queue,
    jobTypes: jobs.services.types,
    apps,
    collections,
    realtime,
    webhooks,
    guards: admin.guards,
    audit: auditLog,
    secret: options.secret,
    previousSecrets: options.pushPreviousSecrets,
    ...(options.backupMaxUploadBytes !== undefined ? { maxUploadBytes: options.backupMaxUploadBytes } : {}),
    version: options.version,
    logger,
    now,
  });
  const system = createSystemModule({
    readiness: ports.readiness,
    metrics: metrics?.registry ?? null,
    metricsToken: options.metricsToken,
    openapi,
    version: options.version,
    publicUrl: options.publicUrl,
  });

  // The app overview's numbers; its app middleware counts requests per app (after app access).
  const stats = createStatsModule({
    store,
    jobs: jobs.services.queue,
    apps,
    collections,
    files,
    guards: admin.guards,
    now,
  });
  // Mount order: app access (apps) runs before the user token (auth) on app routes.
  const list: HearthModule[] = [
    system,
    admin,
    audit,
    apps,
    collections,
    auth,
    files,
    jobs,
    webhooks,
    push,
    realtime,
    backups,
  ];
  list.push(stats);
  for (const m of list) await m.init?.();

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // No body-hash ETag on every JSON reply (documents and files send their own ETags).
  app.set('etag', false);
  if (options.trustProxy) {
    const n = Number(options.trustProxy);
    app.set('trust proxy', Number.isInteger(n) ? n : options.trustProxy);
  }
  // What every request goes through, as one router layer (http/dispatch.ts's chain: the same
  // order and error handling, one router step instead of one per middleware).
  app.use(
    chain([
      ...requestLog(logger),
      warnForwardedWithoutTrustProxy({ logger, trustProxy: options.trustProxy }),
      ...(metrics ? [metrics.middleware] : []),
      apiSecurityHeaders(),
    ]),
  );
  // Browser pages (mail links, OAuth legs) parse their own form bodies and carry no key; they
  // and the dashboard are HTML documents, with helmet's full set of headers over the API's.
  const htmlHeaders = securityHeaders({ crossOriginResourcePolicy: { policy: 'cross-origin' } });
  for (const m of list) for (const page of m.pages ?? []) app.use(page.path, htmlHeaders, page.router);
  const rawBodyPaths = list.flatMap((m) => m.rawBodyPaths ?? []);
  app.use(...jsonBody({ limit: options.bodyLimit ?? '1mb', except: (path) => rawBodyPaths.some((p) => p.test(path)) }));
  // One layer for the app middleware, and routes found by table (http/dispatch.ts), express's
  // router behind it for whatever the table does not match.
  app.use('/v1/apps/:appId', chain(list.flatMap((m) => m.appMiddleware ?? [])));
  const router = express.Router();
  router.use(skipDispatched);
  for (const m of list) {
    mountRoutes(router, m.routes);
    for (const spec of m.routes) openapi.add(spec);
  }
  const routes = list.flatMap((m) => m.routes);
  app.use(routeDispatcher(routes.map((spec) => ({ ...spec, handlers: routeHandlers(spec) }))));
  app.use(router);
  mountDashboard(app, options.dashboardDir ?? null, htmlHeaders);
  app.use(notFoundHandler);
  app.use(errorHandler(logger));

  return {
    app,
    modules: { audit, admin, apps, collections, auth, files, jobs, webhooks, push, realtime, backups },
    openapi,
    settle: async () => {
      await Promise.all(list.map((m) => m.settle?.()));
    },
    attach: (server) => {
      const stops = list.flatMap((m) => (m.attach ? [m.attach(server)] : []));
      return async () => {
        await Promise.all(stops.map((stop) => stop()));
      };
    },
  };
}
