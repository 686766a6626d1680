import type { RequestDescription } from './transport.js';
import { pathSegment as seg } from './transport.js';

/**
 * Every auth call as a plain request description (no network): `authRequests(appId).signIn(…)`
 * is what `client.auth.signIn(…)` sends.
 */
export function authRequests(app: string) {
  const base = `/v1/apps/${seg(app)}/auth`;
  const open = (path: string, body: unknown): RequestDescription => ({
    method: 'POST',
    path: `${base}${path}`,
    body,
    auth: false,
  });
  const post = (path: string, body?: unknown): RequestDescription => ({
    method: 'POST',
    path: `${base}${path}`,
    ...(body !== undefined ? { body } : {}),
  });
  return {
    signUp: (input: { email: string; password: string; profile?: Record<string, unknown> }) => open('/signup', input),
    signIn: (input: { email: string; password: string }) => open('/login', input),
    signInAnonymously: () => open('/anonymous', {}),
    completeMfa: (mfaToken: string, code: string) => open('/mfa', { mfaToken, code }),
    refresh: (refreshToken: string) => open('/refresh', { refreshToken }),
    upgrade: (input: { email: string; password: string }) => post('/upgrade', input),
    signOut: () => post('/logout'),
    me: (): RequestDescription => ({ method: 'GET', path: `${base}/me` }),
    updateProfile: (profile: Record<string, unknown>): RequestDescription => ({
      method: 'PATCH',
      path: `${base}/me`,
      body: { profile },
    }),
    changePassword: (input: { currentPassword?: string; newPassword: string }) => post('/password', input),
    requestMagicLink: (email: string) => open('/magic-link/request', { email }),
    confirmMagicLink: (token: string) => open('/magic-link/confirm', { token }),
    requestPasswordReset: (email: string) => open('/reset/request', { email }),
    confirmPasswordReset: (token: string, password: string) => open('/reset/confirm', { token, password }),
    requestEmailVerification: () => post('/verify/request'),
    verifyEmail: (token: string) => open('/verify/confirm', { token }),
    oauthToken: (code: string) => open('/oauth/token', { code }),
    sessions: (): RequestDescription => ({ method: 'GET', path: `${base}/sessions` }),
    revokeSession: (id: string): RequestDescription => ({ method: 'DELETE', path: `${base}/sessions/${seg(id)}` }),
    enrolTotp: () => post('/mfa/totp', {}),
    activateTotp: (code: string) => post('/mfa/totp/activate', { code }),
    regenerateRecoveryCodes: (code: string) => post('/mfa/recovery-codes', { code }),
    disableTotp: (code: string): RequestDescription => ({ method: 'DELETE', path: `${base}/mfa/totp`, body: { code } }),
    /** The browser navigation that starts an OAuth / OpenID Connect sign-in (no key: a redirect). */
    oauthStart: (provider: string, redirectTo: string) => ({
      path: `${base}/oauth/${seg(provider)}`,
      query: { redirectTo },
    }),
  };
}

export type AuthRequests = ReturnType<typeof authRequests>;
