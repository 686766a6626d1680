import type { RequestMeta } from '../../principals.js';
import { HearthError } from '../../errors.js';
import type { FilterNode, JsonValue } from '../../lib/filter/types.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { auditMeta } from '../audit/index.js';
import type { AuditLog } from '../audit/index.js';
import { IDENTITIES, ONE_TIME, USERS } from './auth.collections.js';
import type { AuthContext, AuthService, SignIn } from './auth.service.js';
import type { OwnedDocumentsPolicy } from './owned-documents.js';
import type { Sessions, SessionView } from './sessions.js';
import { toUserView, type UsersRepo, type UserView } from './users.repo.js';

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

/** Who acts: an admin (audited under their id) or a secret key (audited as `key:<id>`). */
export interface Actor extends RequestMeta {
  keyId?: string | null;
}

export class UsersService {
  constructor(
    private readonly d: {
      store: DocumentStore;
      users: UsersRepo;
      sessions: Sessions;
      auth: AuthService;
      audit: AuditLog;
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
    if (options.email) {
      const prefix = options.email
        .trim()
        .toLowerCase()
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      conds.push({ op: 'field', path: 'login', conds: [{ op: 'regex', pattern: `^${prefix}`, flags: '' }] });
    }
    if (options.role) conds.push({ op: 'field', path: 'roles', conds: [{ op: 'eq', value: options.role }] });
    if (options.anonymous !== undefined)
      conds.push({ op: 'field', path: 'anonymous', conds: [{ op: 'eq', value: options.anonymous }] });
    const page = await this.d.store.forApp(appId).find(USERS, {
      filter: conds.length ? { op: 'and', children: conds } : { op: 'all' },
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
      const s = await this.d.auth.settings(appId);
      set.profile = this.d.auth.checkProfile(s, (doc.profile as Record<string, JsonValue>) ?? {}, patch.profile);
    }
    const updated = Object.keys(set).length ? await this.d.users.update(appId, userId, { set }) : doc;
    if (patch.disabled) await this.d.sessions.revokeAll(appId, userId, 'user_disabled');
    await this.record(actor, appId, 'user.update', userId, {
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
    const policy = (await this.d.auth.settings(appId)).onUserDelete;
    const documents =
      policy !== 'keep' && this.d.ownedDocuments
        ? await this.d.ownedDocuments(appId, userId, policy, actor.requestId)
        : 0;
    const app = this.d.store.forApp(appId);
    await this.d.sessions.removeAll(appId, userId);
    for (const collection of [ONE_TIME, IDENTITIES]) {
      const page = await app.find(collection, {
        filter: { op: 'field', path: 'userId', conds: [{ op: 'eq', value: userId }] },
        limit: 1000,
      });
      for (const doc of page.items) await app.delete(collection, doc.id).catch(() => undefined);
    }
    await this.d.users.remove(appId, userId);
    await this.record(actor, appId, 'user.delete', userId, { documents: policy, changed: documents });
  }

  async sessions(appId: string, userId: string): Promise<SessionView[]> {
    await this.d.users.require(appId, userId);
    return this.d.sessions.list(appId, userId);
  }

  async revokeSession(appId: string, userId: string, sessionId: string, actor: Actor): Promise<void> {
    await this.d.sessions.revokeOwn(appId, userId, sessionId);
    await this.record(actor, appId, 'user.session.revoke', userId, { sessionId });
  }

  async revokeAll(appId: string, userId: string, actor: Actor): Promise<number> {
    await this.d.users.require(appId, userId);
    const n = await this.d.sessions.revokeAll(appId, userId, 'revoked_by_admin');
    await this.record(actor, appId, 'user.sessions.revoke', userId, { count: n });
    return n;
  }

  /** Signs in as the user. The token carries `imp` (the admin id); the session lasts at most an hour. */
  async impersonate(ctx: AuthContext, userId: string, actor: Actor & { adminId: string }): Promise<SignIn> {
    const doc = await this.d.users.require(ctx.appId, userId);
    if (doc.disabledAt) throw new HearthError('forbidden', 'This account is disabled.', { reason: 'user_disabled' });
    const s = await this.d.auth.settings(ctx.appId);
    const signIn = await this.d.auth.startSession(ctx, s, doc, ['impersonation'], actor.adminId);
    await this.record(actor, ctx.appId, 'user.impersonate', userId, {});
    return signIn;
  }

  async recordSettings(appId: string, fields: string[], actor: Actor, action = 'auth.settings.update'): Promise<void> {
    await this.d.audit.record({
      adminId: actor.adminId ?? null,
      action,
      target: { type: 'app', id: appId },
      details: { fields },
      ...auditMeta(actor),
    });
  }

  private async record(
    actor: Actor,
    appId: string,
    action: string,
    userId: string,
    details: Record<string, JsonValue>,
  ): Promise<void> {
    await this.d.audit.record({
      adminId: actor.adminId ?? null,
      action,
      target: { type: 'user', id: `${appId}/${userId}` },
      details: { appId, ...(actor.keyId ? { keyId: actor.keyId } : {}), ...details },
      ...auditMeta(actor),
    });
  }
}
