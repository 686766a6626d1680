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

/** The Web Locks API (`navigator.locks`): only `request(name, callback)` is used. */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** The browser's `navigator.locks` when there is one, else null. */
export function navigatorLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks && typeof nav.locks.request === 'function' ? nav.locks : null;
}

export interface SessionManagerOptions {
  /** Serialises refreshes across tabs sharing the storage (null: this client only). */
  locks?: LockManagerLike | null;
  /** This device's push installation id (sent as X-Hearth-Installation on auth requests). */
  installationId?: () => Promise<string | null>;
}

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
    private readonly options: SessionManagerOptions = {},
  ) {
    this.ready = this.load();
  }

  private async load(): Promise<void> {
    // A storage that fails or holds garbage means: signed out (never a client that cannot start).
    try {
      this.session = parseSession(await this.storage.getItem(this.storageKey));
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

  /**
   * `req` with `X-Hearth-Installation` when this device has a push installation (so the server
   * links it to the user signing in, and unlinks it on sign-out).
   */
  async withInstallation(req: RequestDescription): Promise<RequestDescription> {
    const id = await Promise.resolve()
      .then(() => this.options.installationId?.())
      .catch(() => null);
    return id ? { ...req, headers: { ...req.headers, 'X-Hearth-Installation': id } } : req;
  }

  /**
   * Rotates the tokens, single-flight here and, with the Web Locks API, across the tabs that
   * share the storage. Right before rotating it re-reads the stored session: another tab may
   * have rotated already (this one's refresh token is then spent; sending it would read as
   * reuse and end the session). A newer stored session is adopted, and when its token is not
   * about to expire that is the refresh; a removed one means another tab signed out.
   */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      await this.ready;
      if (!this.session) throw notSignedIn();
      const locks = this.options.locks;
      await (locks ? locks.request(`${this.storageKey}.refresh`, () => this.rotate()) : this.rotate());
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async rotate(): Promise<void> {
    if (await this.adoptStored()) return;
    const current = this.session;
    if (!current) throw notSignedIn();
    try {
      const req = await this.withInstallation(this.refreshRequest(current.refreshToken));
      const res = await this.transport.send<SignInResponse>(req, null);
      // A sign-out while the refresh was in flight wins.
      if (this.session === current) await this.set(this.fromSignIn(res), 'TOKEN_REFRESHED');
    } catch (e) {
      // Reused (copied) or revoked refresh token: the server ended the session; so do we.
      if (e instanceof HearthError && e.status === 401 && this.session === current)
        await this.set(null, 'SESSION_REVOKED');
      throw e;
    }
  }

  /** Takes a newer session another tab stored; true when it needs no rotation now. */
  private async adoptStored(): Promise<boolean> {
    const current = this.session;
    let stored: StoredSession | null;
    try {
      stored = parseSession(await this.storage.getItem(this.storageKey));
    } catch {
      return false; // unreadable or garbage: keep ours
    }
    if (!current || stored?.refreshToken === current.refreshToken) return false;
    if (!stored) {
      this.session = null;
      for (const l of this.listeners) l(null, 'SIGNED_OUT');
      throw notSignedIn();
    }
    if (stored.expiresAt < current.expiresAt) return false;
    this.session = stored;
    const event = stored.user.id === current.user.id ? 'TOKEN_REFRESHED' : 'SIGNED_IN';
    for (const l of this.listeners) l(stored.user, event);
    return stored.expiresAt - this.clock.now() >= EARLY_REFRESH_MS;
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

function notSignedIn(): HearthError {
  return new HearthError(401, 'unauthorized', 'Not signed in.', { reason: 'token_required' });
}

/** A stored session, or null when there is none; throws on garbage. */
function parseSession(raw: string | null): StoredSession | null {
  if (!raw) return null;
  const parsed = JSON.parse(raw) as StoredSession | null;
  if (!parsed || typeof parsed.refreshToken !== 'string' || !parsed.user) throw new Error('bad session');
  return parsed;
}
