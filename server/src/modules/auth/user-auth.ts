import type { RequestHandler } from 'express';
import { errors, isHearthError, unavailable } from '../../errors.js';
import type { AccessTokens, AppUser } from './access-tokens.js';

/**
 * The signed-in app user on HTTP requests: `Authorization: Bearer <access token>` next to the
 * app's key, checked by AccessTokens. The result goes to `req.ctx.user`, which the collections
 * rules read as `@auth`; services get it as plain values.
 */
declare module '../../principals.js' {
  interface RequestContext {
    user?: AppUser | null;
  }
}

/** `<scheme> <token>` with the scheme `bearer` in any case (what passport-jwt accepted). */
function bearerToken(header: string): string | null {
  const m = /(\S+)\s+(\S+)/.exec(header);
  return m && m[1]!.toLowerCase() === 'bearer' ? m[2]! : null;
}

export function createUserAuth(deps: { tokens: AccessTokens }): {
  /** Mounted after the app's key check: verifies a user token when one comes with a key. */
  attachUser: RequestHandler;
  /** For routes that need a signed-in user. */
  requireUser: RequestHandler;
} {
  const attachUser: RequestHandler = (req, _res, next) => {
    // Without a key, a bearer token is an admin's (handled by app-access); with one, it is a user's.
    const header = req.headers.authorization;
    if (!req.ctx.key || !header) return next();
    const token = bearerToken(header);
    const appId = req.ctx.app?.id;
    if (!token || !appId) return next(errors.invalidToken());
    deps.tokens.verify(appId, token).then(
      (user) => {
        if (!user) return next(errors.invalidToken());
        req.ctx.user = user;
        next();
      },
      (err: unknown) => next(isHearthError(err) ? err : unavailable(undefined, err)),
    );
  };

  const requireUser: RequestHandler = (req, _res, next) => {
    next(req.ctx.user ? undefined : errors.userTokenRequired());
  };

  return { attachUser, requireUser };
}
