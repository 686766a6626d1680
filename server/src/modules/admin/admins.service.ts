import type { RequestMeta } from '../../principals.js';
import { HearthError } from '../../errors.js';
import { hashPassword, verifyPassword } from '../../lib/passwords.js';
import type { AppStore, StoredDocument } from '../../ports/document-store.js';
import type { AdminTokens, IssuedTokens } from './admin-tokens.js';
import { auditMeta, type AuditLog } from '../audit/index.js';

const ADMINS = 'admins';
const LOCKS = 'locks';

export interface AdminView {
  id: string;
  email: string;
  createdAt: string;
  createdBy: string | null;
}

export interface SignIn extends IssuedTokens {
  user: AdminView;
}

const normaliseEmail = (email: string) => email.trim().toLowerCase();

export class AdminsService {
  private readonly system: AppStore;
  private readonly tokens: AdminTokens;
  private readonly audit: AuditLog;

  constructor(options: { system: AppStore; tokens: AdminTokens; audit: AuditLog }) {
    this.system = options.system;
    this.tokens = options.tokens;
    this.audit = options.audit;
  }

  async init(): Promise<void> {
    await this.system.ensureIndex(ADMINS, {
      kind: 'regular',
      name: 'email_unique',
      fields: [{ path: 'email', dir: 1 }],
      unique: true,
    });
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.system.count(ADMINS)) > 0;
  }

  /**
   * The first admin. Only while none exists: a lock document with a fixed id makes two
   * concurrent setups (or replicas bootstrapping together) produce exactly one admin.
   */
  async setup(input: { email: string; password: string }, meta: RequestMeta): Promise<SignIn> {
    const closed = () => new HearthError('conflict', 'Setup is already done: sign in as an admin instead.');
    if (await this.hasAdmin()) throw closed();
    try {
      await this.system.create(LOCKS, { id: 'first-admin', data: { at: new Date().toISOString() } });
    } catch (e) {
      if (e instanceof HearthError && e.code === 'conflict') throw closed();
      throw e;
    }
    const admin = await this.insert(input.email, input.password, null);
    await this.audit.record({
      adminId: admin.id,
      action: 'admin.setup',
      target: { type: 'admin', id: admin.id },
      ...auditMeta(meta),
    });
    return { user: admin, ...(await this.tokens.startSession(admin, meta)) };
  }

  /** Startup bootstrap from HEARTH_ADMIN_EMAIL / HEARTH_ADMIN_PASSWORD; a no-op once an admin exists. */
  async bootstrap(email: string, password: string): Promise<'created' | 'exists'> {
    if (await this.hasAdmin()) return 'exists';
    try {
      await this.setup({ email, password }, { requestId: 'bootstrap' });
      return 'created';
    } catch (e) {
      if (e instanceof HearthError && e.code === 'conflict') return 'exists';
      throw e;
    }
  }

  async login(input: { email: string; password: string }, meta: RequestMeta): Promise<SignIn> {
    const doc = await this.findByEmail(input.email);
    const ok = await verifyPassword(doc ? String(doc.passwordHash) : undefined, input.password);
    if (!doc || !ok || doc.disabledAt) {
      throw new HearthError('unauthorized', 'The email or password is incorrect.');
    }
    const admin = toView(doc);
    await this.audit.record({
      adminId: admin.id,
      action: 'admin.login',
      target: { type: 'admin', id: admin.id },
      ...auditMeta(meta),
    });
    return { user: admin, ...(await this.tokens.startSession(admin, meta)) };
  }

  async refresh(refreshToken: string): Promise<SignIn> {
    const { adminId, tokens } = await this.tokens.refresh(refreshToken, async (id) => {
      const doc = await this.system.get(ADMINS, id);
      return doc && !doc.disabledAt ? toView(doc) : null;
    });
    const admin = await this.get(adminId);
    return { user: admin, ...tokens };
  }

  async logout(sessionId: string, meta: RequestMeta): Promise<void> {
    await this.tokens.revoke(sessionId);
    await this.audit.record({ adminId: meta.adminId ?? null, action: 'admin.logout', ...auditMeta(meta) });
  }

  async get(id: string): Promise<AdminView> {
    const doc = await this.system.get(ADMINS, id);
    if (!doc) throw new HearthError('not_found', 'No such admin.');
    return toView(doc);
  }

  /** For the bearer strategy: the admin behind a token, if it still exists and is enabled. */
  async findActive(id: string): Promise<AdminView | null> {
    const doc = await this.system.get(ADMINS, id);
    return doc && !doc.disabledAt ? toView(doc) : null;
  }

  async list(options: { limit: number; after?: string }): Promise<{ items: AdminView[]; next: string | null }> {
    const page = await this.system.find(ADMINS, {
      sort: [{ path: 'createdAt', dir: 1 }],
      limit: options.limit,
      ...(options.after ? { after: options.after } : {}),
    });
    return { items: page.items.map(toView), next: page.next };
  }

  /** Another admin, created by an admin (an invitation with an initial password). */
  async create(input: { email: string; password: string }, meta: RequestMeta): Promise<AdminView> {
    const admin = await this.insert(input.email, input.password, meta.adminId ?? null);
    await this.audit.record({
      adminId: meta.adminId ?? null,
      action: 'admin.create',
      target: { type: 'admin', id: admin.id },
      details: { email: admin.email },
      ...auditMeta(meta),
    });
    return admin;
  }

  async remove(id: string, meta: RequestMeta): Promise<void> {
    if (id === meta.adminId) throw new HearthError('conflict', 'You cannot delete yourself.');
    await this.system.delete(ADMINS, id);
    await this.audit.record({
      adminId: meta.adminId ?? null,
      action: 'admin.delete',
      target: { type: 'admin', id },
      ...auditMeta(meta),
    });
  }

  private async insert(email: string, password: string, createdBy: string | null): Promise<AdminView> {
    try {
      const doc = await this.system.create(ADMINS, {
        data: { email: normaliseEmail(email), passwordHash: await hashPassword(password), createdBy, disabledAt: null },
      });
      return toView(doc);
    } catch (e) {
      if (e instanceof HearthError && e.code === 'conflict') {
        throw new HearthError('conflict', 'An admin with this email already exists.', { fields: ['email'] });
      }
      throw e;
    }
  }

  private async findByEmail(email: string): Promise<StoredDocument | undefined> {
    const page = await this.system.find(ADMINS, {
      filter: { op: 'field', path: 'email', conds: [{ op: 'eq', value: normaliseEmail(email) }] },
      limit: 1,
    });
    return page.items[0];
  }
}

function toView(doc: StoredDocument): AdminView {
  return {
    id: doc.id,
    email: String(doc.email),
    createdAt: doc.createdAt,
    createdBy: (doc.createdBy as string | null) ?? null,
  };
}
