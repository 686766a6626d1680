import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { appAccess } from './http/app-access.js';
import { jsonBody } from './http/body.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { createMetrics } from './http/metrics.js';
import { instrumentStore } from './engines/instrumented-store.js';
import { OpenApiRegistry } from './http/openapi.js';
import { requestContext } from './http/request-context.js';
import { mountRoutes } from './http/route.js';
import './http/context.js';
import { createAdminAuth } from './modules/admin/admin-auth.js';
import { AdminTokens } from './modules/admin/admin-tokens.js';
import { adminAccountRoutes } from './modules/admin/admins.routes.js';
import { AdminsService } from './modules/admin/admins.service.js';
import { appRoutes } from './modules/admin/apps.routes.js';
import { AppsService } from './modules/admin/apps.service.js';
import { auditRoutes } from './modules/admin/audit.routes.js';
import { AuditLog } from './modules/admin/audit.service.js';
import { KeysService } from './modules/admin/keys.service.js';
import { appInfoRoutes } from './modules/apps/app-info.routes.js';
import { createAuthModule, type AuthModule } from './modules/auth/auth.module.js';
import type { LimiterFactory } from './ports/rate-limits.js';
import { createOutboxMailer } from './engines/mail/outbox.js';
import { redisReadiness, type RedisClient } from './engines/redis/index.js';
import { createLimiterFactory } from './engines/redis/limiters.js';
import type { Mailer } from './ports/mail.js';
import { createCollectionsModule, type CollectionsModule } from './modules/collections/collections.module.js';
import type { DocumentEvents } from './modules/collections/events.js';
import { systemRoutes, type ReadinessCheck } from './modules/system/system.routes.js';
import { SYSTEM_APP, type DocumentStore } from './ports/document-store.js';

/** Everything buildApp needs; main.ts builds these from the configuration, tests build their own. */
export interface AppDeps {
  store: DocumentStore;
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
  /** The dashboard's built files; null or missing → a page that says how to build it. */
  dashboardDir?: string | null;
  now?: () => Date;
  /** Extra engines for /readyz (queue, files… as they are added). */
  readiness?: ReadinessCheck[];
  /** The mail engine (default: the outbox kept in the store). */
  mailer?: Mailer;
  /** Default sender of auth mails. */
  mailFrom?: string;
  /** Shared rate-limit store for the auth and admin limits; default: built from `redis`. */
  authLimiters?: LimiterFactory;
  /** The Redis connection (REDIS_URL): shared rate limits, and a /readyz check. */
  redis?: RedisClient | null;
}

export interface Services {
  admins: AdminsService;
  apps: AppsService;
  keys: KeysService;
  audit: AuditLog;
  tokens: AdminTokens;
  /** App collections: schemas, documents (see modules/collections). */
  collections: CollectionsModule;
  /** documents.create/update/delete after commit, for realtime and webhooks. */
  documentEvents: DocumentEvents;
  /** App users: sign-in flows, sessions, user management (see modules/auth). */
  auth: AuthModule;
}

