import jwt from 'jsonwebtoken';
import * as client from 'openid-client';
import { errors, HearthError, invalidRequest, isError, isHearthError, notFound, unavailable } from '../../errors.js';
import { sha256 } from '../../lib/hash.js';
import { randomToken } from '../../lib/ids.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import { IDENTITIES } from './auth.collections.js';
import type { AuthSettings, AuthSettingsService, OidcProviderSettings } from './auth.settings.js';
import type { AuthContext, MfaChallenge, SignIn } from './auth.types.js';
import type { ProvenEmails } from './email-proven.js';
import type { OneTimeTokens } from './one-time-tokens.js';
import { defaultProfile } from './profile-fields.js';
import type { SessionIssuer } from './session-issuer.js';
import { normaliseEmail, type UsersRepo } from './users.repo.js';

/**
 * Sign-in with OpenID Connect (openid-client): authorization code flow with PKCE (S256), `state`
 * and `nonce`, the ID token checked by openid-client (issuer, audience, signature, expiry, nonce).
 * A generic issuer (discovery) plus presets: Google and Apple (OIDC), GitHub (OAuth 2 + its user
 * API, since GitHub issues no ID tokens). Accounts link by *verified* email; otherwise a new
 * account is made (when sign-up is open).
 *
 * The browser leg: GET /auth/oauth/{provider}?redirectTo=… → the provider → GET (or POST, Apple's
 * form_post) /auth/oauth/{provider}/callback → redirect to `redirectTo?code=…` → the app calls
 * POST /auth/oauth/token {code} with its key for the tokens (so they never sit in a URL).
 * A cookie binds the flow to the browser that started it (no login CSRF).
 */
export const PRESETS: Record<
  string,
  { issuer: string; scopes: string[]; kind: 'oidc' | 'github'; formPost?: boolean }
> = {
  google: { issuer: 'https://accounts.google.com', scopes: ['openid', 'email', 'profile'], kind: 'oidc' },
  apple: { issuer: 'https://appleid.apple.com', scopes: ['openid', 'email', 'name'], kind: 'oidc', formPost: true },
  github: { issuer: 'https://github.com', scopes: ['read:user', 'user:email'], kind: 'github' },
};

export const FLOW_COOKIE = 'hearth_oauth';

export interface ProviderClaims {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

export class OidcService {
  private readonly configs = new Map<string, { config: client.Configuration; until: number; fingerprint: string }>();

  constructor(
    private readonly d: {
      store: DocumentStore;
      users: UsersRepo;
      settings: AuthSettingsService;
      issuer: SessionIssuer;
      provenEmails: ProvenEmails;
      oneTime: OneTimeTokens;
      publicUrl: string;
      now: () => Date;
    },
  ) {}

  callbackUrl(appId: string, provider: string): string {
    return `${this.d.publicUrl}/v1/apps/${appId}/auth/oauth/${provider}/callback`;
  }

