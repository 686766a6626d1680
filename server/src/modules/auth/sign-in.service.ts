import { errors, reasonError } from '../../errors.js';
import { hashPassword, verifyPassword } from '../../lib/passwords.js';
import type { StoredDocument } from '../../ports/document-store.js';
import { pendingUpgradeData, upgradedFields } from './anonymous-upgrade.js';
import type { AuthMail } from './auth-mail.js';
import type { AuthContext, AuthParts, MfaChallenge, SignedIn, SignIn, VerificationRequired } from './auth.types.js';
import { assertPasswordPolicy } from './password-policy.js';
import { checkProfile, defaultProfile } from './profile-fields.js';
import type { SessionIssuer } from './session-issuer.js';
import { emailTaken, normaliseEmail, toUserView } from './users.repo.js';
import type { SessionEvents } from './session-events.js';

/**
 * Getting in: sign-up and login with email and password, anonymous sign-in and its upgrade to an
 * email account, token refresh and logout. A login answers a wrong password and an unknown email
 * the same way, after the same work.
 */
export class SignInService {
  constructor(
    private readonly d: AuthParts & { mail: AuthMail; issuer: SessionIssuer; sessionEvents?: SessionEvents },
  ) {}

  async signup(
    ctx: AuthContext,
    input: { email: string; password: string; profile?: Record<string, unknown> },
  ): Promise<SignIn | VerificationRequired> {
    const s = await this.d.settings.get(ctx.appId);
    if (!s.allowSignup) throw errors.signupDisabled();
    const email = normaliseEmail(input.email);
    assertPasswordPolicy(s.passwordPolicy, input.password, email);
    const profile = input.profile ? checkProfile(s, {}, input.profile) : defaultProfile(s);
    const doc = await this.d.users.create(ctx.appId, {
      email,
      passwordHash: await hashPassword(input.password),
      anonymous: false,
      profile,
    });
    await this.d.mail.sendLinkOrLog(ctx, s, 'verify', { userId: doc.id, email });
    if (s.requireVerifiedEmail) return { user: toUserView(doc), verificationRequired: true };
    return this.d.issuer.startSession(ctx, s, doc, ['pwd']);
  }

  async login(ctx: AuthContext, input: { email: string; password: string }): Promise<SignIn | MfaChallenge> {
    const s = await this.d.settings.get(ctx.appId);
    const email = normaliseEmail(input.email);
    // The attempt counts before the check (given back on success): parallel guesses all count.
    await this.d.limits.beginLogin(ctx.appId, email, ctx.ip, s);
    const doc = await this.d.users.byEmail(ctx.appId, email);
    const hash = doc && typeof doc.passwordHash === 'string' ? doc.passwordHash : undefined;
    // Same work (one argon2 verification) whether or not the account exists.
    const ok = await verifyPassword(hash, input.password);
    if (!doc || !ok) throw errors.invalidCredentials();
    await this.d.limits.loginSucceeded(ctx.appId, email, ctx.ip, s);
    if (doc.disabledAt) throw errors.userDisabled();
    if (s.requireVerifiedEmail && !doc.emailVerified) throw errors.emailNotVerified();
    return this.d.issuer.finishFirstFactor(ctx, s, doc, ['pwd']);
  }

  async anonymous(ctx: AuthContext): Promise<SignIn> {
    const s = await this.d.settings.get(ctx.appId);
    if (!s.allowAnonymous)
      throw reasonError('forbidden', 'anonymous_disabled', 'Anonymous sign-in is disabled for this app.');
    const doc = await this.d.users.create(ctx.appId, {
      email: null,
      passwordHash: null,
      anonymous: true,
      profile: defaultProfile(s),
    });
    return this.d.issuer.startSession(ctx, s, doc, ['anon']);
  }

  /**
   * Anonymous → email account, same id (so everything it owns stays its own), under the sign-up
   * rules: refused while sign-up is closed, the password policy applies, a taken address is
   * `conflict`. With `requireVerifiedEmail` nothing changes until the address is proven: the link
   * mailed to it carries the upgrade (applied by MailLinksService.confirmVerification), and no
   * tokens are granted. Otherwise the anonymous session ends and a password session starts.
   */
  async upgrade(
    ctx: AuthContext,
    who: SignedIn,
    input: { email: string; password: string },
  ): Promise<SignIn | VerificationRequired> {
    const s = await this.d.settings.get(ctx.appId);
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (!doc.anonymous) throw reasonError('conflict', 'not_anonymous', 'This account already has an email.');
    if (!s.allowSignup) throw errors.signupDisabled();
    const email = normaliseEmail(input.email);
    assertPasswordPolicy(s.passwordPolicy, input.password, email);
    const passwordHash = await hashPassword(input.password);
    if (s.requireVerifiedEmail) {
      if (await this.d.users.byEmail(ctx.appId, email)) throw emailTaken();
      // One pending upgrade at a time: a newer request voids the older link.
      await this.d.oneTime.revokeFor(ctx.appId, doc.id, ['verify']);
      await this.d.mail.sendLinkOrLog(ctx, s, 'verify', {
        userId: doc.id,
        email,
        data: pendingUpgradeData({ passwordHash }),
      });
      return { user: toUserView(doc), verificationRequired: true };
    }
    const updated = await this.d.users.update(
      ctx.appId,
      doc.id,
      { set: upgradedFields(email, passwordHash, false) },
      doc.version,
    );
    await this.d.sessions.revoke(ctx.appId, who.sessionId, 'upgraded');
    await this.d.mail.sendLinkOrLog(ctx, s, 'verify', { userId: doc.id, email });
    return this.d.issuer.startSession(ctx, s, updated, ['pwd']);
  }

  async refresh(ctx: AuthContext, refreshToken: string): Promise<SignIn> {
    const s = await this.d.settings.get(ctx.appId);
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
    const installationId = ctx.installationId ?? null;
    this.d.sessionEvents?.emit({ type: 'session.refresh', appId: ctx.appId, userId: current!.id, installationId });
    return { user: toUserView(current!), ...issued };
  }

  async logout(ctx: AuthContext, who: SignedIn): Promise<void> {
    await this.d.sessions.revoke(ctx.appId, who.sessionId, 'logout');
    const installationId = ctx.installationId ?? null;
    this.d.sessionEvents?.emit({ type: 'session.end', appId: ctx.appId, userId: who.userId, installationId });
  }
}
