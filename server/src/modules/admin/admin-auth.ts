import { createSecretKey } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { Passport } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { HearthError, errors, isError } from '../../errors.js';
import type { LimiterFactory } from '../../ports/rate-limits.js';
import { ADMIN_AUDIENCE, ISSUER, type AdminTokens } from './admin-tokens.js';
import type { AdminsService } from './admins.service.js';

/**
 * Admin bearer authentication through passport-jwt (HS256 only, audience and issuer checked,
 * `alg: none` and other algorithms refused), plus a check that the session behind the token is
 * still live, so logout and session revocation take effect at once.
 */
export interface AdminAuth {
  /** Requires an admin bearer token; sets req.ctx.admin. */
  requireAdmin: RequestHandler;
  /** Sets req.ctx.admin when a valid admin bearer token is present; never fails. */
  optionalAdmin: RequestHandler;
  /** Per-IP and per-email limits on setup and login. */
  rateLimit: RequestHandler;
  /**
   * Whether an Authorization header carries what claims to be an admin token (a JWT for the
   * admin audience; not verified here): app routes send such callers to `requireAdmin` and
   * everyone else to the app-key check.
   */
  isAdminBearer(authorization: string): boolean;
  /**
   * Runs a refresh: a valid refresh token always gets through (failed logins from the same IP
   * never block it); failed refreshes count per IP, and past their own limit answer rate_limited.
   */
  limitFailedRefresh<T>(req: Request, refresh: () => Promise<T>): Promise<T>;
}

interface TokenPayload {
  sub?: string;
  sid?: string;
  typ?: string;
}

export function createAdminAuth(deps: {
  secret: string;
  admins: AdminsService;
  tokens: AdminTokens;
  /** Where the login limits count (Redis shares them across replicas). */
  limiters: LimiterFactory;
}): AdminAuth {
  const passport = new Passport();
  const signingKey = createSecretKey(Buffer.from(deps.secret, 'utf8'));
  passport.use(
    'admin-jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        // jsonwebtoken verifies with a KeyObject ~40× faster than with a string (it would import
        // the string on every call); the typings only name string | Buffer.
        secretOrKey: signingKey as unknown as Buffer,
        algorithms: ['HS256'],
        audience: ADMIN_AUDIENCE,
        issuer: ISSUER,
      },
      (payload: TokenPayload, done: (err: unknown, user?: unknown) => void) => {
        if (payload.typ !== 'admin' || !payload.sub || !payload.sid) return done(null, false);
        Promise.all([deps.admins.findActive(payload.sub), deps.tokens.isSessionActive(payload.sid)])
          .then(([admin, live]) =>
            done(null, admin && live ? { id: admin.id, email: admin.email, sessionId: payload.sid } : false),
          )
          .catch((e: unknown) => done(e));
      },
    ),
  );

  const authenticate =
    (required: boolean): RequestHandler =>
    (req, res, next) => {
      const header = req.headers.authorization;
      if (!header) {
        return required ? next(new HearthError('unauthorized', 'An admin access token is required.')) : next();
      }
      passport.authenticate(
        'admin-jwt',
        { session: false },
        (err: unknown, user: { id: string; email: string; sessionId: string } | false) => {
          if (err) return next(err);
          if (!user) {
            return required ? next(new HearthError('unauthorized', 'The access token is invalid or expired.')) : next();
          }
          req.ctx.admin = { id: user.id, email: user.email };
          req.ctx.adminSessionId = user.sessionId;
          next();
        },
      )(req, res, next);
    };

  const limiters = deps.limiters;
  // Attempts are counted per IP, per (email, IP) and per email across all IPs, taken before the
  // password is checked (so parallel guesses cannot slip past), and given back when the attempt
  // succeeds: only failures accumulate. Keying the tight limit by (email, IP) means nobody can lock
  // an admin out by merely naming their email; the per-email ceiling only stops distributed
  // guessing (and existing sessions keep working meanwhile).
  const perIp = limiters({ keyPrefix: 'admin_auth_ip', points: 30, duration: 15 * 60 });
  const perEmailAndIp = limiters({ keyPrefix: 'admin_auth_email_ip', points: 10, duration: 15 * 60 });
  const perEmail = limiters({ keyPrefix: 'admin_auth_email', points: 100, duration: 15 * 60 });
  const rateLimit: RequestHandler = async (req, res, next) => {
    try {
      const ip = req.ip ?? 'unknown';
      await perIp.consume(ip);
      const email = typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase().slice(0, 320) : null;
      if (email) {
        await perEmailAndIp.consume(`${email}|${ip}`);
        await perEmail.consume(email);
      }
      res.on('finish', () => {
        if (res.statusCode >= 400) return;
        const refunds: Promise<unknown>[] = [perIp.reward(ip)];
        if (email) refunds.push(perEmailAndIp.delete(`${email}|${ip}`), perEmail.reward(email));
        Promise.all(refunds).catch(() => undefined); // best effort: a lost refund only makes a limit stricter
      });
      next();
    } catch (e) {
      if (e instanceof RateLimiterRes) return next(errors.rateLimited(e.msBeforeNext));
      next(e);
    }
  };

  // Refresh tokens are 256-bit random, so guessing them is hopeless: only failures are counted
  // (after the check), and only to stop a client hammering the route.
  const failedRefreshes = limiters({ keyPrefix: 'admin_refresh_fail_ip', points: 60, duration: 15 * 60 });
  const limitFailedRefresh = async <T>(req: Request, refresh: () => Promise<T>): Promise<T> => {
    try {
      return await refresh();
    } catch (e) {
      if (!isError(e, 'unauthorized')) throw e;
      try {
        await failedRefreshes.consume(req.ip ?? 'unknown');
      } catch (limited) {
        if (limited instanceof RateLimiterRes) throw errors.rateLimited(limited.msBeforeNext);
        throw limited;
      }
      throw e;
    }
  };

  return {
    requireAdmin: authenticate(true),
    optionalAdmin: authenticate(false),
    rateLimit,
    limitFailedRefresh,
    isAdminBearer,
  };
}

function isAdminBearer(authorization: string): boolean {
  const match = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/.exec(authorization);
  if (!match) return false;
  try {
    const claims = JSON.parse(Buffer.from(match[2]!, 'base64url').toString('utf8')) as { aud?: unknown; typ?: unknown };
    return claims.typ === 'admin' || claims.aud === ADMIN_AUDIENCE;
  } catch {
    return false;
  }
}