  /** Where to send the browser, and the cookie value binding the flow to it. */
  async start(appId: string, provider: string, redirectTo: string): Promise<{ url: string; binding: string }> {
    const s = await this.d.settings.get(appId);
    const p = this.provider(s, provider);
    if (!redirectAllowed(s, redirectTo)) {
      throw invalidRequest("redirectTo is not one of the app's allowed redirect URLs.", { parameter: 'redirectTo' });
    }
    const preset = PRESETS[provider];
    const config = await this.config(appId, provider, p);
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const binding = randomToken(24);
    const state = await this.d.oneTime.issue(
      appId,
      { purpose: 'oauth-state', data: { provider, codeVerifier, nonce, redirectTo, binding: sha256(binding) } },
      600,
    );
    const scopes = p.scopes ?? preset?.scopes ?? ['openid', 'email', 'profile'];
    const params: Record<string, string> = {
      redirect_uri: this.callbackUrl(appId, provider),
      scope: scopes.join(' '),
      state,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (preset?.kind !== 'github') params.nonce = nonce;
    if (preset?.formPost) params.response_mode = 'form_post';
    return { url: client.buildAuthorizationUrl(config, params).href, binding };
  }

  /**
   * The provider's answer: checks state (single use), the browser binding, PKCE and the ID token,
   * then finds, links or makes the account. Returns where to send the browser.
   */
  async callback(
    ctx: AuthContext,
    provider: string,
    params: URLSearchParams,
    binding: string | undefined,
  ): Promise<{ redirect: string }> {
    const stateToken = params.get('state') ?? '';
    const state = await this.d.oneTime.consume(ctx.appId, stateToken, 'oauth-state');
    const data = state.data as {
      provider: string;
      codeVerifier: string;
      nonce: string;
      redirectTo: string;
      binding: string;
    };
    const back = (query: Record<string, string>) => {
      const url = new URL(data.redirectTo);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      return { redirect: url.href };
    };
    if (data.provider !== provider || !binding || sha256(binding) !== data.binding) {
      throw new HearthError('unauthorized', 'This sign-in was started in another browser or for another provider.');
    }
    if (params.get('error')) return back({ error: params.get('error')!.slice(0, 100) });
    try {
      const s = await this.d.settings.get(ctx.appId);
      const p = this.provider(s, provider);
      const config = await this.config(ctx.appId, provider, p);
      const current = new URL(this.callbackUrl(ctx.appId, provider));
      for (const [k, v] of params) current.searchParams.set(k, v);
      const claims = await this.exchange(config, provider, current, { ...data, state: stateToken });
      const doc = await this.resolveAccount(ctx, s, provider, claims);
      if (doc.disabledAt) return back({ error: 'user_disabled' });
      const code = await this.d.oneTime.issue(
        ctx.appId,
        { purpose: 'oauth-code', userId: doc.id, data: { provider } },
        120,
      );
      return back({ code });
    } catch (e) {
      return back({ error: callbackError(e) });
    }
  }

  /** POST /auth/oauth/token: the one-time code from the redirect → tokens (or an MFA challenge). */
  async redeem(ctx: AuthContext, code: string): Promise<SignIn | MfaChallenge> {
    const rec = await this.d.oneTime.consume(ctx.appId, code, 'oauth-code');
    const s = await this.d.settings.get(ctx.appId);
    const doc = rec.userId ? await this.d.users.get(ctx.appId, rec.userId) : null;
    if (!doc || doc.disabledAt) throw errors.invalidLink();
    return this.d.issuer.finishFirstFactor(ctx, s, doc, [`oauth:${String(rec.data.provider)}`]);
  }

  private async exchange(
    config: client.Configuration,
    provider: string,
    current: URL,
    data: { codeVerifier: string; nonce: string; state: string },
  ): Promise<ProviderClaims> {
    const preset = PRESETS[provider];
    if (preset?.kind === 'github') {
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: data.codeVerifier,
        expectedState: data.state,
        idTokenExpected: false,
      });
      return githubClaims(config, tokens.access_token);
    }
    const tokens = await client.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: data.codeVerifier,
      expectedNonce: data.nonce,
      expectedState: data.state,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new HearthError('unauthorized', 'The provider sent no ID token.');
    let claims: Record<string, unknown> & { sub: string } = idClaims;
    // Many providers put email in the UserInfo response only (the ID token then has just `sub`).
    if (typeof idClaims.email !== 'string' && config.serverMetadata().userinfo_endpoint) {
      const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      claims = { ...info, sub: idClaims.sub };
    }
    const email = typeof claims.email === 'string' ? claims.email : null;
    // Apple sends "true" as a string.
    const verified = claims.email_verified === true || claims.email_verified === 'true';
    return {
      subject: claims.sub,
      email,
      emailVerified: Boolean(email && verified),
      name: typeof claims.name === 'string' ? claims.name : null,
    };
  }

  private async resolveAccount(
    ctx: AuthContext,
    s: AuthSettings,
    provider: string,
    claims: ProviderClaims,
  ): Promise<StoredDocument> {
    const app = this.d.store.forApp(ctx.appId);
    const identityId = sha256(`${provider}\u0000${claims.subject}`);
    const identity = await app.get(IDENTITIES, identityId);
    if (identity) {
      const doc = await this.d.users.get(ctx.appId, String(identity.userId));
      if (doc) return doc;
      await app.delete(IDENTITIES, identityId).catch(() => undefined);
    }
    let doc: StoredDocument | null = null;
    if (claims.email && claims.emailVerified) {
      doc = await this.d.users.byEmail(ctx.appId, claims.email);
      // The provider proved the address; whoever made an unverified account with it did not: their
      // password, sessions, links and MFA are wiped before the owner gets in (email-proven.ts).
      if (doc && !doc.emailVerified) doc = await this.d.provenEmails.claim(ctx.appId, doc);
    }
    if (!doc) {
      if (!s.allowSignup) throw errors.signupDisabled();
      // An unverified email is not taken over, nor stored as the account's address.
      doc = await this.d.users.create(ctx.appId, {
        email: claims.email && claims.emailVerified ? normaliseEmail(claims.email) : null,
        emailVerified: Boolean(claims.email && claims.emailVerified),
        passwordHash: null,
        anonymous: false,
        profile: defaultProfile(s),
      });
    }
    await app
      .create(IDENTITIES, {
        id: identityId,
        data: { userId: doc.id, provider, subject: claims.subject, email: claims.email },
      })
      .catch((e: unknown) => {
        if (!isError(e, 'conflict')) throw e;
      });
    return doc;
  }

  private provider(s: AuthSettings, name: string): OidcProviderSettings {
    const p = s.oauth[name];
    if (!p || !p.enabled) throw notFound(`No sign-in provider "${name}" is configured for this app.`);
    if (!p.issuer && !PRESETS[name]) throw notFound(`The provider "${name}" has no issuer.`);
    return p;
  }

