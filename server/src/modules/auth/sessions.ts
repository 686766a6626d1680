import jwt from 'jsonwebtoken';
import { errors, isError, notFound } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { FilterNode } from '../../lib/filter/types.js';
import { safeEqual, sha256 } from '../../lib/hash.js';
import { newId, randomToken } from '../../lib/ids.js';
import { ThrottledSweep } from '../../lib/throttled-sweep.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import { readAllArray } from '../../ports/read-all.js';
import { SESSIONS } from './auth.collections.js';
import { deleteMatching } from './delete-matching.js';
import type { SigningKeys } from './signing-keys.js';

/**
 * App-user sessions and tokens.
 * - Access token: HS256 JWT with a `kid` header (signing-keys.ts), audience `hearth:app:<appId>`,
 *   `sub` the user, `sid` the session, `typ: "user"`; `imp` names the admin when impersonated.
 * - Refresh token: `<sessionId>.<secret>`, the secret stored only as SHA-256. Every refresh
 *   rotates it; presenting a *superseded* secret (one of the last few this session issued)
 *   revokes the session (the token was copied). Any other wrong secret is only refused, so
 *   knowing a session id (the `sid` claim) is not enough to end someone's session.
 * - `authenticatedAt`: when the user signed in to start the session; a refresh does not move it
 *   (security-sensitive changes ask for a recent one).
 */
export const USER_ISSUER = 'hearth';
export const appAudience = (appId: string) => `hearth:app:${appId}`;

export interface AccessClaims {
  sub: string;
  sid: string;
  typ: 'user';
  app: string;
  anon?: boolean;
  imp?: string;
  amr?: string[];
}

/** Who a session is for. */
export interface SessionUser {
  id: string;
  anonymous: boolean;
}

/** The client that started a session (shown in session lists). */
export interface SessionClient {
  ip?: string | null;
  userAgent?: string | null;
}

export interface SessionTtl {
  access: number;
  refresh: number;
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  amr: string[];
  impersonatedBy: string | null;
  current?: boolean;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** How many superseded refresh secrets a session remembers (to tell a copied token from a guess). */
const SUPERSEDED_KEPT = 5;

export class Sessions {
  private readonly sweeper: ThrottledSweep;
  private readonly store: DocumentStore;
  private readonly keys: SigningKeys;
  private readonly now: () => Date;
  private readonly changed: (appId: string) => void;

  constructor(options: {
    store: DocumentStore;
    keys: SigningKeys;
    now: () => Date;
    /** A background sweep failed (logged by the caller). */
    onSweepError?: (err: unknown) => void;
    /** A session of the app ended (the access-token check drops its cached lookups). */
    changed?: (appId: string) => void;
  }) {
    this.store = options.store;
    this.keys = options.keys;
    this.now = options.now;
    this.changed = options.changed ?? (() => {});
    const onSweepError = options.onSweepError ?? (() => {});
    this.sweeper = new ThrottledSweep((appId) => this.sweep(appId), options.now, onSweepError);
  }

  /**
   * Deletes sessions that expired, or were revoked, more than a day ago (at most 500 per call; a
   * day of revoked sessions stays visible for investigation). Starting sessions runs it at most
   * once a minute per app in the background.
   */
  async sweep(appId: string): Promise<number> {
    const dayAgo = new Date(this.now().getTime() - 24 * 3600_000).toISOString();
    return deleteMatching(
      this.store.forApp(appId),
      SESSIONS,
      where.or(where.lte('expiresAt', dayAgo), where.lte('revokedAt', dayAgo)),
      500,
    );
  }

  async signAccess(appId: string, claims: Omit<AccessClaims, 'typ' | 'app'>, ttlSeconds: number): Promise<string> {
    const { kid, key } = await this.keys.current(appId);
    const { sub, ...rest } = claims;
    return jwt.sign({ ...rest, typ: 'user', app: appId }, key, {
      algorithm: 'HS256',
      keyid: kid,
      subject: sub,
      audience: appAudience(appId),
      issuer: USER_ISSUER,
      expiresIn: ttlSeconds,
    });
  }

