import type { ErrorCode, ErrorDetails } from '@hearth/sdk';

/**
 * The admin API client: every request carries the admin's access token, and the session renews
 * itself. A refresh happens shortly before the access token expires and, as a fallback, when a
 * request answers 401 — once, single-flight, and across browser tabs under a Web Lock (the
 * server treats two refreshes with one refresh token as token reuse and ends the session).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The server's error code (the SDK's table, generated from the server's). */
    readonly code: ErrorCode,
    message: string,
    /** `reason` is typed from the table; `fields` on validation_failed. */
    readonly details?: ErrorDetails,
  ) {
    super(message);
  }
}

export interface AdminUser {
  id: string;
  email: string;
  createdAt?: string;
  createdBy?: string | null;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  user: AdminUser;
}

interface SignIn {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: AdminUser;
}

const STORAGE_KEY = 'hearth.session';
/** Renew this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

type Listener = (s: Session | null) => void;
const listeners = new Set<Listener>();
let current: Session | null = read();
let timer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<Session | null> | null = null;

function read(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Session | null;
    return s && typeof s.refreshToken === 'string' ? { ...s, expiresAt: s.expiresAt ?? 0 } : null;
  } catch {
    return null;
  }
}

function set(s: Session | null): void {
  current = s;
  if (s) localStorage.setItem(STORAGE_KEY, JSON.stringify(s));
  else localStorage.removeItem(STORAGE_KEY);
  schedule();
  for (const l of listeners) l(s);
}

function schedule(): void {
  if (timer) clearTimeout(timer);
  if (!current) return;
  const wait = Math.max(5_000, current.expiresAt - Date.now() - REFRESH_MARGIN_MS);
  timer = setTimeout(() => void refresh(), wait);
}

// Another tab signed in, out, or refreshed: follow it.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (e) => {
    if (e.key !== STORAGE_KEY) return;
    current = read();
    schedule();
    for (const l of listeners) l(current);
  });
}

export const session = {
  get: (): Session | null => current,
  subscribe(l: Listener): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
  signIn(r: SignIn): Session {
    const s = { accessToken: r.accessToken, refreshToken: r.refreshToken, expiresAt: expiry(r), user: r.user };
    set(s);
    return s;
  },
  signOut(): void {
    const s = current;
    set(null);
    if (s) void raw('POST', '/v1/admin/logout', undefined, s.accessToken).catch(() => undefined);
  },
};

const expiry = (r: { expiresIn: number }) => Date.now() + r.expiresIn * 1000;

/** Renews the session; resolves to the new one, or null when it has ended (signed out). */
export function refresh(): Promise<Session | null> {
  if (inflight) return inflight;
  const run = async (): Promise<Session | null> => {
    const before = current;
    // Another tab may have renewed while we waited for the lock.
    const stored = read();
    if (stored && before && stored.refreshToken !== before.refreshToken) {
      current = stored;
      schedule();
      return stored;
    }
    if (!stored) {
      set(null);
      return null;
    }
    try {
      const r = await raw<SignIn>('POST', '/v1/admin/refresh', { refreshToken: stored.refreshToken });
      return session.signIn(r);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 400)) set(null);
      else schedule();
      return e instanceof ApiError && e.status < 500 ? null : current;
    }
  };
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  inflight = (locks ? locks.request('hearth.refresh', run) : run()).finally(() => {
    inflight = null;
  });
  return inflight;
}

async function raw<T>(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as {
    error?: { code: ErrorCode; message: string; details?: ErrorDetails };
  };
  if (!res.ok) {
    // An answer that is not the contract's error body (a proxy's page): keep its status.
    const e = json.error ?? { code: 'internal' as const, message: res.statusText || `HTTP ${res.status}` };
    throw new ApiError(res.status, e.code, e.message, e.details);
  }
  return json as T;
}

export interface RequestOptions {
  headers?: Record<string, string>;
}

/** An admin API call; renews the session once on a 401 and retries. */
export async function api<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const s = current;
  if (s && s.expiresAt - Date.now() < 5_000) await refresh();
  try {
    return await raw<T>(method, path, body, current?.accessToken, options.headers);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401 || !current) throw e;
    const renewed = await refresh();
    if (!renewed) throw e;
    return raw<T>(method, path, body, renewed.accessToken, options.headers);
  }
}

/** Unauthenticated sign-in style calls (setup, login). */
export async function signInWith(path: '/v1/admin/setup' | '/v1/admin/login', body: unknown): Promise<Session> {
  return session.signIn(await raw<SignIn>('POST', path, body));
}

/** A readable message for an error, with field details when the server sent them. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    const fields = e.details?.fields as Record<string, string> | undefined;
    if (fields)
      return `${e.message} ${Object.entries(fields)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')}`;
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

schedule();

/** The current access token, renewed first when it is about to expire (for XHR uploads). */
export async function freshToken(): Promise<string | undefined> {
  const s = current;
  if (s && s.expiresAt - Date.now() < 30_000) await refresh();
  return current?.accessToken;
}
