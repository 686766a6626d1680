import { authRequests } from './auth.commands.js';
import type { AuthSession, AuthUser, MfaChallenge, SignInResponse, VerificationRequired } from './auth.types.js';
import { HearthError } from './errors.js';
import type { AuthChangeEvent, SessionManager } from './session.js';
import type { RequestDescription, Transport } from './transport.js';

export type SignInResult = AuthUser | MfaChallenge;

/** Narrowing helpers: `if (isMfaChallenge(r)) …`. */
export const isMfaChallenge = (r: unknown): r is MfaChallenge =>
  typeof r === 'object' && r !== null && (r as MfaChallenge).mfaRequired === true;
export const isVerificationRequired = (r: unknown): r is VerificationRequired =>
  typeof r === 'object' && r !== null && (r as VerificationRequired).verificationRequired === true;

/** What `handleOAuthCallback` found in the redirect URL. */
export type OAuthCallbackResult =
  | { status: 'signed-in'; user: AuthUser }
  | { status: 'mfa'; challenge: MfaChallenge }
  | { status: 'error'; error: string }
  | { status: 'none' };

/**
 * App-user authentication: sign-up and sign-in flows, the session (persisted through the
 * client's storage, refreshed by the session manager), profile, password, MFA and sessions.
 */
export class HearthAuth {
  private readonly req: ReturnType<typeof authRequests>;

  constructor(
    private readonly session: SessionManager,
    private readonly transport: Transport,
    app: string,
  ) {
    this.req = authRequests(app);
  }

  /** The signed-in user, or null. After creating a client with persisted storage, await `ready` first. */
  get user(): AuthUser | null {
    return this.session.user;
  }

  /** Resolves once a persisted session has been loaded from storage. */
  get ready(): Promise<void> {
    return this.session.ready;
  }

  /** Called on sign-in, refresh, profile change and sign-out (user null). Returns an unsubscribe. */
  onChange(listener: (user: AuthUser | null, event: AuthChangeEvent) => void): () => void {
    return this.session.onChange(listener);
  }

  /** Sends an auth request that starts or ends a session with this device's push installation id. */
  private async linked<T>(req: RequestDescription): Promise<T> {
    return this.session.request<T>(await this.session.withInstallation(req));
  }

  private async signedIn(res: SignInResponse | MfaChallenge): Promise<SignInResult> {
    if (isMfaChallenge(res)) return res;
    await this.session.set(this.session.fromSignIn(res), 'SIGNED_IN');
    return res.user;
  }

  private async signedInOrPending(
    res: SignInResponse | VerificationRequired,
  ): Promise<AuthUser | VerificationRequired> {
    if (isVerificationRequired(res)) return res;
    return (await this.signedIn(res)) as AuthUser;
  }

  /** A new email account. `{verificationRequired}` when the app wants the email confirmed first. */
  async signUp(input: { email: string; password: string; profile?: Record<string, unknown> }) {
    return this.signedInOrPending(await this.linked(this.req.signUp(input)));
  }

  /** Email + password. A user with TOTP gets an `MfaChallenge`: finish with `completeMfa`. */
  async signIn(input: { email: string; password: string }): Promise<SignInResult> {
    return this.signedIn(await this.linked(this.req.signIn(input)));
  }

  /** The second step of an MFA sign-in: a TOTP code or a recovery code. */
  async completeMfa(mfaToken: string, code: string): Promise<AuthUser> {
    return (await this.signedIn(await this.linked(this.req.completeMfa(mfaToken, code)))) as AuthUser;
  }

  /** A user with no email, to keep data before asking for an account (see `upgrade`). */
  async signInAnonymously(): Promise<AuthUser> {
    return (await this.signedIn(await this.linked(this.req.signInAnonymously()))) as AuthUser;
  }

  /** Anonymous → email account: same user id, same data. */
  async upgrade(input: { email: string; password: string }): Promise<AuthUser | VerificationRequired> {
    return this.signedInOrPending(await this.linked(this.req.upgrade(input)));
  }

  /** Mails a sign-in link; always resolves (the answer never tells whether the email has an account). */
  async requestMagicLink(email: string): Promise<void> {
    await this.session.request(this.req.requestMagicLink(email));
  }

  /** The token from the magic link → signed in (or an MFA challenge). */
  async signInWithMagicLink(token: string): Promise<SignInResult> {
    return this.signedIn(await this.linked(this.req.confirmMagicLink(token)));
  }

  /** Where to send the browser to sign in with `provider` (it comes back to `redirectTo?code=…`). */
  oauthUrl(provider: string, redirectTo: string): string {
    const start = this.req.oauthStart(provider, redirectTo);
    return this.transport.url(start.path, start.query);
  }

