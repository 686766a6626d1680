import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { errors } from '../../errors.js';
import { idParam } from '../../http/schemas.js';
import type { AuthSettingsService } from './auth.settings.js';
import type { AuthContext, SignedIn } from './auth.types.js';
import type { AuthRateLimits } from './rate-limits.js';
import { installationIdOf } from './session-events.js';

/**
 * What the app-user routes under /v1/apps/{appId}/auth share: the plain values a request hands to
 * the services, and the two route guards (the app's key with the per-IP limit; a signed-in user).
 */
export const AUTH_TAG = 'Auth';
export const AUTH_BASE = '/v1/apps/:appId/auth';
export const appParams = z.object({ appId: idParam });

/** The client of a request, for an app (its id and name). */
export function clientContext(req: Request, app: { id: string; name: string }): AuthContext {
  return {
    appId: app.id,
    appName: app.name,
    ip: req.ip ?? 'unknown',
    userAgent: req.get('user-agent') ?? null,
    requestId: req.ctx.requestId,
    installationId: installationIdOf(req),
  };
}

/** The context of a request whose app the key check resolved. */
export const authContext = (req: Request): AuthContext => clientContext(req, req.ctx.app!);

/** The signed-in caller (its token was verified by attachUser). */
export function signedIn(req: Request): SignedIn {
  const user = req.ctx.user;
  if (!user) throw errors.userTokenRequired();
  return { userId: user.id, sessionId: user.sessionId };
}

export interface AppUserGuards {
  /** The app's key; counts against the per-IP limit of sign-in style requests. */
  key: { security: ['appKey']; before: RequestHandler[] };
  /** The app's key and a signed-in user. */
  user: { security: ['appKey', 'userBearer']; before: RequestHandler[] };
  /** A signed-in user, also counted against the per-IP limit (it sends mail). */
  userLimited: { security: ['appKey', 'userBearer']; before: RequestHandler[] };
}

export function appUserGuards(deps: {
  settings: AuthSettingsService;
  limits: AuthRateLimits;
  requireUser: RequestHandler;
}): AppUserGuards {
  const limitIp: RequestHandler = (req, _res, next) => {
    const appId = req.ctx.app!.id;
    deps.settings
      .get(appId)
      .then((s) => deps.limits.hitIp(appId, req.ip ?? 'unknown', s))
      .then(() => next(), next);
  };
  return {
    key: { security: ['appKey'], before: [limitIp] },
    user: { security: ['appKey', 'userBearer'], before: [deps.requireUser] },
    userLimited: { security: ['appKey', 'userBearer'], before: [deps.requireUser, limitIp] },
  };
}
