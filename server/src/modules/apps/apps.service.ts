import { HearthError, isError } from '../../errors.js';
import type { JsonValue } from '../../lib/filter/types.js';
import type { AppStore, DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { AppSettings, RequestMeta } from '../../principals.js';
import { auditMeta, type AuditLog } from '../audit/index.js';
import type { KeysService } from './keys.service.js';

const APPS = 'apps';

export interface AppView {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  settings: AppSettings;
}

export const DEFAULT_SETTINGS: AppSettings = { corsOrigins: ['*'] };

export class AppsService {
  private readonly cache = new Map<string, { app: AppView | null; until: number }>();
  private readonly removalHooks: Array<(appId: string) => Promise<void>> = [];

  private readonly store: DocumentStore;
  private readonly system: AppStore;
  private readonly keys: KeysService;
  private readonly audit: AuditLog;
  private readonly now: () => Date;

  constructor(options: {
    store: DocumentStore;
    system: AppStore;
    keys: KeysService;
    audit: AuditLog;
    now: () => Date;
  }) {
    this.store = options.store;
    this.system = options.system;
    this.keys = options.keys;
    this.audit = options.audit;
    this.now = options.now;
  }

  /** A new app with one public and one secret key; the only time the secret is shown. */
  async create(
    input: { name: string; settings?: Partial<AppSettings> },
    meta: RequestMeta,
  ): Promise<AppView & { keys: { public: string; secret: string } }> {
    const doc = await this.system.create(APPS, {
      data: {
        name: input.name,
        settings: { ...DEFAULT_SETTINGS, ...input.settings } as unknown as JsonValue,
        createdBy: meta.adminId ?? null,
      },
    });
    const pub = await this.keys.create(doc.id, { kind: 'public' }, meta);
    const sec = await this.keys.create(doc.id, { kind: 'secret' }, meta);
    await this.audit.record({
      adminId: meta.adminId ?? null,
      action: 'app.create',
      target: { type: 'app', id: doc.id },
      details: { name: input.name },
      ...auditMeta(meta),
    });
    return { ...toView(doc), keys: { public: pub.key, secret: sec.key } };
  }

  async list(options: { limit: number; after?: string }): Promise<{ items: AppView[]; next: string | null }> {
    const page = await this.system.find(APPS, {
      sort: [{ path: 'createdAt', dir: 1 }],
      limit: options.limit,
      ...(options.after ? { after: options.after } : {}),
    });
    return { items: page.items.map(toView), next: page.next };
  }

  async get(id: string): Promise<AppView> {
    const app = await this.find(id);
    if (!app) throw new HearthError('not_found', 'No such app.');
    return app;
  }

  /** Cached lookup for the request path (CORS, key checks); null when the app does not exist. */
  async find(id: string): Promise<AppView | null> {
    const nowMs = this.now().getTime();
    const hit = this.cache.get(id);
    if (hit && hit.until > nowMs) return hit.app;
    const doc = await this.system.get(APPS, id).catch((e: unknown) => {
      if (isError(e, 'invalid_request')) return null;
      throw e;
    });
    const app = doc ? toView(doc) : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { app, until: nowMs + 5_000 });
    return app;
  }

  async update(
    id: string,
    patch: { name?: string; settings?: Partial<AppSettings> },
    meta: RequestMeta,
  ): Promise<AppView> {
    const current = await this.get(id);
    const doc = await this.system.update(APPS, id, {
      set: {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.settings ? { settings: { ...current.settings, ...patch.settings } as unknown as JsonValue } : {}),
      },
    });
    this.cache.delete(id);
    await this.audit.record({
      adminId: meta.adminId ?? null,
      action: 'app.update',
      target: { type: 'app', id },
      details: patch as Record<string, JsonValue>,
      ...auditMeta(meta),
    });
    return toView(doc);
  }

  /** Other modules keep per-app state in the system store (schemas…); they clean it up here. */
  onRemove(hook: (appId: string) => Promise<void>): void {
    this.removalHooks.push(hook);
  }

  /** Deletes the app, its keys, its modules' state and all of its data. */
  async remove(id: string, meta: RequestMeta): Promise<void> {
    await this.get(id);
    await this.keys.removeAllForApp(id);
    for (const hook of this.removalHooks) await hook(id);
    await this.store.forApp(id).dropApp();
    await this.system.delete(APPS, id);
    this.cache.delete(id);
    await this.audit.record({
      adminId: meta.adminId ?? null,
      action: 'app.delete',
      target: { type: 'app', id },
      ...auditMeta(meta),
    });
  }
}

function toView(doc: StoredDocument): AppView {
  return {
    id: doc.id,
    name: String(doc.name),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    settings: { ...DEFAULT_SETTINGS, ...(doc.settings as Partial<AppSettings>) },
  };
}
