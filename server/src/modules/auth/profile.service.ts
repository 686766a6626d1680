import { HearthError, reasonError } from '../../errors.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { hashPassword, verifyPassword } from '../../lib/passwords.js';
import type { AuthContext, AuthParts, SignedIn } from './auth.types.js';
import { assertPasswordPolicy } from './password-policy.js';
import { checkProfile } from './profile-fields.js';
import { assertRecentSignIn } from './recent-sign-in.js';
import type { SessionView } from './sessions.js';
import { toUserView, type UserView } from './users.repo.js';

const wrongCurrentPassword = () =>
  reasonError('unauthorized', 'invalid_credentials', 'The current password is incorrect.', {
    field: 'currentPassword',
  });

/** The signed-in user's own account: who they are, their profile, their password, their sessions. */
export class ProfileService {
  constructor(private readonly d: AuthParts) {}

  async me(appId: string, who: SignedIn): Promise<UserView> {
    return toUserView(await this.d.users.require(appId, who.userId));
  }

  async updateMe(appId: string, who: SignedIn, patch: { profile?: Record<string, unknown> }): Promise<UserView> {
    const s = await this.d.settings.get(appId);
    const doc = await this.d.users.require(appId, who.userId);
    if (!patch.profile) return toUserView(doc);
    const profile = checkProfile(s, (doc.profile as Record<string, JsonValue>) ?? {}, patch.profile);
    return toUserView(await this.d.users.update(appId, doc.id, { set: { profile } }));
  }

  /** A new password; every other session ends (whoever knew the old password is signed out). */
  async changePassword(
    ctx: AuthContext,
    who: SignedIn,
    input: { currentPassword?: string; newPassword: string },
  ): Promise<void> {
    const s = await this.d.settings.get(ctx.appId);
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (doc.anonymous)
      throw new HearthError('forbidden', 'Anonymous users have no password: upgrade the account instead.');
    if (typeof doc.passwordHash === 'string') {
      // The current password is the re-authentication. A stolen access token must not become a
      // way to guess it: the check counts against the login lockout.
      await this.d.limits.beginLogin(ctx.appId, String(doc.login), ctx.ip, s);
      if (!input.currentPassword || !(await verifyPassword(doc.passwordHash, input.currentPassword)))
        throw wrongCurrentPassword();
      await this.d.limits.loginSucceeded(ctx.appId, String(doc.login), ctx.ip, s);
    } else {
      // No password yet (magic link, OAuth): setting one needs a recent sign-in, so a stolen
      // access token cannot turn into a permanent password login.
      await assertRecentSignIn(this.d, ctx.appId, who);
    }
    assertPasswordPolicy(s.passwordPolicy, input.newPassword, (doc.email as string | null) ?? null);
    await this.d.users.update(ctx.appId, doc.id, {
      set: { passwordHash: await hashPassword(input.newPassword), passwordChangedAt: this.d.now().toISOString() },
    });
    await this.d.sessions.revokeAll(ctx.appId, doc.id, 'password_changed', who.sessionId);
    await this.d.oneTime.revokeFor(ctx.appId, doc.id, ['reset']);
  }

  async sessions(appId: string, who: SignedIn): Promise<SessionView[]> {
    return this.d.sessions.list(appId, who.userId, who.sessionId);
  }

  async revokeSession(appId: string, who: SignedIn, sessionId: string): Promise<void> {
    await this.d.sessions.revokeOwn(appId, who.userId, sessionId);
  }
}
