import type { RequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import type { RouteSpec } from '../../http/route.js';
import type { DocumentStore } from '../../ports/document-store.js';
import type { Mailer } from '../../ports/mail.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsService } from '../apps/index.js';
import type { AuditLog } from '../audit/index.js';
import { authRoutes } from './auth.routes.js';
import { AuthService } from './auth.service.js';
import { AuthSettingsService } from './auth.settings.js';
import { linkPages } from './links.routes.js';
import { oauthBrowserRoutes, oauthRoutes } from './oauth.routes.js';
import { OidcService } from './oidc.js';
import { handleOwnedDocuments } from './owned-documents.js';
import type { CollectionsModule } from '../collections/index.js';
import { SecretBox } from './mfa.js';
import { OneTimeTokens } from './one-time-tokens.js';
import { AuthRateLimits, type LimiterFactory } from './rate-limits.js';
import { Sessions } from './sessions.js';
import { SigningKeys } from './signing-keys.js';
import { AuthGenerations } from './generations.js';
import { createUserAuth, type AppUser } from './user-auth.js';
import { UserEvents } from './user-events.js';
import { userManagementRoutes } from './users.routes.js';
import { UsersRepo } from './users.repo.js';
import { UsersService } from './users.service.js';

/**
 * The auth module wired together from the ports: app.ts mounts `linkPages` (before the app-key
 * check: mail links carry no key), `attachUser` (after it), and the routes.
 */
export interface AuthModule {
  auth: AuthService;
  users: UsersService;
  settings: AuthSettingsService;
  keys: SigningKeys;
  sessions: Sessions;
  limits: AuthRateLimits;
  mailer: Mailer;
  attachUser: RequestHandler;
  requireUser: RequestHandler;
  /** users.create / users.update / users.delete, after commit (webhooks, realtime). */
  events: UserEvents;
  /** The user behind an access token of this app, or null (for realtime handshakes). */
  verifyToken(appId: string, token: string): Promise<AppUser | null>;
  linkPages(): Router;
  /** GET /auth/oauth/{provider} and its callback (browser legs, no key). */
  oauthPages(): Router;
  oidc: OidcService;
  /** Deletes expired one-time tokens and old sessions of an app (also done in the background). */
  sweep(appId: string): Promise<{ tokens: number; sessions: number }>;
  /** Drops per-app caches (the app was deleted). */
  forgetApp(appId: string): void;
  appRoutes(): RouteSpec[];
  adminRoutes(): RouteSpec[];
}

export function createAuthModule(deps: {
  store: DocumentStore;
  mailer: Mailer;
  apps: AppsService;
  adminAuth: AdminAuth;
  audit: AuditLog;
  secret: string;
  publicUrl: string;
  logger: Logger;
  now: () => Date;
  limiters: LimiterFactory;
  /**
   * How long a verified token's session and user lookups are reused (default 1000 ms). Changes on
   * this replica apply at once; on other replicas within this time. 0: look up on every request.
   */
  verifyCacheMs?: number;
  /** For `onUserDelete` (unown / delete a deleted user's documents). */
  collections?: CollectionsModule;
}): AuthModule {
  const settings = new AuthSettingsService(deps.store, deps.now, undefined, deps.logger);
  const keys = new SigningKeys(deps.store, deps.secret, deps.now);
  const sweepFailed = (err: unknown) => deps.logger.warn({ err }, 'auth: sweeping expired tokens failed');
  const generations = new AuthGenerations();
  const changed = (appId: string) => generations.bump(appId);
  const sessions = new Sessions(deps.store, keys, deps.now, { onSweepError: sweepFailed, changed });
  const oneTime = new OneTimeTokens(deps.store, deps.now, sweepFailed);
  const limits = new AuthRateLimits(deps.limiters);
  const events = new UserEvents((err, event) =>
    deps.logger.error({ err, type: event.type }, 'user event listener failed'),
  );
  const users = new UsersRepo(deps.store, changed, events);
  const auth = new AuthService({
    users,
    settings,
    sessions,
    oneTime,
    limits,
    mailer: deps.mailer,
    box: new SecretBox(deps.secret),
    publicUrl: deps.publicUrl,
    logger: deps.logger,
    now: deps.now,
  });
  const collections = deps.collections;
  const usersService = new UsersService({
    store: deps.store,
    users,
    sessions,
    auth,
    audit: deps.audit,
    ...(collections
      ? {
          ownedDocuments: (appId: string, userId: string, policy: 'keep' | 'unown' | 'delete', requestId?: string) =>
            handleOwnedDocuments(
              { store: deps.store, collections: collections.services },
              appId,
              userId,
              policy,
              requestId,
            ),
        }
      : {}),
  });
  const { attachUser, requireUser, verifyToken } = createUserAuth({
    keys,
    sessions,
    users,
    generations,
    cacheMs: deps.verifyCacheMs ?? 1000,
    now: deps.now,
  });
  const oidc = new OidcService({ store: deps.store, users, auth, oneTime, publicUrl: deps.publicUrl, now: deps.now });
  return {
    auth,
    users: usersService,
    settings,
    keys,
    sessions,
    limits,
    mailer: deps.mailer,
    attachUser,
    requireUser,
    verifyToken,
    events,
    linkPages: () =>
      linkPages({
        apps: deps.apps,
        auth,
        hitIp: async (appId, ip) => limits.hitIp(appId, ip, await settings.get(appId)),
      }),
    oauthPages: () =>
      oauthBrowserRoutes({
        apps: deps.apps,
        oidc,
        secureCookies: deps.publicUrl.startsWith('https:'),
        hitIp: async (appId, ip) => limits.hitIp(appId, ip, await settings.get(appId)),
      }),
    oidc,
    sweep: async (appId) => ({ tokens: await oneTime.sweep(appId), sessions: await sessions.sweep(appId) }),
    forgetApp: (appId) => {
      settings.forget(appId);
      keys.forget(appId);
      users.forget(appId);
    },
    appRoutes: () => [...authRoutes({ auth, limits, requireUser }), ...oauthRoutes({ oidc })],
    adminRoutes: () =>
      userManagementRoutes({
        users: usersService,
        apps: deps.apps,
        adminAuth: deps.adminAuth,
        settings,
        keys,
        mailer: deps.mailer,
      }),
  };
}