/** Builds the express app and its services without listening. */
export async function buildApp(deps: AppDeps): Promise<{ app: Express; services: Services; openapi: OpenApiRegistry }> {
  const metrics = deps.metrics === false ? null : createMetrics();
  // Store latency by operation (hearth_store_operation_seconds) for everything below.
  if (metrics) deps = { ...deps, store: instrumentStore(deps.store, metrics.registry) };
  const now = deps.now ?? (() => new Date());
  const system = deps.store.forApp(SYSTEM_APP);
  const audit = new AuditLog(system);
  const tokens = new AdminTokens(system, {
    secret: deps.secret,
    accessTtlSeconds: deps.adminAccessTtlSeconds ?? 900,
    refreshTtlSeconds: deps.adminRefreshTtlSeconds ?? 30 * 24 * 3600,
    now,
  });
  const admins = new AdminsService(system, tokens, audit);
  const keys = new KeysService(system, audit, now);
  const apps = new AppsService(deps.store, system, keys, audit, now);
  await Promise.all([audit.init(), admins.init(), keys.init()]);
  // Every limiter (auth and admin) comes from one factory: Redis when configured, else memory.
  const limiters = deps.authLimiters ?? createLimiterFactory({ redis: deps.redis ?? null, logger: deps.logger });
  const adminAuth = createAdminAuth({ secret: deps.secret, admins, tokens, limiters });
  const collections = createCollectionsModule({
    store: deps.store,
    audit,
    now,
    onListenerError: (err, event) =>
      deps.logger.error({ err, type: event.type, collection: event.collection }, 'document event listener failed'),
  });
  await collections.init();
  apps.onRemove((appId) => collections.schemas.removeAllForApp(appId));
  const auth = createAuthModule({
    store: deps.store,
    mailer:
      deps.mailer ?? createOutboxMailer({ store: deps.store, from: deps.mailFrom ?? 'Hearth <no-reply@localhost>' }),
    apps,
    adminAuth,
    audit,
    secret: deps.secret,
    publicUrl: deps.publicUrl,
    logger: deps.logger,
    now,
    limiters,
    collections,
  });
  apps.onRemove(async (appId) => auth.forgetApp(appId));

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (deps.trustProxy) {
    const n = Number(deps.trustProxy);
    app.set('trust proxy', Number.isInteger(n) ? n : deps.trustProxy);
  }
  const openapi = new OpenApiRegistry();

  app.use(...requestContext(deps.logger));
  if (metrics) app.use(metrics.middleware);
  app.use(helmet({ crossOriginResourcePolicy: { policy: 'cross-origin' } }));
  // HTML form posts: Sign in with Apple's OAuth callback, and the default verify and reset pages.
  app.use(
    ...jsonBody({
      limit: deps.bodyLimit ?? '1mb',
      except: (path) => /^\/v1\/apps\/[^/]+\/auth\/(oauth\/[^/]+\/callback|links\/(?:reset|verify))\/?$/.test(path),
    }),
  );

  const router = express.Router();
  mountRoutes(
    router,
    openapi,
    systemRoutes({
      checks: [
        { name: 'documentStore', engine: deps.store.engine, check: () => deps.store.ping() },
        ...(deps.redis ? [redisReadiness(deps.redis)] : []),
        ...(deps.readiness ?? []),
      ],
      metrics: metrics?.registry ?? null,
      openapi,
      version: deps.version,
      publicUrl: deps.publicUrl,
    }),
  );
  mountRoutes(router, openapi, adminAccountRoutes({ admins, auth: adminAuth }));
  mountRoutes(router, openapi, appRoutes({ apps, keys, auth: adminAuth }));
  mountRoutes(router, openapi, auditRoutes({ audit, auth: adminAuth }));
  // Mail links open in a browser, without the app's key.
  app.use('/v1/apps/:appId/auth/links', auth.linkPages());
  app.use('/v1/apps/:appId/auth/oauth/:provider', auth.oauthPages());
  app.use('/v1/apps/:appId', ...appAccess({ apps, keys, adminAuth }));
  app.use('/v1/apps/:appId', auth.attachUser);
  mountRoutes(router, openapi, appInfoRoutes());
  mountRoutes(router, openapi, collections.adminRoutes({ apps, auth: adminAuth }));
  mountRoutes(router, openapi, collections.appRoutes());
  mountRoutes(router, openapi, auth.appRoutes());
  mountRoutes(router, openapi, auth.adminRoutes());
  app.use(router);

  mountDashboard(app, deps.dashboardDir ?? null);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));

  return {
    app,
    services: { admins, apps, keys, audit, tokens, collections, documentEvents: collections.events, auth },
    openapi,
  };
}

function mountDashboard(app: Express, dir: string | null): void {
  app.get('/', (_req, res) => res.redirect(302, '/dashboard/'));
  if (dir && existsSync(join(dir, 'index.html'))) {
    app.use('/dashboard', express.static(dir, { index: 'index.html', maxAge: '1h', setHeaders: noCacheHtml }));
    // Client-side routes of the single-page app.
    app.get('/dashboard{/*path}', (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(join(dir, 'index.html'));
    });
  } else {
    app.get('/dashboard{/*path}', (_req, res) => {
      res
        .status(503)
        .type('html')
        .send(
          '<!doctype html><title>Hearth</title><p>The dashboard is not built. Run <code>pnpm build</code> and restart.</p>',
        );
    });
  }
}

function noCacheHtml(res: express.Response, path: string): void {
  if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
}
