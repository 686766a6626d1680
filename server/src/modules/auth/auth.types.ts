import type { AuthSettingsService } from './auth.settings.js';
import type { OneTimeTokens } from './one-time-tokens.js';
import type { AuthRateLimits } from './rate-limits.js';
import type { IssuedTokens, Sessions } from './sessions.js';
import type { UsersRepo, UserView } from './users.repo.js';

/**
 * What the auth services are given and answer. Routes and middleware read the express request;
 * services get these plain values only.
 */

/** The parts the auth services are built from (auth.module.ts makes one of each). */
export interface AuthParts {
  users: UsersRepo;
  settings: AuthSettingsService;
  sessions: Sessions;
  oneTime: OneTimeTokens;
  limits: AuthRateLimits;
  now: () => Date;
}

/** The request as the services see it: the app, the client (for sessions and limits), the request id. */
export interface AuthContext {
  appId: string;
  appName: string;
  ip: string;
  userAgent: string | null;
  requestId?: string;
  /** The device's push installation (X-Hearth-Installation), for session events (session-events.ts). */
  installationId?: string | null;
}

/** The caller of /auth/me and friends: a verified access token's user and session. */
export interface SignedIn {
  userId: string;
  sessionId: string;
}

export interface SignIn extends IssuedTokens {
  user: UserView;
}

export interface MfaChallenge {
  mfaRequired: true;
  mfaToken: string;
  methods: Array<'totp' | 'recovery'>;
}

/** Signed up (or an upgrade asked for) on an app that requires a verified email: no tokens yet. */
export interface VerificationRequired {
  user: UserView;
  verificationRequired: true;
}
