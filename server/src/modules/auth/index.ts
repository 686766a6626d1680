import type { Logger } from 'pino';
import type { DocumentStore } from '../../ports/document-store.js';
import type { Mailer } from '../../ports/mail.js';
import type { AdminAuth } from '../admin/index.js';
import type { AppsModule } from '../apps/index.js';
import type { AuditLog } from '../audit/index.js';
import type { CollectionsModule } from '../collections/index.js';
import type { HearthModule } from '../module.js';
import { AccessTokens, type AppUser } from './access-tokens.js';
import { appUserGuards } from './app-user.routes-kit.js';
import { AuthAudit } from './auth-audit.js';
import { AuthMail } from './auth-mail.js';
import { authSettingsRoutes } from './auth-settings.routes.js';
import { AuthSettingsService } from './auth.settings.js';
import type { AuthParts } from './auth.types.js';
import { ProvenEmails } from './email-proven.js';
import { AuthGenerations } from './generations.js';
import { linkPages } from './link-pages.routes.js';
import { mailLinkRoutes } from './mail-links.routes.js';
import { MailLinksService } from './mail-links.service.js';
import { mailOutboxRoutes } from './mail-outbox.routes.js';
import { managementGuards } from './management-access.js';
import { SecretBox } from './mfa.js';
import { mfaRoutes } from './mfa.routes.js';
import { MfaService } from './mfa.service.js';
import { oauthBrowserRoutes, oauthRoutes } from './oauth.routes.js';
import { OidcService } from './oidc.js';
import { OneTimeTokens } from './one-time-tokens.js';
import { handleOwnedDocuments } from './owned-documents.js';
import { profileRoutes } from './profile.routes.js';
import { ProfileService } from './profile.service.js';
import { AuthRateLimits, type LimiterFactory } from './rate-limits.js';
import { SessionIssuer } from './session-issuer.js';
import { Sessions } from './sessions.js';
import { signInRoutes } from './sign-in.routes.js';
import { SignInService } from './sign-in.service.js';
import { signingKeyRoutes } from './signing-keys.routes.js';
import { SigningKeys } from './signing-keys.js';
import { createUserAuth } from './user-auth.js';
import { UserEvents } from './user-events.js';
import { SessionEvents } from './session-events.js';
import { userRoutes } from './users.routes.js';
import { UsersRepo } from './users.repo.js';
import type { UserOutbox } from './user-outbox.js';
import { UsersService } from './users.service.js';

/**
 * The auth module: app users (passwords, anonymous users, tokens and sessions, mailed links, TOTP
 * MFA, OpenID Connect) and their management by admins. It contributes browser `pages` (mail
 * links, OAuth legs: no key), `appMiddleware` (the user behind a bearer token), and routes.
 */
export type { AppUser } from './access-tokens.js';
export type { UserEvent, UserEvents } from './user-events.js';
export type { UserOutbox, UserOutboxEvent } from './user-outbox.js';
export { toUserView } from './users.repo.js';
export { USERS as USERS_COLLECTION } from './auth.collections.js';
export { INSTALLATION_HEADER, type SessionEvent, type SessionEvents } from './session-events.js';

export interface AuthModule extends HearthModule {
  services: {
    /** One service per job: getting in, mailed links, MFA, the signed-in user's own account. */
    signIn: SignInService;
    mailLinks: MailLinksService;
    mfa: MfaService;
    profile: ProfileService;
    /** Users as admins manage them. */
    users: UsersService;
    settings: AuthSettingsService;
    keys: SigningKeys;
    sessions: Sessions;
    limits: AuthRateLimits;
    oidc: OidcService;
  };
  /** users.create / users.update / users.delete, after commit (webhooks, realtime). */
  events: UserEvents;
  /** The webhooks module registers its transactional outbox for user events (user-outbox.ts). */
  useOutbox(outbox: UserOutbox): void;
  /** session.start / refresh / end, with the request's push installation id (session-events.ts). */
  sessionEvents: SessionEvents;
  /** The user behind an access token of this app, or null (for realtime handshakes). */
  verifyToken(appId: string, token: string): Promise<AppUser | null>;
  /** Deletes expired one-time tokens and old sessions of an app (also done in the background). */
  sweep(appId: string): Promise<{ tokens: number; sessions: number }>;
  /** Waits for mail work started by requests that already got their answer (shutdown, tests). */
  settle(): Promise<void>;
}

