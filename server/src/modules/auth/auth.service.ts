import type { Logger } from 'pino';
import { HearthError } from '../../errors.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { hashPassword, verifyPassword } from '../../lib/passwords.js';
import type { StoredDocument } from '../../ports/document-store.js';
import type { Mailer } from '../../ports/mail.js';
import { validateTouched, type FieldErrors } from '../collections/validate.js';
import type { AuthSettings, AuthSettingsService, MailKind } from './auth.settings.js';
import { linkWithToken, renderMail } from './mail.templates.js';
import { findRecoveryCode, matchTotp, newRecoveryCodes, newTotp, type SecretBox } from './mfa.js';
import type { OneTimeTokens } from './one-time-tokens.js';
import { passwordProblems } from './password-policy.js';
import type { AuthRateLimits } from './rate-limits.js';
import type { IssuedTokens, Sessions, SessionView } from './sessions.js';
import { emailTaken, normaliseEmail, toUserView, type UsersRepo, type UserView } from './users.repo.js';

/**
 * App-user sign-in flows: email + password, anonymous, refresh, logout, profile, password change,
 * upgrade, email verification, password reset, magic links and TOTP MFA. Answers that could tell
 * whether an email has an account (login, reset, magic link) are the same either way.
 */
export interface AuthContext {
  appId: string;
  appName: string;
  ip: string;
  userAgent: string | null;
  requestId?: string;
}

/** The caller of /auth/me and friends: a verified access token's user and session. */
export interface SignedIn {
  userId: string;
  sessionId: string;
}

export interface SignIn extends IssuedTokens {
  user: UserView;
}

export interface MfaChallenge {
  mfaRequired: true;
  mfaToken: string;
  methods: Array<'totp' | 'recovery'>;
}

export interface AuthServiceDeps {
  users: UsersRepo;
  settings: AuthSettingsService;
  sessions: Sessions;
  oneTime: OneTimeTokens;
  limits: AuthRateLimits;
  mailer: Mailer;
  box: SecretBox;
  publicUrl: string;
  logger: Logger;
  now: () => Date;
}

/**
 * How recent a sign-in must be for security-sensitive changes (setting a first password,
 * enrolling or turning off MFA): the session's sign-in time, which a token refresh does not move.
 */
export const REAUTH_WINDOW_SECONDS = 10 * 60;

const reauthenticationRequired = () =>
  new HearthError('forbidden', 'Sign in again to do this: your sign-in is too old for a security change.', {
    reason: 'reauthentication_required',
    maxAgeSeconds: REAUTH_WINDOW_SECONDS,
  });

const wrongCredentials = () => new HearthError('unauthorized', 'The email or password is incorrect.');
const disabled = () => new HearthError('forbidden', 'This account is disabled.', { reason: 'user_disabled' });

