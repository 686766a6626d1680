import type { Request, RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { Passport } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { HearthError } from '../../errors.js';
import type { RuleUser } from '../collections/index.js';
import { appAudience, USER_ISSUER, type AccessClaims, type Sessions } from './sessions.js';
import type { SigningKeys } from './signing-keys.js';
import type { UsersRepo } from './users.repo.js';
import type { AuthGenerations } from './generations.js';

/**
 * The signed-in app user, from `Authorization: Bearer <access token>` next to the app's key.
 * passport-jwt verifies the token with the key named by its `kid` (HS256 only: `alg: none` and
 * every other algorithm are refused), the audience must be this app, and the session and user
 * behind it must still be live, so logout, revocation and disabling take effect at once (on
 * this replica; on others within `cacheMs`, default 1 s, for which those lookups are reused).
 * The result goes to `req.ctx.user`, which the collections rules read as `@auth`.
 */
export interface AppUser extends RuleUser {
  id: string;
  roles: string[];
  anonymous: boolean;
  sessionId: string;
  /** The admin impersonating this user, when so. */
  impersonatedBy: string | null;
}

declare module '../../principals.js' {
  interface RequestContext {
    user?: AppUser | null;
  }
}

export function createUserAuth(deps: {
  keys: SigningKeys;
  sessions: Sessions;
  users: UsersRepo;
  generations: AuthGenerations;
  cacheMs: number;
  now: () => Date;
}): {
  /** Mounted after the app's key check: verifies a user token when one comes with a key. */
  attachUser: RequestHandler;
  /** For routes that need a signed-in user. */
  requireUser: RequestHandler;
  /**
   * The same check outside HTTP (realtime handshakes, a token refresh on a live socket): the user
   * behind an access token for this app, or null when the token is not valid here.
   */
  verifyToken(appId: string, token: string): Promise<AppUser | null>;
} {
  // Verified session + user per token, for a moment (see generations.ts).
  const cache = new Map<string, { user: AppUser; until: number; generation: number }>();
  /** Claims already verified (signature, issuer, expiry): the live session and user behind them. */
  const resolve = async (appId: string, payload: AccessClaims & { aud?: unknown }): Promise<AppUser | null> => {
    if (
      payload.typ !== 'user' ||
      payload.app !== appId ||
      payload.aud !== appAudience(appId) ||
      !payload.sub ||
      !payload.sid
    ) {
      return null;
    }
    const key = `${appId}\u0000${payload.sid}\u0000${payload.sub}`;
    const t = deps.now().getTime();
    const generation = deps.generations.get(appId);
    const hit = cache.get(key);
    if (hit && hit.until > t && hit.generation === generation) return hit.user;
    const [session, user] = await Promise.all([
      deps.sessions.live(appId, payload.sid),
      deps.users.get(appId, payload.sub),
    ]);
    if (!session || !user || session.userId !== user.id || user.disabledAt) return null;
    const appUser: AppUser = {
      id: user.id,
      roles: Array.isArray(user.roles) ? (user.roles as string[]) : [],
      anonymous: Boolean(user.anonymous),
      sessionId: session.id,
      impersonatedBy: (session.impersonatedBy as string | null) ?? null,
    };
    if (deps.cacheMs > 0) {
      if (cache.size > 50_000) cache.clear();
      cache.set(key, { user: appUser, until: t + deps.cacheMs, generation });
    }
    return appUser;
  };

  /** The verification key named by a token's `kid` (HS256 only), or null. */
  const keyFor = async (appId: string, rawJwt: string) => {
    const decoded = jwt.decode(rawJwt, { complete: true });
    const kid = decoded && typeof decoded === 'object' ? decoded.header.kid : undefined;
    if (!kid || decoded?.header.alg !== 'HS256') return null;
    return deps.keys.verificationKey(appId, kid);
  };

  const passport = new Passport();
  passport.use(
    'app-user-jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKeyProvider: (req: Request, rawJwt: string, done: (err: unknown, key?: string | Buffer) => void) => {
          const appId = req.ctx.app?.id;
          if (!appId) return done(new Error('unknown signing key'));
          keyFor(appId, rawJwt)
            // jsonwebtoken takes a KeyObject (much faster than a Buffer); the typings only name string | Buffer.
            .then((key) => (key ? done(null, key as unknown as Buffer) : done(new Error('unknown signing key'))))
            .catch((e: unknown) => done(e));
        },
        algorithms: ['HS256'],
        issuer: USER_ISSUER,
        passReqToCallback: true,
      },
      (
        req: Request,
        payload: AccessClaims & { aud?: unknown },
        done: (err: unknown, user?: AppUser | false) => void,
      ) => {
        resolve(req.ctx.app!.id, payload).then((user) => done(null, user ?? false), done);
      },
    ),
  );

  const attachUser: RequestHandler = (req, res, next) => {
    // Without a key, a bearer token is an admin's (handled by app-access); with one, it is a user's.
    if (!req.ctx.key || !req.headers.authorization) return next();
    passport.authenticate('app-user-jwt', { session: false }, (err: unknown, user: AppUser | false) => {
      if (err instanceof HearthError) return next(err);
      if (err) return next(new HearthError('unavailable', undefined, undefined, { cause: err }));
      if (!user)
        return next(
          new HearthError('unauthorized', 'The access token is invalid or expired.', { reason: 'invalid_token' }),
        );
      req.ctx.user = user;
      next();
    })(req, res, next);
  };

  const requireUser: RequestHandler = (req, _res, next) => {
    if (!req.ctx.user) return next(new HearthError('unauthorized', "Sign in first: send the user's access token."));
    next();
  };

  const verifyToken = async (appId: string, token: string): Promise<AppUser | null> => {
    const key = await keyFor(appId, token);
    if (!key) return null;
    let payload: AccessClaims & { aud?: unknown };
    try {
      payload = jwt.verify(token, key, { algorithms: ['HS256'], issuer: USER_ISSUER }) as AccessClaims & {
        aud?: unknown;
      };
    } catch {
      return null;
    }
    return resolve(appId, payload);
  };

  return { attachUser, requireUser, verifyToken };
}
