import { CollectionRef, type BatchOp } from './collections.js';

export * from './collections.js';
export { ERROR_REASONS, ERROR_STATUS, HearthError, type ErrorCode, type ErrorReason } from './errors.js';
import { HearthError } from './errors.js';

/**
 * @hearth/sdk — the typed client for Hearth: the transport, the error type, collections (and,
 * as they land, auth, files, realtime…).
 */
export interface ClientOptions {
  /** Server URL, e.g. http://localhost:8080 */
  url: string;
  /** App id. */
  app: string;
  /** The app's public key (pk_…) in apps; a secret key (sk_…) only on servers. */
  key: string;
  /** Injectable fetch (tests, React Native polyfills). */
  fetch?: typeof fetch;
  /**
   * Where the signed-in session is kept: `localStorage`, an AsyncStorage-style async store, or
   * (default) memory. Anything with getItem / setItem / removeItem.
   */
  storage?: TokenStorage;
}

/** localStorage, AsyncStorage and `memoryStorage()` all fit. */
export interface TokenStorage {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

export function memoryStorage(): TokenStorage {
  const map = new Map<string, string>();
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

export interface AuthUser {
  id: string;
  email: string | null;
  emailVerified: boolean;
  anonymous: boolean;
  roles: string[];
  profile: Record<string, unknown>;
  mfa: { totp: boolean };
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastSignInAt: string | null;
}

/** What a first factor returns when the user enrolled TOTP: finish with `auth.completeMfa`. */
export interface MfaChallenge {
  mfaRequired: true;
  mfaToken: string;
  methods: Array<'totp' | 'recovery'>;
}

export interface AuthSession {
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

interface SignInResponse {
  user: AuthUser;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

interface StoredSession {
  user: AuthUser;
  accessToken: string;
  refreshToken: string;
  /** ms since epoch. */
  expiresAt: number;
}

export interface HearthAuth {
  /** The signed-in user (null when signed out). Await `ready` after creating a client with persisted storage. */
  readonly user: AuthUser | null;
  /** Resolves once a persisted session has been loaded. */
  readonly ready: Promise<void>;
  /** Called with the user on every sign-in, refresh of the user, and sign-out (null). Returns an unsubscribe. */
  onChange(listener: (user: AuthUser | null) => void): () => void;
  signUp(input: {
    email: string;
    password: string;
    profile?: Record<string, unknown>;
  }): Promise<AuthUser | { verificationRequired: true; user: AuthUser }>;
  signIn(input: { email: string; password: string }): Promise<AuthUser | MfaChallenge>;
  completeMfa(mfaToken: string, code: string): Promise<AuthUser>;
  signInAnonymously(): Promise<AuthUser>;
  /**
   * Anonymous → email account (same user id, same data). When the app requires a verified email,
   * `{verificationRequired, user}`: the session stays anonymous until the mailed link is confirmed.
   */
  upgrade(input: {
    email: string;
    password: string;
  }): Promise<AuthUser | { verificationRequired: true; user: AuthUser }>;
  requestMagicLink(email: string): Promise<void>;
  signInWithMagicLink(token: string): Promise<AuthUser | MfaChallenge>;
  /** Where to send the browser for OpenID Connect / OAuth sign-in. */
  oauthUrl(provider: string, redirectTo: string): string;
  /** The `code` the OAuth redirect brought back → signed in. */
  signInWithOAuthCode(code: string): Promise<AuthUser | MfaChallenge>;
  signOut(): Promise<void>;
  /** Rotates the refresh token now (the client also does it by itself, single-flight). */
  refresh(): Promise<void>;
  me(): Promise<AuthUser>;
  updateProfile(profile: Record<string, unknown>): Promise<AuthUser>;
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  requestPasswordReset(email: string): Promise<void>;
  confirmPasswordReset(token: string, password: string): Promise<void>;
  requestEmailVerification(): Promise<void>;
  verifyEmail(token: string): Promise<AuthUser>;
  sessions(): Promise<AuthSession[]>;
  revokeSession(id: string): Promise<void>;
}

/** A request as plain data, so commands can be built and tested without a network. */
export interface RequestDescription {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** false: send no user token (sign-in routes, where a stale token must not get in the way). */
  auth?: false;
}

export interface HearthClient {
  readonly app: string;
  request<T>(req: RequestDescription): Promise<T>;
  /** Checks the URL and key: resolves to the app and the key's access. */
  info(): Promise<{ id: string; name: string; access: { via: string; kind: 'public' | 'secret'; scopes: string[] } }>;
  /** Sends `Authorization: Bearer <token>` with every request (a signed-in user), or stops (null). */
  setAccessToken(token: string | null): void;
  /** App-user sign-in, session persistence and automatic refresh. */
  auth: HearthAuth;
  /** A collection of the app. */
  collection<T extends object = Record<string, unknown>>(name: string): CollectionRef<T>;
  /** Up to 100 writes, all or nothing. */
  batch(
    ops: BatchOp[],
    options?: { idempotencyKey?: string },
  ): Promise<{ results: Array<{ status: number; body?: Record<string, unknown> }> }>;
}

export function createClient(options: ClientOptions): HearthClient {
  const base = options.url.replace(/\/$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const appPath = `/v1/apps/${encodeURIComponent(options.app)}`;
  let accessToken: string | null = null;
  let session: StoredSession | null = null;
  const send = async <T>(req: RequestDescription): Promise<T> => {
    const token = req.auth === false ? null : (session?.accessToken ?? accessToken);
    const res = await doFetch(`${base}${req.path}`, {
      method: req.method,
      headers: {
        'X-Hearth-Key': options.key,
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...req.headers,
      },
      body: req.body !== undefined ? JSON.stringify(req.body) : null,
    });
    if (res.status === 204) return undefined as T;
    const json = (await res.json().catch(() => null)) as {
      error?: { code: string; message: string; details?: Record<string, unknown> };
    } | null;
    if (!res.ok) {
      const e = json?.error ?? { code: 'internal', message: `HTTP ${res.status}` };
      throw new HearthError(res.status, e.code, e.message, e.details);
    }
    return json as T;
  };

  // ── app-user sessions ──
  const storage = options.storage ?? memoryStorage();
  const storageKey = `hearth.${options.app}.session`;
  const listeners = new Set<(user: AuthUser | null) => void>();
  const emit = () => {
    for (const l of listeners) l(session?.user ?? null);
  };
  const persist = async (next: StoredSession | null) => {
    session = next;
    if (next) await storage.setItem(storageKey, JSON.stringify(next));
    else await storage.removeItem(storageKey);
    emit();
  };
  const ready = (async () => {
    // A storage that fails or holds garbage means: signed out (never a client that cannot start).
    try {
      const raw = await storage.getItem(storageKey);
      if (raw) session = JSON.parse(raw) as StoredSession;
    } catch {
      session = null;
      await Promise.resolve(storage.removeItem(storageKey)).catch(() => undefined);
    }
  })();
  let refreshing: Promise<void> | null = null;
  const refresh = (): Promise<void> => {
    // Single flight: a refresh token works once, so concurrent callers share one rotation.
    refreshing ??= (async () => {
      const current = session;
      if (!current) throw new HearthError(401, 'unauthorized', 'Not signed in.');
      try {
        const res = await send<SignInResponse>({
          method: 'POST',
          path: `${appPath}/auth/refresh`,
          body: { refreshToken: current.refreshToken },
          auth: false,
        });
        await persist(toSession(res));
      } catch (e) {
        if (e instanceof HearthError && e.status === 401) await persist(null);
        throw e;
      }
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };
  const request = async <T>(req: RequestDescription): Promise<T> => {
    await ready;
    if (req.auth !== false && session && session.expiresAt - Date.now() < 30_000)
      await refresh().catch(() => undefined);
    try {
      return await send<T>(req);
    } catch (e) {
      // An access token revoked or expired early: one refresh, one retry.
      if (
        req.auth !== false &&
        session &&
        e instanceof HearthError &&
        e.status === 401 &&
        e.details?.reason === 'invalid_token'
      ) {
        await refresh();
        return send<T>(req);
      }
      throw e;
    }
  };
  const authPath = `${appPath}/auth`;
  const signedIn = async (res: SignInResponse | MfaChallenge): Promise<AuthUser | MfaChallenge> => {
    if ('mfaRequired' in res) return res;
    await persist(toSession(res));
    return res.user;
  };
  const post = <T>(path: string, body?: unknown, auth?: false) =>
    request<T>({
      method: 'POST',
      path: `${authPath}${path}`,
      ...(body !== undefined ? { body } : {}),
      ...(auth === false ? { auth } : {}),
    });
  const auth: HearthAuth = {
    get user() {
      return session?.user ?? null;
    },
    ready,
    onChange: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    signUp: async (input) => {
      const res = await post<SignInResponse | { verificationRequired: true; user: AuthUser }>('/signup', input, false);
      if ('verificationRequired' in res) return res;
      await persist(toSession(res));
      return res.user;
    },
    signIn: async (input) => signedIn(await post<SignInResponse | MfaChallenge>('/login', input, false)),
    completeMfa: async (mfaToken, code) =>
      (await signedIn(await post<SignInResponse>('/mfa', { mfaToken, code }, false))) as AuthUser,
    signInAnonymously: async () => (await signedIn(await post<SignInResponse>('/anonymous', {}, false))) as AuthUser,
    upgrade: async (input) => {
      const res = await post<SignInResponse | { verificationRequired: true; user: AuthUser }>('/upgrade', input);
      if ('verificationRequired' in res) return res;
      return (await signedIn(res)) as AuthUser;
    },
    requestMagicLink: async (email) => {
      await post('/magic-link/request', { email }, false);
    },
    signInWithMagicLink: async (token) =>
      signedIn(await post<SignInResponse | MfaChallenge>('/magic-link/confirm', { token }, false)),
    oauthUrl: (provider, redirectTo) =>
      `${base}${authPath}/oauth/${encodeURIComponent(provider)}?redirectTo=${encodeURIComponent(redirectTo)}`,
    signInWithOAuthCode: async (code) =>
      signedIn(await post<SignInResponse | MfaChallenge>('/oauth/token', { code }, false)),
    signOut: async () => {
      await ready;
      if (session) await post('/logout').catch(() => undefined);
      await persist(null);
    },
    refresh,
    me: async () => {
      const user = await request<AuthUser>({ method: 'GET', path: `${authPath}/me` });
      if (session) await persist({ ...session, user });
      return user;
    },
    updateProfile: async (profile) => {
      const user = await request<AuthUser>({ method: 'PATCH', path: `${authPath}/me`, body: { profile } });
      if (session) await persist({ ...session, user });
      return user;
    },
    changePassword: async (currentPassword, newPassword) => {
      await post('/password', { currentPassword, newPassword });
    },
    requestPasswordReset: async (email) => {
      await post('/reset/request', { email }, false);
    },
    confirmPasswordReset: async (token, password) => {
      await post('/reset/confirm', { token, password }, false);
    },
    requestEmailVerification: async () => {
      await post('/verify/request');
    },
    verifyEmail: (token) => post<AuthUser>('/verify/confirm', { token }, false),
    sessions: async () =>
      (await request<{ items: AuthSession[] }>({ method: 'GET', path: `${authPath}/sessions` })).items,
    revokeSession: async (id) => {
      await request({ method: 'DELETE', path: `${authPath}/sessions/${encodeURIComponent(id)}` });
    },
  };

  return {
    app: options.app,
    request,
    auth,
    info: () => request({ method: 'GET', path: appPath }),
    setAccessToken: (token) => {
      accessToken = token;
    },
    collection: (name) => new CollectionRef(request, appPath, name),
    batch: (ops, batchOptions = {}) =>
      request({
        method: 'POST',
        path: `${appPath}/batch`,
        body: { ops },
        headers: batchOptions.idempotencyKey ? { 'Idempotency-Key': batchOptions.idempotencyKey } : {},
      }),
  };
}

function toSession(res: SignInResponse): StoredSession {
  return {
    user: res.user,
    accessToken: res.accessToken,
    refreshToken: res.refreshToken,
    expiresAt: Date.now() + res.expiresIn * 1000,
  };
}