export class AuthService {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly d: AuthServiceDeps) {}

  settings(appId: string): Promise<AuthSettings> {
    return this.d.settings.get(appId);
  }

  // ── sign-up and sign-in ─────────────────────────────────────────────

  async signup(
    ctx: AuthContext,
    input: { email: string; password: string; profile?: Record<string, unknown> },
  ): Promise<SignIn | { user: UserView; verificationRequired: true }> {
    const s = await this.settings(ctx.appId);
    if (!s.allowSignup)
      throw new HearthError('forbidden', 'Sign-up is closed for this app.', { reason: 'signup_disabled' });
    const email = normaliseEmail(input.email);
    this.assertPassword(s, input.password, email);
    const profile = input.profile ? this.checkProfile(s, {}, input.profile) : this.defaultProfile(s);
    const doc = await this.d.users.create(ctx.appId, {
      email,
      passwordHash: await hashPassword(input.password),
      anonymous: false,
      profile,
    });
    await this.sendLink(ctx, s, 'verify', doc, s.verifyTokenTtl).catch((err: unknown) => this.mailFailed(err, ctx));
    if (s.requireVerifiedEmail) return { user: toUserView(doc), verificationRequired: true };
    return this.startSession(ctx, s, doc, ['pwd']);
  }

  async login(ctx: AuthContext, input: { email: string; password: string }): Promise<SignIn | MfaChallenge> {
    const s = await this.settings(ctx.appId);
    const email = normaliseEmail(input.email);
    // The attempt counts before the check (given back on success): parallel guesses all count.
    await this.d.limits.beginLogin(ctx.appId, email, ctx.ip, s);
    const doc = await this.d.users.byEmail(ctx.appId, email);
    const hash = doc && typeof doc.passwordHash === 'string' ? doc.passwordHash : undefined;
    // Same work (one argon2 verification) whether or not the account exists.
    const ok = await verifyPassword(hash, input.password);
    if (!doc || !ok) throw wrongCredentials();
    await this.d.limits.loginSucceeded(ctx.appId, email, ctx.ip, s);
    if (doc.disabledAt) throw disabled();
    if (s.requireVerifiedEmail && !doc.emailVerified) {
      throw new HearthError('forbidden', 'Confirm your email address first.', { reason: 'email_not_verified' });
    }
    return this.finishFirstFactor(ctx, s, doc, ['pwd']);
  }

  async anonymous(ctx: AuthContext): Promise<SignIn> {
    const s = await this.settings(ctx.appId);
    if (!s.allowAnonymous)
      throw new HearthError('forbidden', 'Anonymous sign-in is disabled for this app.', {
        reason: 'anonymous_disabled',
      });
    const doc = await this.d.users.create(ctx.appId, {
      email: null,
      passwordHash: null,
      anonymous: true,
      profile: this.defaultProfile(s),
    });
    return this.startSession(ctx, s, doc, ['anon']);
  }

  async refresh(ctx: AuthContext, refreshToken: string): Promise<SignIn> {
    const s = await this.settings(ctx.appId);
    let current: StoredDocument | null = null;
    const tokens = await this.d.sessions.refresh(
      ctx.appId,
      refreshToken,
      async (id) => {
        current = await this.d.users.get(ctx.appId, id);
        return current && !current.disabledAt ? { id: current.id, anonymous: Boolean(current.anonymous) } : null;
      },
      s.accessTokenTtl,
    );
    const { userId: _u, sessionId: _s, ...issued } = tokens;
    return { user: toUserView(current!), ...issued };
  }

  async logout(ctx: AuthContext, who: SignedIn): Promise<void> {
    await this.d.sessions.revoke(ctx.appId, who.sessionId, 'logout');
  }

  // ── the signed-in user ──────────────────────────────────────────────

  async me(appId: string, who: SignedIn): Promise<UserView> {
    return toUserView(await this.d.users.require(appId, who.userId));
  }

  async updateMe(appId: string, who: SignedIn, patch: { profile?: Record<string, unknown> }): Promise<UserView> {
    const s = await this.settings(appId);
    const doc = await this.d.users.require(appId, who.userId);
    if (!patch.profile) return toUserView(doc);
    const profile = this.checkProfile(s, (doc.profile as Record<string, JsonValue>) ?? {}, patch.profile);
    return toUserView(await this.d.users.update(appId, doc.id, { set: { profile } }));
  }

  async changePassword(
    ctx: AuthContext,
    who: SignedIn,
    input: { currentPassword?: string; newPassword: string },
  ): Promise<void> {
    const s = await this.settings(ctx.appId);
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (doc.anonymous)
      throw new HearthError('forbidden', 'Anonymous users have no password: upgrade the account instead.');
    if (typeof doc.passwordHash === 'string') {
      // The current password is the re-authentication. A stolen access token must not become a
      // way to guess it: the check counts against the login lockout.
      await this.d.limits.beginLogin(ctx.appId, String(doc.login), ctx.ip, s);
      if (!input.currentPassword || !(await verifyPassword(doc.passwordHash, input.currentPassword)))
        throw new HearthError('unauthorized', 'The current password is incorrect.', { field: 'currentPassword' });
      await this.d.limits.loginSucceeded(ctx.appId, String(doc.login), ctx.ip, s);
    } else {
      // No password yet (magic link, OAuth): setting one needs a recent sign-in, so a stolen
      // access token cannot turn into a permanent password login.
      await this.assertRecentAuth(ctx.appId, who);
    }
    this.assertPassword(s, input.newPassword, (doc.email as string | null) ?? null);
    await this.d.users.update(ctx.appId, doc.id, {
      set: { passwordHash: await hashPassword(input.newPassword), passwordChangedAt: this.d.now().toISOString() },
    });
    // Every other session ends: whoever knew the old password is signed out.
    await this.d.sessions.revokeAll(ctx.appId, doc.id, 'password_changed', who.sessionId);
    await this.d.oneTime.revokeFor(ctx.appId, doc.id, ['reset']);
  }

  /**
   * Anonymous → email account, same id (so everything it owns stays its own). With
   * `requireVerifiedEmail` it follows the sign-up policy: nothing changes until the address is
   * proven (the link mailed to it carries the upgrade), and no tokens are granted.
   */
  async upgrade(
    ctx: AuthContext,
    who: SignedIn,
    input: { email: string; password: string },
  ): Promise<SignIn | { user: UserView; verificationRequired: true }> {
    const s = await this.settings(ctx.appId);
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (!doc.anonymous)
      throw new HearthError('conflict', 'This account already has an email.', { reason: 'not_anonymous' });
    // An upgrade makes an email account: not while sign-up is closed.
    if (!s.allowSignup)
      throw new HearthError('forbidden', 'Sign-up is closed for this app.', { reason: 'signup_disabled' });
    const email = normaliseEmail(input.email);
    this.assertPassword(s, input.password, email);
    if (s.requireVerifiedEmail) {
      if (await this.d.users.byEmail(ctx.appId, email)) throw emailTaken();
      await this.d.oneTime.revokeFor(ctx.appId, doc.id, ['verify']);
      const passwordHash = await hashPassword(input.password);
      await this.sendLinkTo(
        ctx,
        s,
        'verify',
        { userId: doc.id, email, data: { upgrade: { passwordHash } } },
        s.verifyTokenTtl,
      ).catch((err: unknown) => this.mailFailed(err, ctx));
      return { user: toUserView(doc), verificationRequired: true };
    }
    const updated = await this.d.users.update(
      ctx.appId,
      doc.id,
      {
        set: {
          login: email,
          email,
          emailVerified: false,
          anonymous: false,
          passwordHash: await hashPassword(input.password),
        },
      },
      doc.version,
    );
    await this.d.sessions.revoke(ctx.appId, who.sessionId, 'upgraded');
    await this.sendLink(ctx, s, 'verify', updated, s.verifyTokenTtl).catch((err: unknown) => this.mailFailed(err, ctx));
    return this.startSession(ctx, s, updated, ['pwd']);
  }

  async sessions(appId: string, who: SignedIn): Promise<SessionView[]> {
    return this.d.sessions.list(appId, who.userId, who.sessionId);
  }

  async revokeSession(appId: string, who: SignedIn, sessionId: string): Promise<void> {
    await this.d.sessions.revokeOwn(appId, who.userId, sessionId);
  }

  // ── links by mail ───────────────────────────────────────────────────

  async requestVerification(ctx: AuthContext, who: SignedIn): Promise<void> {
    const s = await this.settings(ctx.appId);
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (!doc.email) throw new HearthError('invalid_request', 'This account has no email address.');
    if (doc.emailVerified) return;
    await this.sendLink(ctx, s, 'verify', doc, s.verifyTokenTtl);
  }

  async confirmVerification(appId: string, token: string): Promise<UserView> {
    const rec = await this.d.oneTime.consume(appId, token, 'verify');
    const doc = rec.userId ? await this.d.users.get(appId, rec.userId) : null;
    const upgrade = rec.data.upgrade as { passwordHash: string } | undefined;
    if (upgrade) {
      // A pending anonymous upgrade: the address is proven now, so it becomes the account's.
      if (!doc || !doc.anonymous || !rec.email)
        throw new HearthError('unauthorized', 'The link or code is invalid or has expired.');
      const updated = await this.d.users.update(
        appId,
        doc.id,
        {
          set: {
            login: rec.email,
            email: rec.email,
            emailVerified: true,
            anonymous: false,
            passwordHash: upgrade.passwordHash,
          },
        },
        doc.version,
      );
      await this.d.sessions.revokeAll(appId, doc.id, 'upgraded');
      return toUserView(updated);
    }
    // The address must still be the one the link was sent to.
    if (!doc || doc.email !== rec.email)
      throw new HearthError('unauthorized', 'The link or code is invalid or has expired.');
    return toUserView(await this.d.users.update(appId, doc.id, { set: { emailVerified: true } }));
  }

  /** Always succeeds (202) whether or not the email has an account. */
  /**
   * Answers at once (202) whether or not the email has an account: the lookup, the token and the
   * mail happen after the answer, so neither the answer nor its timing tells them apart.
   */
  requestReset(ctx: AuthContext, email: string): Promise<void> {
    this.background(ctx, async () => {
      const s = await this.settings(ctx.appId);
      const doc = await this.d.users.byEmail(ctx.appId, email);
      if (!doc || doc.disabledAt || !doc.email) return;
      await this.d.oneTime.revokeFor(ctx.appId, doc.id, ['reset']);
      await this.sendLink(ctx, s, 'reset', doc, s.resetTokenTtl);
    });
    return Promise.resolve();
  }

  async confirmReset(ctx: AuthContext, token: string, password: string): Promise<void> {
    const s = await this.settings(ctx.appId);
    // Check the password first so a refused password does not burn the link.
    this.assertPassword(s, password, null);
    const rec = await this.d.oneTime.consume(ctx.appId, token, 'reset');
    const doc = rec.userId ? await this.d.users.get(ctx.appId, rec.userId) : null;
    if (!doc || doc.email !== rec.email || doc.disabledAt)
      throw new HearthError('unauthorized', 'The link or code is invalid or has expired.');
    this.assertPassword(s, password, (doc.email as string | null) ?? null);
    await this.d.users.update(ctx.appId, doc.id, {
      // Following the link proved the address.
      set: {
        passwordHash: await hashPassword(password),
        emailVerified: true,
        passwordChangedAt: this.d.now().toISOString(),
      },
    });
    await this.d.sessions.revokeAll(ctx.appId, doc.id, 'password_reset');
    await this.d.limits.loginReset(ctx.appId, String(doc.login), ctx.ip, s);
  }

  /**
   * Always succeeds (202), at once (see requestReset). Unknown addresses get an account on
   * confirmation when sign-up is open.
   */
  requestMagicLink(ctx: AuthContext, email: string): Promise<void> {
    this.background(ctx, async () => {
      const s = await this.settings(ctx.appId);
      const address = normaliseEmail(email);
      const doc = await this.d.users.byEmail(ctx.appId, address);
      if (doc?.disabledAt) return;
      if (!doc && !s.allowSignup) return;
      if (!(await this.d.limits.mayMail(ctx.appId, address))) return;
      const token = await this.d.oneTime.issue(
        ctx.appId,
        { purpose: 'magic', userId: doc?.id ?? null, email: address },
        s.magicLinkTtl,
      );
      await this.mail(ctx, s, 'magic-link', address, token, s.magicLinkTtl);
    });
    return Promise.resolve();
  }

  /** Work that must not change an answer or its timing; failures are logged. */
  private background(ctx: AuthContext, work: () => Promise<void>): void {
    const p = work()
      .catch((err: unknown) => this.mailFailed(err, ctx))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for background mail work (graceful shutdown, tests). */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  async confirmMagicLink(ctx: AuthContext, token: string): Promise<SignIn | MfaChallenge> {
    const s = await this.settings(ctx.appId);
    const rec = await this.d.oneTime.consume(ctx.appId, token, 'magic');
    let doc = rec.userId
      ? await this.d.users.get(ctx.appId, rec.userId)
      : await this.d.users.byEmail(ctx.appId, rec.email!);
    if (doc && doc.email !== rec.email)
      throw new HearthError('unauthorized', 'The link or code is invalid or has expired.');
    if (!doc) {
      if (!s.allowSignup)
        throw new HearthError('forbidden', 'Sign-up is closed for this app.', { reason: 'signup_disabled' });
      doc = await this.d.users.create(ctx.appId, {
        email: rec.email,
        passwordHash: null,
        anonymous: false,
        emailVerified: true,
        profile: this.defaultProfile(s),
      });
    } else if (!doc.emailVerified) {
      doc = await this.emailProven(ctx.appId, doc);
    }
    if (doc.disabledAt) throw disabled();
    return this.finishFirstFactor(ctx, s, doc, ['email']);
  }

  /**
   * The owner of an address proved it (a magic link, or an OAuth provider's verified email) and it
   * lands on an account whose address was never verified. Whoever made that account did not prove
   * the address, so nothing they set up may survive into the owner's account (no pre-account
   * takeover): the password is cleared, every session ends, outstanding links, codes and MFA
   * challenges are void, identities linked before and any MFA enrolment are dropped. The account
   * (id, profile, documents it owns) is kept; then the address is marked verified.
   */
  async emailProven(appId: string, doc: StoredDocument): Promise<StoredDocument> {
    if (doc.emailVerified) return doc;
    const updated = await this.d.users.update(appId, doc.id, {
      set: {
        emailVerified: true,
        passwordHash: null,
        passwordChangedAt: this.d.now().toISOString(),
        mfa: { totp: null, totpPending: null, totpLastStep: 0, recoveryCodes: [] },
      },
    });
    await this.d.sessions.revokeAll(appId, doc.id, 'email_proven');
    await this.d.oneTime.revokeFor(appId, doc.id, ['verify', 'reset', 'magic', 'mfa', 'oauth-code']);
    await this.d.users.dropIdentities(appId, doc.id);
    this.d.logger.info(
      { appId, userId: doc.id },
      'auth: a proven email claimed an unverified account; its credentials were reset',
    );
    return updated;
  }

  // ── TOTP MFA ────────────────────────────────────────────────────────

  async enrolTotp(ctx: AuthContext, who: SignedIn): Promise<{ secret: string; uri: string }> {
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (doc.anonymous) throw new HearthError('forbidden', 'Anonymous users cannot enrol MFA.');
    if (mfaOf(doc).totp) throw new HearthError('conflict', 'TOTP is already enabled; disable it first.');
    await this.assertRecentAuth(ctx.appId, who);
    const enrolment = newTotp(ctx.appName, String(doc.email ?? doc.id));
    await this.d.users.update(ctx.appId, doc.id, { set: { 'mfa.totpPending': this.d.box.seal(enrolment.secret) } });
    return enrolment;
  }

  async activateTotp(ctx: AuthContext, who: SignedIn, code: string): Promise<{ recoveryCodes: string[] }> {
    const doc = await this.d.users.require(ctx.appId, who.userId);
    const mfa = mfaOf(doc);
    const secret = mfa.totpPending ? this.d.box.open(mfa.totpPending) : null;
    if (!secret) throw new HearthError('conflict', 'Start TOTP enrolment first.');
    await this.assertRecentAuth(ctx.appId, who);
    await this.d.limits.beginMfa(ctx.appId, doc.id);
    const step = matchTotp(secret, code, this.d.now());
    if (step === null) throw new HearthError('unauthorized', 'The code is incorrect.', { field: 'code' });
    await this.d.limits.mfaSucceeded(ctx.appId, doc.id);
    const { codes, hashes } = newRecoveryCodes(this.d.box);
    await this.d.users.update(
      ctx.appId,
      doc.id,
      {
        set: {
          mfa: {
            totp: mfa.totpPending ?? null,
            totpPending: null,
            totpLastStep: step,
            recoveryCodes: hashes,
            enabledAt: this.d.now().toISOString(),
          },
        },
      },
      doc.version,
    );
    return { recoveryCodes: codes };
  }

  async disableTotp(ctx: AuthContext, who: SignedIn, code: string): Promise<void> {
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (!mfaOf(doc).totp) throw new HearthError('conflict', 'TOTP is not enabled.');
    await this.assertRecentAuth(ctx.appId, who);
    await this.checkSecondFactor(ctx, doc, code);
    await this.d.users.update(ctx.appId, doc.id, {
      set: { mfa: { totp: null, totpPending: null, totpLastStep: 0, recoveryCodes: [] } },
    });
  }

  /** New recovery codes (the old ones stop working); needs a current TOTP or recovery code. */
  async regenerateRecoveryCodes(ctx: AuthContext, who: SignedIn, code: string): Promise<{ recoveryCodes: string[] }> {
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (!mfaOf(doc).totp) throw new HearthError('conflict', 'TOTP is not enabled.');
    await this.checkSecondFactor(ctx, doc, code);
    const { codes, hashes } = newRecoveryCodes(this.d.box);
    await this.d.users.update(ctx.appId, doc.id, { set: { 'mfa.recoveryCodes': hashes } });
    return { recoveryCodes: codes };
  }

  /** The second step of a sign-in: a TOTP code or a recovery code for the challenge token. */
  async completeMfa(ctx: AuthContext, mfaToken: string, code: string): Promise<SignIn> {
    const s = await this.settings(ctx.appId);
    const rec = await this.d.oneTime.peek(ctx.appId, mfaToken, 'mfa');
    const doc = rec.userId ? await this.d.users.get(ctx.appId, rec.userId) : null;
    if (!doc || doc.disabledAt || !mfaOf(doc).totp)
      throw new HearthError('unauthorized', 'The link or code is invalid or has expired.');
    const method = await this.checkSecondFactor(ctx, doc, code);
    await this.d.oneTime.consume(ctx.appId, mfaToken, 'mfa');
    const amr = Array.isArray(rec.data.amr) ? (rec.data.amr as string[]) : [];
    return this.startSession(ctx, s, (await this.d.users.get(ctx.appId, doc.id))!, [
      ...amr,
      method === 'totp' ? 'otp' : 'recovery',
      'mfa',
    ]);
  }

  /** Checks a TOTP or recovery code (each usable once); returns which it was. */
  private async checkSecondFactor(ctx: AuthContext, doc: StoredDocument, code: string): Promise<'totp' | 'recovery'> {
    // Counted before the check, given back on success: parallel guesses all count.
    await this.d.limits.beginMfa(ctx.appId, doc.id);
    const mfa = mfaOf(doc);
    const secret = mfa.totp ? this.d.box.open(mfa.totp) : null;
    const trimmed = code.trim();
    if (secret && /^\d{6}$/.test(trimmed)) {
      const step = matchTotp(secret, trimmed, this.d.now());
      if (step !== null && step > (mfa.totpLastStep ?? 0)) {
        try {
          await this.d.users.update(ctx.appId, doc.id, { set: { 'mfa.totpLastStep': step } }, doc.version);
          await this.d.limits.mfaSucceeded(ctx.appId, doc.id);
          return 'totp';
        } catch (e) {
          if (!(e instanceof HearthError && e.code === 'conflict')) throw e;
        }
      }
    } else {
      const i = findRecoveryCode(this.d.box, mfa.recoveryCodes ?? [], trimmed);
      if (i >= 0) {
        const rest = (mfa.recoveryCodes ?? []).filter((_, j) => j !== i);
        try {
          await this.d.users.update(ctx.appId, doc.id, { set: { 'mfa.recoveryCodes': rest } }, doc.version);
          await this.d.limits.mfaSucceeded(ctx.appId, doc.id);
          return 'recovery';
        } catch (e) {
          if (!(e instanceof HearthError && e.code === 'conflict')) throw e;
        }
      }
    }
    throw new HearthError('unauthorized', 'The code is incorrect.', { field: 'code' });
  }

  /** Security-sensitive changes need a sign-in within REAUTH_WINDOW_SECONDS (not a refresh). */
  private async assertRecentAuth(appId: string, who: SignedIn): Promise<void> {
    const at = await this.d.sessions.authenticatedAt(appId, who.sessionId);
    if (!at || at.getTime() < this.d.now().getTime() - REAUTH_WINDOW_SECONDS * 1000) throw reauthenticationRequired();
  }

  // ── shared pieces ───────────────────────────────────────────────────

  /** After a first factor: a session, or an MFA challenge when the user enrolled TOTP. */
  async finishFirstFactor(
    ctx: AuthContext,
    s: AuthSettings,
    doc: StoredDocument,
    amr: string[],
  ): Promise<SignIn | MfaChallenge> {
    if (mfaOf(doc).totp) {
      const mfaToken = await this.d.oneTime.issue(ctx.appId, { purpose: 'mfa', userId: doc.id, data: { amr } }, 300);
      return { mfaRequired: true, mfaToken, methods: ['totp', 'recovery'] };
    }
    return this.startSession(ctx, s, doc, amr);
  }

  async startSession(
    ctx: AuthContext,
    s: AuthSettings,
    doc: StoredDocument,
    amr: string[],
    impersonatedBy?: string,
  ): Promise<SignIn> {
    const updated = impersonatedBy
      ? doc
      : await this.d.users.update(ctx.appId, doc.id, { set: { lastSignInAt: this.d.now().toISOString() } });
    const { sessionId: _sid, ...tokens } = await this.d.sessions.start(
      ctx.appId,
      { id: doc.id, anonymous: Boolean(doc.anonymous) },
      { ip: ctx.ip, userAgent: ctx.userAgent, amr, impersonatedBy: impersonatedBy ?? null },
      { access: s.accessTokenTtl, refresh: impersonatedBy ? Math.min(3600, s.refreshTokenTtl) : s.refreshTokenTtl },
    );
    return { user: toUserView(updated), ...tokens };
  }

  private assertPassword(s: AuthSettings, password: string, email: string | null): void {
    const problems = passwordProblems(password, s.passwordPolicy, email);
    if (problems.length) {
      throw new HearthError('validation_failed', 'The password does not meet the policy.', {
        fields: { password: problems.join('; ') },
      });
    }
  }

  private defaultProfile(s: AuthSettings): Record<string, JsonValue> {
    return s.profileFields.length ? this.checkProfile(s, {}, {}) : {};
  }

  /** Validates a profile patch against the app's profile fields (strict; null removes). */
  checkProfile(
    s: AuthSettings,
    current: Record<string, JsonValue>,
    patch: Record<string, unknown>,
  ): Record<string, JsonValue> {
    const schema = { strict: true, fields: new Map(s.profileFields.map((f) => [f.name, f])) };
    const next: Record<string, unknown> = { ...current };
    const touched = new Set(Object.keys(patch));
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete next[k];
      else Object.defineProperty(next, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    // Defaults for fields never set.
    for (const f of s.profileFields) {
      if (!Object.hasOwn(next, f.name) && f.default !== undefined) {
        next[f.name] = structuredClone(f.default);
        touched.add(f.name);
      } else if (!Object.hasOwn(next, f.name) && f.required) touched.add(f.name);
    }
    try {
      validateTouched(schema, next, touched);
    } catch (e) {
      if (e instanceof HearthError && e.code === 'validation_failed') {
        const fields = (e.details?.fields ?? {}) as FieldErrors;
        throw new HearthError('validation_failed', 'The profile is invalid.', {
          fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [`profile.${k}`, v])),
        });
      }
      throw e;
    }
    return next as Record<string, JsonValue>;
  }

  private async sendLink(
    ctx: AuthContext,
    s: AuthSettings,
    kind: 'verify' | 'reset',
    doc: StoredDocument,
    ttl: number,
  ): Promise<void> {
    const email = doc.email as string | null;
    if (email) await this.sendLinkTo(ctx, s, kind, { userId: doc.id, email }, ttl);
  }

  private async sendLinkTo(
    ctx: AuthContext,
    s: AuthSettings,
    kind: 'verify' | 'reset',
    to: { userId: string; email: string; data?: Record<string, JsonValue> },
    ttl: number,
  ): Promise<void> {
    if (!(await this.d.limits.mayMail(ctx.appId, to.email))) return;
    const token = await this.d.oneTime.issue(ctx.appId, { purpose: kind, ...to }, ttl);
    await this.mail(ctx, s, kind, to.email, token, ttl);
  }

  private async mail(
    ctx: AuthContext,
    s: AuthSettings,
    kind: MailKind,
    to: string,
    token: string,
    ttl: number,
  ): Promise<void> {
    const base =
      (kind === 'verify' ? s.links.verify : kind === 'reset' ? s.links.reset : s.links.magicLink) ??
      `${this.d.publicUrl}/v1/apps/${ctx.appId}/auth/links/${kind}`;
    const link = linkWithToken(base, token);
    const rendered = renderMail(kind, s.templates, {
      appName: ctx.appName,
      email: to,
      link,
      token,
      expiresInMinutes: String(Math.round(ttl / 60)),
    });
    await this.d.mailer.send({ appId: ctx.appId, to, kind, ...rendered, ...(s.mailFrom ? { from: s.mailFrom } : {}) });
  }

  private mailFailed(err: unknown, ctx: AuthContext): void {
    this.d.logger.error({ err, appId: ctx.appId, requestId: ctx.requestId }, 'auth mail could not be sent');
  }
}

interface MfaState {
  totp?: string | null;
  totpPending?: string | null;
  totpLastStep?: number;
  recoveryCodes?: string[];
}

const mfaOf = (doc: StoredDocument): MfaState => (doc.mfa ?? {}) as MfaState;
