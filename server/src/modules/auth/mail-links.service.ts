import { errors, invalidRequest } from '../../errors.js';
import { hashPassword } from '../../lib/passwords.js';
import type { StoredDocument } from '../../ports/document-store.js';
import { pendingUpgradeOf, upgradedFields, type PendingUpgrade } from './anonymous-upgrade.js';
import type { AuthMail } from './auth-mail.js';
import type { AuthContext, AuthParts, MfaChallenge, SignedIn, SignIn } from './auth.types.js';
import type { ProvenEmails } from './email-proven.js';
import type { OneTimeRecord } from './one-time-tokens.js';
import { assertPasswordPolicy } from './password-policy.js';
import { defaultProfile } from './profile-fields.js';
import type { SessionIssuer } from './session-issuer.js';
import { normaliseEmail, toUserView, type UserView } from './users.repo.js';

/**
 * The flows that go through a mailed link: email verification (and a pending anonymous upgrade),
 * password reset and magic-link sign-in. Requests that could tell whether an email has an account
 * (reset, magic link) answer at once: the lookup, the token and the mail happen after the answer,
 * in the background, so neither the answer nor its timing tells them apart. `settle()` waits for
 * that work (graceful shutdown, tests).
 */
export class MailLinksService {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly d: AuthParts & { mail: AuthMail; issuer: SessionIssuer; provenEmails: ProvenEmails }) {}

  async requestVerification(ctx: AuthContext, who: SignedIn): Promise<void> {
    const s = await this.d.settings.get(ctx.appId);
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (!doc.email) throw invalidRequest('This account has no email address.');
    if (doc.emailVerified) return;
    await this.d.mail.sendLink(ctx, s, 'verify', { userId: doc.id, email: String(doc.email) });
  }

  async confirmVerification(appId: string, token: string): Promise<UserView> {
    const rec = await this.d.oneTime.consume(appId, token, 'verify');
    const doc = rec.userId ? await this.d.users.get(appId, rec.userId) : null;
    const upgrade = pendingUpgradeOf(rec);
    if (upgrade) return this.completeUpgrade(appId, doc, rec, upgrade);
    // The address must still be the one the link was sent to.
    if (!doc || doc.email !== rec.email) throw errors.invalidLink();
    return toUserView(await this.d.users.update(appId, doc.id, { set: { emailVerified: true } }));
  }

  /**
   * The link of an upgrade that waited for a verified email: the address is proven now, so the
   * anonymous account takes it (`conflict` when it got an account meanwhile: the first to prove an
   * address keeps it) and its anonymous sessions end; it signs in with the email and password.
   */
  private async completeUpgrade(
    appId: string,
    doc: StoredDocument | null,
    rec: OneTimeRecord,
    upgrade: PendingUpgrade,
  ): Promise<UserView> {
    if (!doc || !doc.anonymous || !rec.email) throw errors.invalidLink();
    const updated = await this.d.users.update(
      appId,
      doc.id,
      { set: upgradedFields(rec.email, upgrade.passwordHash, true) },
      doc.version,
    );
    await this.d.sessions.revokeAll(appId, doc.id, 'upgraded');
    return toUserView(updated);
  }

  /** Answers at once (202) whether or not the email has an account (see the class comment). */
  requestReset(ctx: AuthContext, email: string): Promise<void> {
    this.background(ctx, async () => {
      const s = await this.d.settings.get(ctx.appId);
      const doc = await this.d.users.byEmail(ctx.appId, email);
      if (!doc || doc.disabledAt || !doc.email) return;
      await this.d.oneTime.revokeFor(ctx.appId, doc.id, ['reset']);
      await this.d.mail.sendLink(ctx, s, 'reset', { userId: doc.id, email: String(doc.email) });
    });
    return Promise.resolve();
  }

  async confirmReset(ctx: AuthContext, token: string, password: string): Promise<void> {
    const s = await this.d.settings.get(ctx.appId);
    // Check the password first so a refused password does not burn the link.
    assertPasswordPolicy(s.passwordPolicy, password, null);
    const rec = await this.d.oneTime.consume(ctx.appId, token, 'reset');
    const doc = rec.userId ? await this.d.users.get(ctx.appId, rec.userId) : null;
    if (!doc || doc.email !== rec.email || doc.disabledAt) throw errors.invalidLink();
    assertPasswordPolicy(s.passwordPolicy, password, (doc.email as string | null) ?? null);
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
   * Answers at once (202), as requestReset. Unknown addresses get an account on confirmation when
   * sign-up is open.
   */
  requestMagicLink(ctx: AuthContext, email: string): Promise<void> {
    this.background(ctx, async () => {
      const s = await this.d.settings.get(ctx.appId);
      const address = normaliseEmail(email);
      const doc = await this.d.users.byEmail(ctx.appId, address);
      if (doc?.disabledAt) return;
      if (!doc && !s.allowSignup) return;
      await this.d.mail.sendLink(ctx, s, 'magic-link', { userId: doc?.id ?? null, email: address });
    });
    return Promise.resolve();
  }

  async confirmMagicLink(ctx: AuthContext, token: string): Promise<SignIn | MfaChallenge> {
    const s = await this.d.settings.get(ctx.appId);
    const rec = await this.d.oneTime.consume(ctx.appId, token, 'magic');
    let doc = rec.userId
      ? await this.d.users.get(ctx.appId, rec.userId)
      : await this.d.users.byEmail(ctx.appId, rec.email!);
    if (doc && doc.email !== rec.email) throw errors.invalidLink();
    if (!doc) {
      if (!s.allowSignup) throw errors.signupDisabled();
      doc = await this.d.users.create(ctx.appId, {
        email: rec.email,
        passwordHash: null,
        anonymous: false,
        emailVerified: true,
        profile: defaultProfile(s),
      });
    } else if (!doc.emailVerified) {
      doc = await this.d.provenEmails.claim(ctx.appId, doc);
    }
    if (doc.disabledAt) throw errors.userDisabled();
    return this.d.issuer.finishFirstFactor(ctx, s, doc, ['email']);
  }

  /** Waits for the background mail work started so far (graceful shutdown, tests). */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** Work that must not change an answer or its timing; failures are logged. */
  private background(ctx: AuthContext, work: () => Promise<void>): void {
    const p = work()
      .catch((err: unknown) => this.d.mail.failed(err, ctx))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}
