import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { HearthError } from '../../errors.js';
import { safeEqual, sha256 } from '../../lib/hash.js';
import { newId, randomToken } from '../../lib/ids.js';
import type { AppStore } from '../../ports/document-store.js';

/**
 * Admin tokens: a short-lived HS256 JWT (audience `hearth:admin`) and an opaque refresh token
 * `<sessionId>.<secret>` whose secret is stored only as a hash. A refresh rotates the secret;
 * presenting a superseded one revokes the whole session (it was stolen or replayed).
 */
export const ADMIN_AUDIENCE = 'hearth:admin';
export const ISSUER = 'hearth';
const SESSIONS = 'admin_sessions';

export interface AdminTokenSettings {
  secret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  now: () => Date;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export class AdminTokens {
  private readonly key: KeyObject;

  private readonly system: AppStore;
  private readonly settings: AdminTokenSettings;

  constructor(options: AdminTokenSettings & { system: AppStore }) {
    const { system, ...settings } = options;
    this.system = system;
    this.settings = settings;
    this.key = createSecretKey(Buffer.from(settings.secret, 'utf8'));
  }

  signAccess(admin: { id: string; email: string }, sessionId: string): string {
    return jwt.sign({ email: admin.email, sid: sessionId, typ: 'admin' }, this.key, {
      algorithm: 'HS256',
      subject: admin.id,
      audience: ADMIN_AUDIENCE,
      issuer: ISSUER,
      expiresIn: this.settings.accessTtlSeconds,
    });
  }

  async startSession(
    admin: { id: string; email: string },
    meta: { ip?: string | null; userAgent?: string | null },
  ): Promise<IssuedTokens> {
    const secret = randomToken();
    const sessionId = newId();
    const expiresAt = new Date(this.settings.now().getTime() + this.settings.refreshTtlSeconds * 1000).toISOString();
    await this.system.create(SESSIONS, {
      id: sessionId,
      data: {
        adminId: admin.id,
        tokenHash: sha256(secret),
        expiresAt,
        revokedAt: null,
        ip: meta.ip ?? null,
        userAgent: meta.userAgent?.slice(0, 256) ?? null,
      },
    });
    return {
      accessToken: this.signAccess(admin, sessionId),
      refreshToken: `${sessionId}.${secret}`,
      expiresIn: this.settings.accessTtlSeconds,
    };
  }

  /** Rotates a refresh token; returns the admin id and the new tokens. */
  async refresh(
    refreshToken: string,
    loadAdmin: (id: string) => Promise<{ id: string; email: string } | null>,
  ): Promise<{
    adminId: string;
    tokens: IssuedTokens;
  }> {
    const invalid = () => new HearthError('unauthorized', 'The refresh token is invalid or expired.');
    const [sessionId, secret, extra] = refreshToken.split('.');
    if (!sessionId || !secret || extra !== undefined || sessionId.length > 64) throw invalid();
    const session = await this.system.get(SESSIONS, sessionId).catch(() => null);
    if (!session || session.revokedAt) throw invalid();
    const presented = sha256(secret);
    if (!safeEqual(presented, String(session.tokenHash))) {
      // A superseded secret (one this session really issued before) is a stolen token being
      // replayed: end the session. Any other secret is a guess, and only gets 401: knowing a
      // session id (it is in every access token) must not be enough to end the session.
      const superseded = Array.isArray(session.previousHashes) ? (session.previousHashes as string[]) : [];
      if (superseded.some((hash) => safeEqual(presented, hash))) await this.revoke(sessionId);
      throw invalid();
    }
    if (String(session.expiresAt) <= this.settings.now().toISOString()) throw invalid();
    const admin = await loadAdmin(String(session.adminId));
    if (!admin) throw invalid();
    const next = randomToken();
    try {
      const previousHashes = [
        presented,
        ...(Array.isArray(session.previousHashes) ? (session.previousHashes as string[]) : []),
      ].slice(0, 5);
      await this.system.update(
        SESSIONS,
        sessionId,
        { set: { tokenHash: sha256(next), previousHashes } },
        { expectedVersion: session.version },
      );
    } catch (e) {
      // Two refreshes raced with the same token: only one wins, the other is a reuse.
      if (e instanceof HearthError && e.code === 'conflict') {
        await this.revoke(sessionId);
        throw invalid();
      }
      throw e;
    }
    return {
      adminId: admin.id,
      tokens: {
        accessToken: this.signAccess(admin, sessionId),
        refreshToken: `${sessionId}.${next}`,
        expiresIn: this.settings.accessTtlSeconds,
      },
    };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.system
      .update(SESSIONS, sessionId, { set: { revokedAt: this.settings.now().toISOString() } })
      .catch((e: unknown) => {
        if (!(e instanceof HearthError && e.code === 'not_found')) throw e;
      });
  }

  async isSessionActive(sessionId: string): Promise<boolean> {
    const session = await this.system.get(SESSIONS, sessionId).catch(() => null);
    return Boolean(session && !session.revokedAt && String(session.expiresAt) > this.settings.now().toISOString());
  }
}
