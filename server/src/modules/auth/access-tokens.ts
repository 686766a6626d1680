import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { RuleUser } from '../collections/index.js';
import type { AuthGenerations } from './generations.js';
import { appAudience, USER_ISSUER, type AccessClaims, type Sessions } from './sessions.js';
import type { SigningKeys } from './signing-keys.js';
import type { UsersRepo } from './users.repo.js';

/**
 * Verifying an app user's access token: HS256 only (`alg: none` and every other algorithm are
 * refused), with the key its `kid` names, the issuer, the expiry and this app's audience checked;
 * then the session and user behind it must still be live, so logout, revocation and disabling take
 * effect at once (on this replica; on others within `cacheMs`, default 1 s, for which those
 * lookups are reused). One check for HTTP (user-auth.ts) and realtime handshakes alike.
 */
export interface AppUser extends RuleUser {
  id: string;
  roles: string[];
  anonymous: boolean;
  sessionId: string;
  /** The admin impersonating this user, when so. */
  impersonatedBy: string | null;
}

type VerifiedClaims = AccessClaims & { aud?: unknown; exp?: number; nbf?: number };

export class AccessTokens {
  /** Verified session + user per token, for a moment (see generations.ts). */
  private readonly cache = new Map<string, { user: AppUser; until: number; generation: number }>();

  constructor(
    private readonly d: {
      keys: SigningKeys;
      sessions: Sessions;
      users: UsersRepo;
      generations: AuthGenerations;
      /** How long a verified token's lookups are reused; 0: look up on every request. */
      cacheMs: number;
      now: () => Date;
    },
  ) {}

  /**
   * Tokens whose signature, algorithm and issuer were checked, by app and token text: the same
   * text verifies the same way, so a later request only re-checks what can change — its key is
   * still the live key for its kid (not retired), and it has not expired (nor is it before nbf).
   */
  private readonly verified = new Map<string, { claims: VerifiedClaims; kid: string; key: KeyObject }>();

  /** The user behind an access token for this app, or null when the token is not valid here. */
  async verify(appId: string, token: string): Promise<AppUser | null> {
    const cacheKey = `${appId}\u0000${token}`;
    const hit = this.verified.get(cacheKey);
    if (hit) {
      const seconds = Math.floor(Date.now() / 1000);
      const key = await this.d.keys.verificationKey(appId, hit.kid);
      const timely =
        (hit.claims.exp === undefined || hit.claims.exp > seconds) &&
        (hit.claims.nbf === undefined || hit.claims.nbf <= seconds);
      if (key === hit.key && timely) return this.resolve(appId, hit.claims);
      this.verified.delete(cacheKey);
    }
    const found = await this.keyFor(appId, token);
    if (!found) return null;
    let payload: VerifiedClaims;
    try {
      payload = jwt.verify(token, found.key, { algorithms: ['HS256'], issuer: USER_ISSUER }) as VerifiedClaims;
    } catch {
      return null;
    }
    if (typeof payload.exp === 'number') {
      if (this.verified.size > 50_000) this.verified.clear();
      this.verified.set(cacheKey, { claims: payload, kid: found.kid, key: found.key });
    }
    return this.resolve(appId, payload);
  }

  /** The verification key named by a token's `kid` (HS256 only), or null. */
  private async keyFor(appId: string, rawJwt: string) {
    const decoded = jwt.decode(rawJwt, { complete: true });
    const kid = decoded && typeof decoded === 'object' ? decoded.header.kid : undefined;
    if (!kid || decoded?.header.alg !== 'HS256') return null;
    const key = await this.d.keys.verificationKey(appId, kid);
    return key ? { kid, key } : null;
  }

  /** Claims already verified (signature, issuer, expiry): the live session and user behind them. */
  private async resolve(appId: string, payload: VerifiedClaims): Promise<AppUser | null> {
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
    const t = this.d.now().getTime();
    const generation = this.d.generations.get(appId);
    const hit = this.cache.get(key);
    if (hit && hit.until > t && hit.generation === generation) return hit.user;
    const [session, user] = await Promise.all([
      this.d.sessions.live(appId, payload.sid),
      this.d.users.get(appId, payload.sub),
    ]);
    if (!session || !user || session.userId !== user.id || user.disabledAt) return null;
    const appUser: AppUser = {
      id: user.id,
      roles: Array.isArray(user.roles) ? (user.roles as string[]) : [],
      anonymous: Boolean(user.anonymous),
      sessionId: session.id,
      impersonatedBy: (session.impersonatedBy as string | null) ?? null,
    };
    if (this.d.cacheMs > 0) {
      if (this.cache.size > 50_000) this.cache.clear();
      this.cache.set(key, { user: appUser, until: t + this.d.cacheMs, generation });
    }
    return appUser;
  }
}
