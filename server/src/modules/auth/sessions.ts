import { ThrottledSweep } from '../../lib/throttled-sweep.js';
import jwt from 'jsonwebtoken';
import { HearthError } from '../../errors.js';
import type { FilterNode } from '../../lib/filter/types.js';
import { safeEqual, sha256 } from '../../lib/hash.js';
import { newId, randomToken } from '../../lib/ids.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import { SESSIONS } from './auth.collections.js';
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

export interface SessionMeta {
  ip?: string | null;
  userAgent?: string | null;
  /** How the user signed in: pwd, anon, magic, oauth:<provider>, mfa, impersonation… */
  amr: string[];
  /** The admin who started this session by impersonation. */
  impersonatedBy?: string | null;
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

const invalidRefresh = () => new HearthError('unauthorized', 'The refresh token is invalid or expired.');

export class Sessions {
  private readonly sweeper: ThrottledSweep;

  constructor(
    private readonly store: DocumentStore,
    private readonly keys: SigningKeys,
    private readonly now: () => Date,
    private readonly hooks: { onSweepError?: (err: unknown) => void; changed?: (appId: string) => void } = {},
  ) {
    this.sweeper = new ThrottledSweep(
      (appId) => this.sweep(appId),
      now,
      (e) => this.hooks.onSweepError?.(e),
    );
  }

  /**
   * Deletes sessions that expired, or were revoked, more than a day ago (at most 500 per call; a
   * day of revoked sessions stays visible for investigation). Starting sessions runs it at most
   * once a minute per app in the background.
   */
  async sweep(appId: string): Promise<number> {
    const app = this.store.forApp(appId);
    const dayAgo = new Date(this.now().getTime() - 24 * 3600_000).toISOString();
    const page = await app.find(SESSIONS, {
      filter: {
        op: 'or',
        children: [
          { op: 'field', path: 'expiresAt', conds: [{ op: 'lte', value: dayAgo }] },
          { op: 'field', path: 'revokedAt', conds: [{ op: 'lte', value: dayAgo }] },
        ],
      },
      limit: 500,
    });
    for (const doc of page.items) await app.delete(SESSIONS, doc.id).catch(() => undefined);
    return page.items.length;
  }

  private maybeSweep(appId: string): void {
    this.sweeper.maybe(appId);
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

  async start(
    appId: string,
    user: { id: string; anonymous: boolean },
    meta: SessionMeta,
    ttl: { access: number; refresh: number },
  ): Promise<IssuedTokens & { sessionId: string }> {
    this.maybeSweep(appId);
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
        ip: meta.ip ?? null,
        userAgent: meta.userAgent?.slice(0, 256) ?? null,
        amr: meta.amr,
        impersonatedBy: meta.impersonatedBy ?? null,
      },
    });
    const accessToken = await this.signAccess(appId, this.claims(user, sessionId, meta), ttl.access);
    return { sessionId, accessToken, refreshToken: `${sessionId}.${secret}`, expiresIn: ttl.access };
  }

  private claims(
    user: { id: string; anonymous: boolean },
    sessionId: string,
    meta: { amr: string[]; impersonatedBy?: string | null },
  ) {
    return {
      sub: user.id,
      sid: sessionId,
      ...(user.anonymous ? { anon: true } : {}),
      ...(meta.impersonatedBy ? { imp: meta.impersonatedBy } : {}),
      amr: meta.amr,
    };
  }

  /**
   * Rotates a refresh token. `loadUser` returns the (enabled) user or null. A superseded secret
   * (already rotated away) revokes the whole session; an unknown one is only refused.
   */
  async refresh(
    appId: string,
    refreshToken: string,
    loadUser: (id: string) => Promise<{ id: string; anonymous: boolean } | null>,
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
      throw invalidRefresh();
    }
    const app = this.store.forApp(appId);
    const session = await app.get(SESSIONS, sessionId);
    if (!session || session.revokedAt) throw invalidRefresh();
    const presented = sha256(secret);
    if (!safeEqual(presented, String(session.tokenHash))) {
      const previous = Array.isArray(session.previousHashes) ? (session.previousHashes as string[]) : [];
      if (previous.some((h) => safeEqual(presented, String(h)))) await this.revoke(appId, sessionId, 'reuse');
      throw invalidRefresh();
    }
    const now = this.now().toISOString();
    if (String(session.expiresAt) <= now) throw invalidRefresh();
    const user = await loadUser(String(session.userId));
    if (!user) throw invalidRefresh();
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
      if (e instanceof HearthError && e.code === 'conflict') {
        await this.revoke(appId, sessionId, 'reuse');
        throw invalidRefresh();
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
        if (!(e instanceof HearthError && e.code === 'not_found')) throw e;
      });
    this.hooks.changed?.(appId);
  }

  /** Revokes a user's session by id; not_found when it is not theirs. */
  async revokeOwn(appId: string, userId: string, sessionId: string): Promise<void> {
    const session = await this.store.forApp(appId).get(SESSIONS, sessionId);
    if (!session || session.userId !== userId || session.revokedAt)
      throw new HearthError('not_found', 'No such session.');
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
    const app = this.store.forApp(appId);
    for (;;) {
      const page = await app.find(SESSIONS, { filter: byUser(userId), limit: 500 });
      if (!page.items.length) return;
      for (const s of page.items) await app.delete(SESSIONS, s.id).catch(() => undefined);
      this.hooks.changed?.(appId);
      if (!page.next) return;
    }
  }

  private async liveDocs(appId: string, userId: string): Promise<StoredDocument[]> {
    const now = this.now().toISOString();
    const filter: FilterNode = {
      op: 'and',
      children: [
        byUser(userId),
        { op: 'field', path: 'revokedAt', conds: [{ op: 'eq', value: null }] },
        { op: 'field', path: 'expiresAt', conds: [{ op: 'gt', value: now }] },
      ],
    };
    const out: StoredDocument[] = [];
    let after: string | undefined;
    do {
      const page = await this.store
        .forApp(appId)
        .find(SESSIONS, { filter, sort: [{ path: 'createdAt', dir: -1 }], limit: 1000, ...(after ? { after } : {}) });
      out.push(...page.items);
      after = page.next ?? undefined;
    } while (after && out.length < 10_000);
    return out;
  }
}

const byUser = (userId: string): FilterNode => ({ op: 'field', path: 'userId', conds: [{ op: 'eq', value: userId }] });

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