  /** A session for a user who signed in (`amr` says how). */
  start(
    appId: string,
    input: { user: SessionUser; client: SessionClient; amr: string[]; ttl: SessionTtl },
  ): Promise<IssuedTokens & { sessionId: string }> {
    return this.create(appId, input.user, input.client, { amr: input.amr, impersonatedBy: null }, input.ttl);
  }

  /** A session an admin starts as the user: marked with the admin's id (`imp` in its tokens). */
  startImpersonation(
    appId: string,
    input: { user: SessionUser; client: SessionClient; adminId: string; ttl: SessionTtl },
  ): Promise<IssuedTokens & { sessionId: string }> {
    return this.create(
      appId,
      input.user,
      input.client,
      { amr: ['impersonation'], impersonatedBy: input.adminId },
      input.ttl,
    );
  }

  private async create(
    appId: string,
    user: SessionUser,
    client: SessionClient,
    how: { amr: string[]; impersonatedBy: string | null },
    ttl: SessionTtl,
  ): Promise<IssuedTokens & { sessionId: string }> {
    this.sweeper.maybe(appId);
    const secret = randomToken();
    const sessionId = newId();
    const now = this.now();
    await this.store.forApp(appId).create(SESSIONS, {
      id: sessionId,
      data: {
        userId: user.id,
        tokenHash: sha256(secret),
        previousHashes: [],
        authenticatedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttl.refresh * 1000).toISOString(),
        lastUsedAt: now.toISOString(),
        revokedAt: null,
        ip: client.ip ?? null,
        userAgent: client.userAgent?.slice(0, 256) ?? null,
        amr: how.amr,
        impersonatedBy: how.impersonatedBy,
      },
    });
    const accessToken = await this.signAccess(appId, this.claims(user, sessionId, how), ttl.access);
    return { sessionId, accessToken, refreshToken: `${sessionId}.${secret}`, expiresIn: ttl.access };
  }

  private claims(user: SessionUser, sessionId: string, how: { amr: string[]; impersonatedBy?: string | null }) {
    return {
      sub: user.id,
      sid: sessionId,
      ...(user.anonymous ? { anon: true } : {}),
      ...(how.impersonatedBy ? { imp: how.impersonatedBy } : {}),
      amr: how.amr,
    };
  }

  /**
   * Rotates a refresh token. `loadUser` returns the (enabled) user or null. A superseded secret
   * (already rotated away) revokes the whole session; an unknown one is only refused.
   */
  async refresh(
    appId: string,
    refreshToken: string,
    loadUser: (id: string) => Promise<SessionUser | null>,
    accessTtl: number,
  ): Promise<IssuedTokens & { userId: string; sessionId: string }> {
    const [sessionId, secret, extra] = refreshToken.split('.');
    if (
      !sessionId ||
      !secret ||
      extra !== undefined ||
      !/^[A-Za-z0-9_-]{1,64}$/.test(sessionId) ||
      secret.length > 128
    ) {
      throw errors.invalidRefreshToken();
    }
    const app = this.store.forApp(appId);
    const session = await app.get(SESSIONS, sessionId);
    if (!session || session.revokedAt) throw errors.invalidRefreshToken();
    const presented = sha256(secret);
    if (!safeEqual(presented, String(session.tokenHash))) {
      const previous = Array.isArray(session.previousHashes) ? (session.previousHashes as string[]) : [];
      if (previous.some((h) => safeEqual(presented, String(h)))) await this.revoke(appId, sessionId, 'reuse');
      throw errors.invalidRefreshToken();
    }
    const now = this.now().toISOString();
    if (String(session.expiresAt) <= now) throw errors.invalidRefreshToken();
    const user = await loadUser(String(session.userId));
    if (!user) throw errors.invalidRefreshToken();
    const next = randomToken();
    try {
      await app.update(
        SESSIONS,
        sessionId,
        {
          set: {
            tokenHash: sha256(next),
            previousHashes: [
              String(session.tokenHash),
              ...(Array.isArray(session.previousHashes) ? (session.previousHashes as string[]) : []),
            ].slice(0, SUPERSEDED_KEPT),
            lastUsedAt: now,
          },
        },
        { expectedVersion: session.version },
      );
    } catch (e) {
      // Two refreshes raced with one token: the loser is a reuse.
      if (isError(e, 'conflict')) {
        await this.revoke(appId, sessionId, 'reuse');
        throw errors.invalidRefreshToken();
      }
      throw e;
    }
    const meta = {
      amr: (session.amr as string[] | undefined) ?? [],
      impersonatedBy: (session.impersonatedBy as string | null) ?? null,
    };
    return {
      userId: user.id,
      sessionId,
      accessToken: await this.signAccess(appId, this.claims(user, sessionId, meta), accessTtl),
      refreshToken: `${sessionId}.${next}`,
      expiresIn: accessTtl,
    };
  }

