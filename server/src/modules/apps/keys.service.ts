import { HearthError } from '../../errors.js';
import { sha256 } from '../../lib/hash.js';
import { randomToken } from '../../lib/ids.js';
import { where } from '../../lib/filter/build.js';
import type { AppStore, StoredDocument } from '../../ports/document-store.js';
import { readAllArray } from '../../ports/read-all.js';
import type { RequestMeta } from '../../principals.js';
import { auditMeta, type AuditLog } from '../audit/index.js';

/**
 * App API keys. `pk_…` (public: shipped in apps, always subject to rules) and `sk_…` (secret:
 * servers only, bypasses rules). Only a SHA-256 of the key is stored (keys are 192-bit random,
 * so a fast hash is enough); the key itself is shown once, when created. Keys can carry scopes,
 * expire, be revoked, and be rotated with a grace period for the old one.
 */
export type KeyKind = 'public' | 'secret';

export interface KeyView {
  id: string;
  appId: string;
  kind: KeyKind;
  name: string;
  /** The first characters of the key, to recognise it in lists. */
  prefix: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface ResolvedKey {
  key: KeyView;
}

const KEYS = 'keys';
const CACHE_TTL_MS = 10_000;

export class KeysService {
  private readonly cache = new Map<string, { key: KeyView | null; until: number; expiresMs: number }>();

  private readonly system: AppStore;
  private readonly audit: AuditLog;
  private readonly now: () => Date;

  constructor(options: { system: AppStore; audit: AuditLog; now: () => Date }) {
    this.system = options.system;
    this.audit = options.audit;
    this.now = options.now;
  }

  async init(): Promise<void> {
    await this.system.ensureIndex(KEYS, {
      kind: 'regular',
      name: 'hash_unique',
      fields: [{ path: 'hash', dir: 1 }],
      unique: true,
    });
    await this.system.ensureIndex(KEYS, {
      kind: 'regular',
      name: 'by_app',
      fields: [
        { path: 'appId', dir: 1 },
        { path: 'createdAt', dir: 1 },
      ],
    });
  }

  async create(
    appId: string,
    input: { kind: KeyKind; name?: string; scopes?: string[]; expiresAt?: string | null },
    meta: RequestMeta,
  ): Promise<KeyView & { key: string }> {
    if (input.expiresAt && Date.parse(input.expiresAt) <= this.now().getTime()) {
      // A key that is dead on arrival is a mistake (a wrong date or time zone), not a request.
      throw new HearthError('validation_failed', undefined, { fields: { expiresAt: 'must be in the future' } });
    }
    const raw = `${input.kind === 'public' ? 'pk' : 'sk'}_${randomToken(24)}`;
    const doc = await this.system.create(KEYS, {
      data: {
        appId,
        kind: input.kind,
        name: input.name ?? (input.kind === 'public' ? 'Public key' : 'Secret key'),
        prefix: raw.slice(0, 10),
        hash: sha256(raw),
        scopes: input.scopes ?? [],
        expiresAt: input.expiresAt ?? null,
        revokedAt: null,
        lastUsedAt: null,
      },
    });
    await this.audit.record({
      adminId: meta.adminId ?? null,
      action: 'key.create',
      target: { type: 'key', id: doc.id },
      details: { appId, kind: input.kind, scopes: input.scopes ?? [] },
      ...auditMeta(meta),
    });
    return { ...toView(doc), key: raw };
  }

  async list(appId: string): Promise<KeyView[]> {
    const docs = await readAllArray(this.system, KEYS, {
      filter: where.eq('appId', appId),
      sort: [{ path: 'createdAt', dir: 1 }],
      pageSize: 200,
    });
    return docs.map(toView);
  }

  async get(appId: string, keyId: string): Promise<KeyView> {
    const doc = await this.system.get(KEYS, keyId);
    if (!doc || doc.appId !== appId) throw new HearthError('not_found', 'No such key.');
    return toView(doc);
  }

  async revoke(appId: string, keyId: string, meta: RequestMeta, at?: Date): Promise<KeyView> {
    const key = await this.get(appId, keyId);
    if (key.revokedAt) return key;
    const revokedAt = (at ?? this.now()).toISOString();
    const doc = await this.system.update(KEYS, keyId, { set: at ? { expiresAt: revokedAt } : { revokedAt } });
    this.cache.clear();
    await this.audit.record({
      adminId: meta.adminId ?? null,
      action: 'key.revoke',
      target: { type: 'key', id: keyId },
      details: { appId },
      ...auditMeta(meta),
    });
    return toView(doc);
  }

  /** A new key like the old one; the old one stops working now, or after `graceSeconds`. */
  async rotate(
    appId: string,
    keyId: string,
    graceSeconds: number,
    meta: RequestMeta,
  ): Promise<KeyView & { key: string }> {
    const old = await this.get(appId, keyId);
    if (old.revokedAt) throw new HearthError('conflict', 'The key is already revoked.');
    if (old.expiresAt && Date.parse(old.expiresAt) <= this.now().getTime())
      throw new HearthError('conflict', 'The key has expired; create a new one.');
    const fresh = await this.create(
      appId,
      { kind: old.kind, name: old.name, scopes: old.scopes, expiresAt: old.expiresAt },
      meta,
    );
    await this.revoke(
      appId,
      keyId,
      meta,
      graceSeconds > 0 ? new Date(this.now().getTime() + graceSeconds * 1000) : undefined,
    );
    return fresh;
  }

  async removeAllForApp(appId: string): Promise<void> {
    for (const key of await this.list(appId)) await this.system.delete(KEYS, key.id);
    this.cache.clear();
  }

  /**
   * The key behind an `X-Hearth-Key` value, if it is valid now. Cached for a few seconds per
   * process (a revocation on another replica takes effect within CACHE_TTL_MS). The cache is keyed
   * by the presented text, so a request with a cached key skips hashing it (the store only ever
   * holds the hash; the text lives in this process's memory as it does in each request).
   */
  async resolve(raw: string): Promise<KeyView | null> {
    const nowMs = this.now().getTime();
    let entry = this.cache.get(raw);
    if (!entry || entry.until < nowMs) {
      if (!/^(pk|sk)_[A-Za-z0-9_-]{16,64}$/.test(raw)) return null;
      const page = await this.system.find(KEYS, {
        filter: { op: 'field', path: 'hash', conds: [{ op: 'eq', value: sha256(raw) }] },
        limit: 1,
      });
      const doc = page.items[0];
      const key = doc ? toView(doc) : null;
      entry = { key, until: nowMs + CACHE_TTL_MS, expiresMs: key?.expiresAt ? Date.parse(key.expiresAt) : Infinity };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(raw, entry);
    }
    const key = entry.key;
    if (!key || key.revokedAt) return null;
    if (entry.expiresMs <= nowMs) return null;
    return key;
  }
}

function toView(doc: StoredDocument): KeyView {
  return {
    id: doc.id,
    appId: String(doc.appId),
    kind: doc.kind as KeyKind,
    name: String(doc.name),
    prefix: String(doc.prefix),
    scopes: (doc.scopes as string[]) ?? [],
    createdAt: doc.createdAt,
    expiresAt: (doc.expiresAt as string | null) ?? null,
    revokedAt: (doc.revokedAt as string | null) ?? null,
    lastUsedAt: (doc.lastUsedAt as string | null) ?? null,
  };
}
