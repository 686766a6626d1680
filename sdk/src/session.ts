import { HearthError } from './errors.js';
import type { Clock } from './platform.js';
import type { TokenStorage } from './storage.js';
import type { RequestDescription, Transport } from './transport.js';
import type { AuthUser, SignInResponse } from './auth.types.js';

/** What the client keeps between runs. */
export interface StoredSession {
  user: AuthUser;
  accessToken: string;
  refreshToken: string;
  /** ms since epoch. */
  expiresAt: number;
}

export type AuthChangeEvent = 'SIGNED_IN' | 'SIGNED_OUT' | 'TOKEN_REFRESHED' | 'USER_UPDATED' | 'SESSION_REVOKED';

/** Refresh this long before the access token expires, so a call never leaves with a dying token. */
const EARLY_REFRESH_MS = 30_000;

/**
 * The signed-in session: loads it from storage, persists every change, sends requests with its
 * access token, refreshes single-flight (a refresh token works once, so concurrent callers share
 * one rotation) and retries the call that met an expired token. A refused refresh (a reused or
 * revoked refresh token) signs out.
 */
export class SessionManager {
  private session: StoredSession | null = null;
  private staticToken: string | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly listeners = new Set<(user: AuthUser | null, event: AuthChangeEvent) => void>();
  readonly ready: Promise<void>;

  constructor(
    private readonly transport: Transport,
    private readonly storage: TokenStorage,
    private readonly storageKey: string,
    private readonly clock: Clock,
    private readonly refreshRequest: (refreshToken: string) => RequestDescription,
  ) {
    this.ready = this.load();
  }

  private async load(): Promise<void> {
    // A storage that fails or holds garbage means: signed out (never a client that cannot start).
    try {
      const raw = await this.storage.getItem(this.storageKey);
      const parsed = raw ? (JSON.parse(raw) as StoredSession) : null;
      this.session = parsed && typeof parsed.refreshToken === 'string' && parsed.user ? parsed : null;
      if (raw && !this.session) throw new Error('bad session');
    } catch {
      this.session = null;
      await Promise.resolve()
        .then(() => this.storage.removeItem(this.storageKey))
        .catch(() => undefined);
    }
  }

  get user(): AuthUser | null {
    return this.session?.user ?? null;
  }

  get current(): StoredSession | null {
    return this.session;
  }

  onChange(listener: (user: AuthUser | null, event: AuthChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** A fixed bearer token (a server acting as a user), or null to stop sending one. */
  setAccessToken(token: string | null): void {
    this.staticToken = token;
  }

  async set(next: StoredSession | null, event: AuthChangeEvent): Promise<void> {
    this.session = next;
    try {
      if (next) await this.storage.setItem(this.storageKey, JSON.stringify(next));
      else await this.storage.removeItem(this.storageKey);
    } finally {
      for (const l of this.listeners) l(next?.user ?? null, event);
    }
  }

  fromSignIn(res: SignInResponse): StoredSession {
    return {
      user: res.user,
      accessToken: res.accessToken,
      refreshToken: res.refreshToken,
      expiresAt: this.clock.now() + res.expiresIn * 1000,
    };
  }

  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      await this.ready;
      const current = this.session;
      if (!current) throw new HearthError(401, 'unauthorized', 'Not signed in.', { reason: 'token_required' });
      try {
        const res = await this.transport.send<SignInResponse>(this.refreshRequest(current.refreshToken), null);
        // A sign-out while the refresh was in flight wins.
        if (this.session === current) await this.set(this.fromSignIn(res), 'TOKEN_REFRESHED');
      } catch (e) {
        // Reused (copied) or revoked refresh token: the server ended the session; so do we.
        if (e instanceof HearthError && e.status === 401 && this.session === current)
          await this.set(null, 'SESSION_REVOKED');
        throw e;
      }
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** The access token to send now (refreshed first when it is about to expire), or null. */
  async freshToken(): Promise<string | null> {
    await this.ready;
    if (this.refreshing) await this.refreshing.catch(() => undefined);
    const before = this.session;
    if (before && before.expiresAt - this.clock.now() < EARLY_REFRESH_MS) await this.refresh().catch(() => undefined);
    return this.session?.accessToken ?? this.staticToken;
  }

  /** Sends `req` as the signed-in user (refreshing first when the token is about to expire). */
  async request<T>(req: RequestDescription): Promise<T> {
    await this.ready;
    if (req.auth === false) return this.transport.send<T>(req, null);
    const token = await this.freshToken();
    try {
      return await this.transport.send<T>(req, token);
    } catch (e) {
      // The access token expired (or its key was rotated) during the call: one refresh (shared
      // with any concurrent caller), one retry.
      if (!(token && this.session && e instanceof HearthError && e.is('unauthorized', 'invalid_token'))) throw e;
      if (this.session.accessToken === token) await this.refresh();
      return this.transport.send<T>(req, this.session?.accessToken ?? null);
    }
  }
}
