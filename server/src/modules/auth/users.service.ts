import { errors } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { FilterNode, JsonValue } from '../../lib/filter/types.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { USERS } from './auth.collections.js';
import type { Actor, AuthAudit } from './auth-audit.js';
import type { AuthSettingsService } from './auth.settings.js';
import type { AuthContext, SignIn } from './auth.types.js';
import type { OneTimeTokens } from './one-time-tokens.js';
import type { OwnedDocumentsPolicy } from './owned-documents.js';
import { checkProfile } from './profile-fields.js';
import type { SessionIssuer } from './session-issuer.js';
import type { Sessions, SessionView } from './sessions.js';
import { toUserView, type UsersRepo, type UserView } from './users.repo.js';

export type { Actor } from './auth-audit.js';

/**
 * Managing an app's users with admin or secret-key power: list and search, roles, disable,
 * verify, delete (sessions and links go with the account), sessions, and impersonation (a
 * session marked with the admin's id, short-lived, audited).
 */
export interface UserPatch {
  roles?: string[];
  disabled?: boolean;
  emailVerified?: boolean;
  profile?: Record<string, unknown>;
}

export class UsersService {
  constructor(
    private readonly d: {
      store: DocumentStore;
      users: UsersRepo;
      settings: AuthSettingsService;
      sessions: Sessions;
      oneTime: OneTimeTokens;
      issuer: SessionIssuer;
      audit: AuthAudit;
      /** Applies the app's `onUserDelete` policy; returns how many documents changed. */
      ownedDocuments?: (
        appId: string,
        userId: string,
        policy: OwnedDocumentsPolicy,
        requestId?: string,
      ) => Promise<number>;
    },
  ) {}

  async list(
    appId: string,
    options: { limit: number; after?: string; email?: string; role?: string; anonymous?: boolean },
  ): Promise<{ items: UserView[]; next: string | null }> {
    const conds: FilterNode[] = [];
    if (options.email) conds.push(where.startsWith('login', options.email.trim().toLowerCase()));
    if (options.role) conds.push(where.eq('roles', options.role));
    if (options.anonymous !== undefined) conds.push(where.eq('anonymous', options.anonymous));
    const page = await this.d.store.forApp(appId).find(USERS, {
      filter: where.and(...conds),
      sort: [{ path: 'createdAt', dir: 1 }],
      limit: options.limit,
      ...(options.after ? { after: options.after } : {}),
    });
    return { items: page.items.map(toUserView), next: page.next };
  }

  async get(appId: string, userId: string): Promise<UserView> {
    return toUserView(await this.d.users.require(appId, userId));
  }

  async update(appId: string, userId: string, patch: UserPatch, actor: Actor): Promise<UserView> {
    const doc = await this.d.users.require(appId, userId);
    const set: Record<string, JsonValue> = {};
    if (patch.roles) set.roles = [...new Set(patch.roles)];
    if (patch.emailVerified !== undefined) set.emailVerified = patch.emailVerified;
    if (patch.disabled !== undefined)
      set.disabledAt = patch.disabled ? ((doc.disabledAt as string | null) ?? new Date().toISOString()) : null;
    if (patch.profile) {
      const s = await this.d.settings.get(appId);
      set.profile = checkProfile(s, (doc.profile as Record<string, JsonValue>) ?? {}, patch.profile);
    }
    const updated = Object.keys(set).length ? await this.d.users.update(appId, userId, { set }) : doc;
    if (patch.disabled) await this.d.sessions.revokeAll(appId, userId, 'user_disabled');
    await this.d.audit.userAction(actor, appId, 'user.update', userId, {
      fields: Object.keys(patch),
      ...(patch.roles ? { roles: patch.roles } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
    });
    return toUserView(updated);
  }

  /**
   * Deletes the account, its sessions, pending links and linked identities; its documents are
   * kept, unowned or deleted as the app's `onUserDelete` says.
   */
  async remove(appId: string, userId: string, actor: Actor): Promise<void> {
    await this.d.users.require(appId, userId);
    const policy = (await this.d.settings.get(appId)).onUserDelete;
    const documents =
      policy !== 'keep' && this.d.ownedDocuments
        ? await this.d.ownedDocuments(appId, userId, policy, actor.requestId)
        : 0;
    await this.d.sessions.removeAll(appId, userId);
    await this.d.oneTime.removeAll(appId, userId);
    await this.d.users.dropIdentities(appId, userId);
    await this.d.users.remove(appId, userId);
    await this.d.audit.userAction(actor, appId, 'user.delete', userId, { documents: policy, changed: documents });
  }

  async sessions(appId: string, userId: string): Promise<SessionView[]> {
    await this.d.users.require(appId, userId);
    return this.d.sessions.list(appId, userId);
  }

  async revokeSession(appId: string, userId: string, sessionId: string, actor: Actor): Promise<void> {
    await this.d.sessions.revokeOwn(appId, userId, sessionId);
    await this.d.audit.userAction(actor, appId, 'user.session.revoke', userId, { sessionId });
  }

  async revokeAll(appId: string, userId: string, actor: Actor): Promise<number> {
    await this.d.users.require(appId, userId);
    const n = await this.d.sessions.revokeAll(appId, userId, 'revoked_by_admin');
    await this.d.audit.userAction(actor, appId, 'user.sessions.revoke', userId, { count: n });
    return n;
  }

  /** Signs in as the user. The token carries `imp` (the admin id); the session lasts at most an hour. */
  async impersonate(ctx: AuthContext, userId: string, actor: Actor & { adminId: string }): Promise<SignIn> {
    const doc = await this.d.users.require(ctx.appId, userId);
    if (doc.disabledAt) throw errors.userDisabled();
    const s = await this.d.settings.get(ctx.appId);
    const signIn = await this.d.issuer.startImpersonation(ctx, s, doc, actor.adminId);
    await this.d.audit.userAction(actor, ctx.appId, 'user.impersonate', userId, {});
    return signIn;
  }
}
