import jwt from 'jsonwebtoken';
import { errors } from '../../errors.js';
import type { AppUser } from '../auth/index.js';
import type { Caller } from '../collections/index.js';
import type { AdminIdentity, VerifyAdmin } from './admin-session.js';
import type { PresenceUser } from './presence.js';
import { realtimeErrors } from './realtime.errors.js';
import type { Subscription } from './subscriptions.js';

/** What a connection is: its app, key and (optionally) user, and what it holds. */
export interface SocketState {
  appId: string;
  socketId: string;
  /** The app key; null for an admin connection (no key needed). */
  key: { id: string; kind: 'public' | 'secret'; scopes: readonly string[] } | null;
  /** The key as sent, to notice its revocation (kept in memory only). */
  rawKey: string | null;
  user: AppUser | null;
  /** An admin (dashboard) connection: documents as the admin REST API shows them. */
  admin: AdminIdentity | null;
  /** The user's access token, or the admin's for an admin connection. */
  token: string | null;
  /** When the token expires (ms), null without one. */
  expiresAt: number | null;
  expiryTimer: NodeJS.Timeout | null;
  subs: Map<string, Subscription>;
  /** Whether the connection holds a unit of the app's cluster-wide connection count. */
  leased: boolean;
  /** Channels joined, with the presence identity they were joined as. */
  channels: Map<string, PresenceUser>;
  bucket: { tokens: number; at: number };
}

export function callerOf(state: Pick<SocketState, 'appId' | 'key' | 'user' | 'admin'>): Caller {
  const u = state.user;
  // As REST: an admin without a key and the secret key bypass rules and see hidden fields.
  if (state.admin)
    return { appId: state.appId, privileged: true, user: null, scopes: [], principal: `admin:${state.admin.id}` };
  return {
    appId: state.appId,
    privileged: state.key?.kind === 'secret',
    user: u ? { id: u.id, roles: [...u.roles], anonymous: u.anonymous } : null,
    scopes: state.key?.scopes ?? [],
    principal: u ? `user:${u.id}` : `key:${state.key?.id ?? 'none'}`,
  };
}

export function presenceUserOf(state: SocketState): PresenceUser {
  // An admin connection is a member like a connection without a user (its identity is not shown).
  if (state.admin) return { id: null, anonymous: false, connection: state.socketId };
  return state.user
    ? { id: state.user.id, anonymous: state.user.anonymous }
    : { id: null, anonymous: true, connection: state.socketId };
}

/** The `exp` of a token (ms), read without checking (only after verifyToken accepted it). */
export function tokenExpiry(token: string): number | null {
  const claims = jwt.decode(token);
  return claims && typeof claims === 'object' && typeof claims.exp === 'number' ? claims.exp * 1000 : null;
}

/**
 * Checks a handshake's or an `auth` event's token: the user, or the error the client gets
 * (`token_expired` when the token's time is up, else `invalid_token`).
 */
export async function authenticate(
  verify: (appId: string, token: string) => Promise<AppUser | null>,
  appId: string,
  token: unknown,
  now: number,
): Promise<{ user: AppUser; token: string; expiresAt: number | null }> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw errors.invalidToken();
  const user = await verify(appId, token);
  const expiresAt = tokenExpiry(token);
  if (!user) throw expiresAt !== null && expiresAt <= now ? realtimeErrors.tokenExpired() : errors.invalidToken();
  return { user, token, expiresAt };
}

/**
 * Checks an admin access token (handshake `adminToken`, or `auth {adminToken}` on an admin
 * connection): the admin, or `token_expired` / `invalid_token` like a user's token.
 */
export async function authenticateAdmin(
  verify: VerifyAdmin,
  token: unknown,
  now: number,
): Promise<{ admin: AdminIdentity; token: string; expiresAt: number | null }> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw errors.invalidToken();
  const admin = await verify(token);
  const expiresAt = tokenExpiry(token);
  if (!admin) throw expiresAt !== null && expiresAt <= now ? realtimeErrors.tokenExpired() : errors.invalidToken();
  return { admin, token, expiresAt };
}

/** setTimeout's longest delay. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