  /** The session behind an access token, when it is still live. */
  async live(appId: string, sessionId: string): Promise<StoredDocument | null> {
    const session = await this.store.forApp(appId).get(SESSIONS, sessionId);
    if (!session || session.revokedAt || String(session.expiresAt) <= this.now().toISOString()) return null;
    return session;
  }

  /** When the user signed in to start a live session (not moved by refreshes), or null. */
  async authenticatedAt(appId: string, sessionId: string): Promise<Date | null> {
    const session = await this.live(appId, sessionId);
    if (!session) return null;
    // Sessions started before the field existed: their creation is their sign-in.
    const at = new Date(String(session.authenticatedAt ?? session.createdAt));
    return Number.isNaN(at.getTime()) ? null : at;
  }

  async revoke(appId: string, sessionId: string, reason = 'logout'): Promise<void> {
    await this.store
      .forApp(appId)
      .update(SESSIONS, sessionId, { set: { revokedAt: this.now().toISOString(), revokedReason: reason } })
      .catch((e: unknown) => {
        if (!isError(e, 'not_found')) throw e;
      });
    this.changed(appId);
  }

  /** Revokes a user's session by id; not_found when it is not theirs. */
  async revokeOwn(appId: string, userId: string, sessionId: string): Promise<void> {
    const session = await this.store.forApp(appId).get(SESSIONS, sessionId);
    if (!session || session.userId !== userId || session.revokedAt) throw notFound('No such session.');
    await this.revoke(appId, sessionId, 'revoked');
  }

  /** Revokes every live session of a user (except `keep`); returns how many. */
  async revokeAll(appId: string, userId: string, reason: string, keep?: string): Promise<number> {
    let n = 0;
    for (const s of await this.liveDocs(appId, userId)) {
      if (s.id === keep) continue;
      await this.revoke(appId, s.id, reason);
      n++;
    }
    return n;
  }

  async list(appId: string, userId: string, currentId?: string): Promise<SessionView[]> {
    return (await this.liveDocs(appId, userId)).map((s) => ({
      ...toView(s),
      ...(currentId ? { current: s.id === currentId } : {}),
    }));
  }

  /** Deletes every session of a user (account deletion). */
  async removeAll(appId: string, userId: string): Promise<void> {
    const removed = await deleteMatching(this.store.forApp(appId), SESSIONS, byUser(userId), Infinity);
    if (removed) this.changed(appId);
  }

  private liveDocs(appId: string, userId: string): Promise<StoredDocument[]> {
    const filter = where.and(
      byUser(userId),
      where.eq('revokedAt', null),
      where.gt('expiresAt', this.now().toISOString()),
    );
    return readAllArray(this.store.forApp(appId), SESSIONS, { filter, sort: [{ path: 'createdAt', dir: -1 }] });
  }
}

const byUser = (userId: string): FilterNode => where.eq('userId', userId);

function toView(s: StoredDocument): SessionView {
  return {
    id: s.id,
    createdAt: s.createdAt,
    lastUsedAt: String(s.lastUsedAt ?? s.createdAt),
    expiresAt: String(s.expiresAt),
    ip: (s.ip as string | null) ?? null,
    userAgent: (s.userAgent as string | null) ?? null,
    amr: (s.amr as string[] | undefined) ?? [],
    impersonatedBy: (s.impersonatedBy as string | null) ?? null,
  };
}