  /**
   * Starts an OAuth / OpenID Connect sign-in: in a browser, navigates there; elsewhere (React
   * Native: open it with an auth session / in-app browser) returns the URL to open.
   */
  signInWithOAuth(provider: string, options: { redirectTo: string; navigate?: boolean }): string {
    const url = this.oauthUrl(provider, options.redirectTo);
    const location = (globalThis as { location?: { assign(url: string): void } }).location;
    if (options.navigate !== false && location) location.assign(url);
    return url;
  }

  /** The `code` the OAuth redirect brought back → signed in. */
  async signInWithOAuthCode(code: string): Promise<SignInResult> {
    return this.signedIn(await this.linked(this.req.oauthToken(code)));
  }

  /**
   * On the `redirectTo` page: reads `?code=` or `?error=` from `url` (default: the current
   * location) and finishes the sign-in.
   */
  async handleOAuthCallback(url?: string): Promise<OAuthCallbackResult> {
    const href = url ?? (globalThis as { location?: { href: string } }).location?.href ?? '';
    const params = parseQuery(href);
    if (params.error) return { status: 'error', error: params.error };
    if (!params.code) return { status: 'none' };
    const res = await this.signInWithOAuthCode(params.code);
    return isMfaChallenge(res) ? { status: 'mfa', challenge: res } : { status: 'signed-in', user: res };
  }

  /** Ends this session on the server (best effort) and forgets it here. */
  async signOut(): Promise<void> {
    await this.session.ready;
    if (this.session.current) await this.linked(this.req.signOut()).catch(() => undefined);
    await this.session.set(null, 'SIGNED_OUT');
  }

  /** Rotates the tokens now (the client also does it by itself, single-flight). */
  refresh(): Promise<void> {
    return this.session.refresh();
  }

  /** The user, fresh from the server (also updates `user`). */
  async me(): Promise<AuthUser> {
    return this.userUpdated(await this.session.request<AuthUser>(this.req.me()));
  }

  async updateProfile(profile: Record<string, unknown>): Promise<AuthUser> {
    return this.userUpdated(await this.session.request<AuthUser>(this.req.updateProfile(profile)));
  }

  private async userUpdated(user: AuthUser): Promise<AuthUser> {
    const current = this.session.current;
    if (current && current.user.id === user.id) await this.session.set({ ...current, user }, 'USER_UPDATED');
    return user;
  }

  /** Needs the current password (or a recent sign-in for a first password); ends the other sessions. */
  async changePassword(currentPassword: string | undefined, newPassword: string): Promise<void> {
    await this.session.request(
      this.req.changePassword(currentPassword === undefined ? { newPassword } : { currentPassword, newPassword }),
    );
  }

  async requestPasswordReset(email: string): Promise<void> {
    await this.session.request(this.req.requestPasswordReset(email));
  }

  /** The token from the reset mail and the new password (every session ends; sign in again). */
  async confirmPasswordReset(token: string, password: string): Promise<void> {
    await this.session.request(this.req.confirmPasswordReset(token, password));
  }

  async requestEmailVerification(): Promise<void> {
    await this.session.request(this.req.requestEmailVerification());
  }

  async verifyEmail(token: string): Promise<AuthUser> {
    const user = await this.session.request<AuthUser>(this.req.verifyEmail(token));
    return this.userUpdated(user);
  }

  /** The user's live sessions; `current` marks this one. */
  async sessions(): Promise<AuthSession[]> {
    return (await this.session.request<{ items: AuthSession[] }>(this.req.sessions())).items;
  }

  async revokeSession(id: string): Promise<void> {
    await this.session.request(this.req.revokeSession(id));
  }

  /** TOTP MFA: enrol (needs a recent sign-in), activate with a first code, regenerate codes, turn off. */
  readonly mfa = {
    enrolTotp: () => this.session.request<{ secret: string; uri: string }>(this.req.enrolTotp()),
    activateTotp: (code: string) => this.session.request<{ recoveryCodes: string[] }>(this.req.activateTotp(code)),
    regenerateRecoveryCodes: (code: string) =>
      this.session.request<{ recoveryCodes: string[] }>(this.req.regenerateRecoveryCodes(code)),
    disableTotp: async (code: string) => {
      await this.session.request(this.req.disableTotp(code));
    },
  };

  /** Throws `unauthorized` unless signed in (a guard for app code). */
  requireUser(): AuthUser {
    const user = this.session.user;
    if (!user) throw new HearthError(401, 'unauthorized', 'Not signed in.', { reason: 'token_required' });
    return user;
  }
}

function parseQuery(href: string): Record<string, string> {
  const q = href.includes('?') ? href.slice(href.indexOf('?') + 1).split('#')[0]! : '';
  const out: Record<string, string> = {};
  for (const pair of q.split('&')) {
    if (!pair) continue;
    const [k, v = ''] = pair.split('=');
    out[decodeURIComponent(k!.replace(/\+/g, ' '))] = decodeURIComponent(v.replace(/\+/g, ' '));
  }
  return out;
}