  private async config(appId: string, name: string, p: OidcProviderSettings): Promise<client.Configuration> {
    const fingerprint = JSON.stringify([p.issuer, p.clientId, p.clientSecret, p.appleTeamId, p.appleKeyId]);
    const key = `${appId}\u0000${name}`;
    const hit = this.configs.get(key);
    const t = this.d.now().getTime();
    if (hit && hit.until > t && hit.fingerprint === fingerprint) return hit.config;
    const preset = PRESETS[name];
    const secret = name === 'apple' && p.applePrivateKey ? appleClientSecret(p, this.d.now()) : p.clientSecret;
    let config: client.Configuration;
    if (preset?.kind === 'github') {
      config = new client.Configuration(
        {
          issuer: 'https://github.com',
          authorization_endpoint: 'https://github.com/login/oauth/authorize',
          token_endpoint: 'https://github.com/login/oauth/access_token',
        },
        p.clientId,
        secret,
      );
    } else {
      const issuer = new URL(p.issuer ?? preset!.issuer);
      const insecure = issuer.protocol === 'http:';
      if (insecure && !isLoopback(issuer))
        throw invalidRequest('An issuer must use https (http only on loopback, for development).');
      try {
        config = await client.discovery(
          issuer,
          p.clientId,
          secret,
          undefined,
          insecure ? { execute: [client.allowInsecureRequests] } : undefined,
        );
      } catch (e) {
        throw unavailable('The sign-in provider could not be reached.', e);
      }
    }
    if (this.configs.size > 1000) this.configs.clear();
    // Apple's client secret is a JWT that expires: rebuild well before.
    this.configs.set(key, { config, until: t + (name === 'apple' ? 30 * 60_000 : 3600_000), fingerprint });
    return config;
  }
}

/**
 * The `error` a failed callback sends the app: `account_conflict`, the reason of a refusal that has
 * one (`signup_disabled`), else the error code; `provider_error` for anything not ours.
 */
function callbackError(e: unknown): string {
  if (!isHearthError(e)) return 'provider_error';
  if (e.code === 'conflict') return 'account_conflict';
  return e.code === 'forbidden' && e.details?.reason ? e.details.reason : e.code;
}

function redirectAllowed(s: AuthSettings, redirectTo: string): boolean {
  let target: URL;
  try {
    target = new URL(redirectTo);
  } catch {
    return false;
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return false;
  if (target.username || target.password) return false;
  return s.redirectUrls.some((allowed) => redirectMatches(new URL(allowed), target));
}

/**
 * An allowed redirect URL matches the same origin and either the same path or a path under it
 * as a directory: `https://app.test/after` allows `/after` and `/after/x`, not `/afterlife`;
 * `https://app.test` (path `/`) allows the whole origin. The query string is the caller's.
 */
export function redirectMatches(allowed: URL, target: URL): boolean {
  if (allowed.origin !== target.origin) return false;
  const dir = allowed.pathname.endsWith('/') ? allowed.pathname : `${allowed.pathname}/`;
  return target.pathname === allowed.pathname || target.pathname.startsWith(dir);
}

/** Apple's client secret: an ES256 JWT signed with the team's private key, valid for an hour. */
export function appleClientSecret(p: OidcProviderSettings, now: Date): string {
  const iat = Math.floor(now.getTime() / 1000);
  return jwt.sign(
    { iss: p.appleTeamId, iat, exp: iat + 3600, aud: 'https://appleid.apple.com', sub: p.clientId },
    p.applePrivateKey!,
    {
      algorithm: 'ES256',
      keyid: p.appleKeyId!,
    },
  );
}

/** GitHub: the user and their primary verified email from its REST API. */
async function githubClaims(config: client.Configuration, accessToken: string): Promise<ProviderClaims> {
  const headers = new Headers({ Accept: 'application/vnd.github+json', 'User-Agent': 'hearth' });
  const userRes = await client.fetchProtectedResource(
    config,
    accessToken,
    new URL('https://api.github.com/user'),
    'GET',
    undefined,
    headers,
  );
  if (!userRes.ok) throw new HearthError('unauthorized', 'GitHub refused the token.');
  const user = (await userRes.json()) as { id: number; name?: string | null; login: string };
  const emailsRes = await client.fetchProtectedResource(
    config,
    accessToken,
    new URL('https://api.github.com/user/emails'),
    'GET',
    undefined,
    headers,
  );
  const emails = emailsRes.ok
    ? ((await emailsRes.json()) as Array<{ email: string; primary: boolean; verified: boolean }>)
    : [];
  const primary = emails.find((e) => e.primary && e.verified) ?? emails.find((e) => e.verified);
  return {
    subject: String(user.id),
    email: primary?.email ?? null,
    emailVerified: Boolean(primary),
    name: user.name ?? user.login,
  };
}