export function createAuthModule(deps: {
  store: DocumentStore;
  mailer: Mailer;
  /** Waits until mail handed to `mailer` had its first delivery attempt (the jobs module's queue). */
  settleMail?: () => Promise<void>;
  limits: LimiterFactory;
  apps: Pick<AppsModule, 'services' | 'onRemove'>;
  guards: AdminAuth;
  audit: AuditLog;
  secret: string;
  publicUrl: string;
  logger: Logger;
  now: () => Date;
  /**
   * How long a verified token's session and user lookups are reused (default 1000 ms). Changes on
   * this replica apply at once; on other replicas within this time. 0: look up on every request.
   */
  verifyCacheMs?: number;
  /** For `onUserDelete` (unown / delete a deleted user's documents). */
  collections: Pick<CollectionsModule, 'services'>;
}): AuthModule {
  const apps = deps.apps.services.apps;
  const { store, now, logger } = deps;
  const onSweepError = (err: unknown) => logger.warn({ err }, 'auth: sweeping expired tokens failed');
  const generations = new AuthGenerations();
  const changed = (appId: string) => generations.bump(appId);

  const settings = new AuthSettingsService({ store, now, logger });
  const keys = new SigningKeys({ store, serverSecret: deps.secret, now });
  const sessions = new Sessions({ store, keys, now, onSweepError, changed });
  const oneTime = new OneTimeTokens({ store, now, onSweepError });
  const limits = new AuthRateLimits({ limiters: deps.limits });
  const events = new UserEvents((err, event) => logger.error({ err, type: event.type }, 'user event listener failed'));
  const users = new UsersRepo({ store, changed, events });
  const mail = new AuthMail({ mailer: deps.mailer, oneTime, limits, publicUrl: deps.publicUrl, logger });
  // Session events (push links installations on sign-in): session-events.ts.
  const sessionEvents = new SessionEvents((err, event) =>
    logger.error({ err, type: event.type }, 'session event listener failed'),
  );
  const issuer = new SessionIssuer({ users, sessions, oneTime, now, sessionEvents });
  const provenEmails = new ProvenEmails({ users, sessions, oneTime, logger, now });

  const parts: AuthParts = { users, settings, sessions, oneTime, limits, now };
  const services = {
    signIn: new SignInService({ ...parts, mail, issuer, sessionEvents }),
    mailLinks: new MailLinksService({ ...parts, mail, issuer, provenEmails }),
    mfa: new MfaService({ ...parts, box: new SecretBox(deps.secret), issuer }),
    profile: new ProfileService(parts),
  };
  const audit = new AuthAudit({ audit: deps.audit });
  const collections = deps.collections.services;
  const usersService = new UsersService({
    store,
    users,
    settings,
    sessions,
    oneTime,
    issuer,
    audit,
    ownedDocuments: (appId: string, userId: string, policy: 'keep' | 'unown' | 'delete', requestId?: string) =>
      handleOwnedDocuments({ store, collections }, appId, userId, policy, requestId),
  });
  const tokens = new AccessTokens({ keys, sessions, users, generations, cacheMs: deps.verifyCacheMs ?? 1000, now });
  const { attachUser, requireUser } = createUserAuth({ tokens });
  const oidc = new OidcService({
    store,
    users,
    settings,
    issuer,
    provenEmails,
    oneTime,
    publicUrl: deps.publicUrl,
    now,
  });
  const hitIp = async (appId: string, ip: string) => limits.hitIp(appId, ip, await settings.get(appId));
  const settle = async () => {
    await services.mailLinks.settle();
    await deps.settleMail?.();
  };
  const guards = appUserGuards({ settings, limits, requireUser });
  const management = managementGuards({ adminAuth: deps.guards, apps });
  deps.apps.onRemove((appId) => {
    settings.forget(appId);
    keys.forget(appId);
    users.forget(appId);
  });
  return {
    name: 'auth',
    services: { ...services, users: usersService, settings, keys, sessions, limits, oidc },
    events,
    useOutbox: (outbox) => {
      users.outbox = outbox;
    },
    sessionEvents,
    verifyToken: (appId, token) => tokens.verify(appId, token),
    sweep: async (appId) => ({ tokens: await oneTime.sweep(appId), sessions: await sessions.sweep(appId) }),
    settle,
    pages: [
      { path: '/v1/apps/:appId/auth/links', router: linkPages({ apps, mailLinks: services.mailLinks, hitIp }) },
      {
        path: '/v1/apps/:appId/auth/oauth/:provider',
        router: oauthBrowserRoutes({ apps, oidc, secureCookies: deps.publicUrl.startsWith('https:'), hitIp }),
      },
    ],
    appMiddleware: [attachUser],
    routes: [
      ...signInRoutes({ signIn: services.signIn, guards }),
      ...profileRoutes({ profile: services.profile, guards }),
      ...mailLinkRoutes({ mailLinks: services.mailLinks, guards }),
      ...mfaRoutes({ mfa: services.mfa, guards }),
      ...oauthRoutes({ oidc }),
      ...userRoutes({ users: usersService, apps, guards: management }),
      ...authSettingsRoutes({ settings, audit, guards: management }),
      ...signingKeyRoutes({ keys, settings, audit, guards: management }),
      ...mailOutboxRoutes({ mailer: deps.mailer, guards: management }),
    ],
  };
}
