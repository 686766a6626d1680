import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { HearthError } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import { readAllArray } from '../../ports/read-all.js';
import { SIGNING_KEYS } from './auth.collections.js';

/**
 * Access-token signing keys per app. Each key has an id (the JWT `kid`) stored in the app's
 * `_signing_keys`; the key material is never stored: it is derived from the server secret with
 * HKDF (info = app id + kid). So a leaked database leaks no signing key, another app's token
 * can never verify here (different derivation), and every replica derives the same keys.
 *
 * Rotation adds a new key and retires the previous ones after a grace period (default: the
 * access-token lifetime, so tokens already issued keep working until they expire).
 */
export interface SigningKeyView {
  kid: string;
  createdAt: string;
  retiresAt: string | null;
  current: boolean;
}

interface KeyRow {
  kid: string;
  createdAt: string;
  retiresAt: string | null;
}

export function deriveSigningKey(serverSecret: string, appId: string, kid: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'hearth:user-jwt:v1', `${appId}:${kid}`, 32));
}

export class SigningKeys {
  private readonly cache = new Map<string, { rows: KeyRow[]; until: number; loadedAt: number }>();
  /** KeyObjects: jsonwebtoken verifies with one in microseconds, with a Buffer ~40× slower. */
  private readonly derived = new Map<string, KeyObject>();

  private readonly store: DocumentStore;
  private readonly serverSecret: string;
  private readonly now: () => Date;
  private readonly cacheMs: number;

  constructor(options: {
    store: DocumentStore;
    /** HEARTH_SECRET: every key is derived from it. */
    serverSecret: string;
    now: () => Date;
    /** How long the key ids are reused before they are read again (default 5 s). */
    cacheMs?: number;
  }) {
    this.store = options.store;
    this.serverSecret = options.serverSecret;
    this.now = options.now;
    this.cacheMs = options.cacheMs ?? 5_000;
  }

  /** The key new tokens are signed with (created on first use). */
  async current(appId: string): Promise<{ kid: string; key: KeyObject }> {
    let rows = await this.rows(appId);
    let active = this.newestActive(rows);
    if (!active) {
      await this.store.forApp(appId).create(SIGNING_KEYS, { id: `k${newId()}`, data: { retiresAt: null } });
      rows = await this.rows(appId, true);
      active = this.newestActive(rows);
      if (!active) throw new HearthError('internal', 'No signing key could be created.');
    }
    return { kid: active.kid, key: this.derive(appId, active.kid) };
  }

  /** The key for a token's `kid`, or null when it is unknown or retired. */
  async verificationKey(appId: string, kid: string): Promise<KeyObject | null> {
    if (!/^k[A-Za-z0-9_-]{1,40}$/.test(kid)) return null;
    let rows = await this.rows(appId);
    let row = rows.find((r) => r.kid === kid);
    if (!row) {
      // A key made by another replica since our last read: look again, at most once a second.
      const hit = this.cache.get(appId);
      if (!hit || this.now().getTime() - hit.loadedAt > 1_000) {
        rows = await this.rows(appId, true);
        row = rows.find((r) => r.kid === kid);
      }
    }
    if (!row || !this.live(row)) return null;
    return this.derive(appId, kid);
  }

  async list(appId: string): Promise<SigningKeyView[]> {
    const rows = await this.rows(appId, true);
    const current = this.newestActive(rows)?.kid;
    return rows.map((r) => ({ ...r, current: r.kid === current }));
  }

  /** A new current key; older keys stop verifying after `graceSeconds`. */
  async rotate(appId: string, graceSeconds: number): Promise<SigningKeyView[]> {
    const app = this.store.forApp(appId);
    const rows = await this.rows(appId, true);
    const created = await app.create(SIGNING_KEYS, { id: `k${newId()}`, data: { retiresAt: null } });
    const retiresAt = new Date(this.now().getTime() + graceSeconds * 1000).toISOString();
    for (const row of rows) {
      if (row.kid === created.id) continue;
      if (row.retiresAt && row.retiresAt <= retiresAt) continue;
      await app.update(SIGNING_KEYS, row.kid, { set: { retiresAt } });
    }
    return this.list(appId);
  }

  private live(row: KeyRow): boolean {
    return !row.retiresAt || row.retiresAt > this.now().toISOString();
  }

  private newestActive(rows: KeyRow[]): KeyRow | undefined {
    return rows
      .filter((r) => !r.retiresAt)
      .sort((a, b) => (a.createdAt === b.createdAt ? (a.kid < b.kid ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1))[0];
  }

  private derive(appId: string, kid: string): KeyObject {
    const k = `${appId}\u0000${kid}`;
    let key = this.derived.get(k);
    if (!key) {
      key = createSecretKey(deriveSigningKey(this.serverSecret, appId, kid));
      if (this.derived.size > 50_000) this.derived.clear();
      this.derived.set(k, key);
    }
    return key;
  }

  private async rows(appId: string, fresh = false): Promise<KeyRow[]> {
    const t = this.now().getTime();
    const hit = this.cache.get(appId);
    if (!fresh && hit && hit.until > t) return hit.rows;
    const docs = await readAllArray(this.store.forApp(appId), SIGNING_KEYS, { sort: [{ path: 'createdAt', dir: 1 }] });
    const rows = docs.map(toRow);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(appId, { rows, until: t + this.cacheMs, loadedAt: t });
    return rows;
  }

  forget(appId: string): void {
    this.cache.delete(appId);
  }
}

function toRow(doc: StoredDocument): KeyRow {
  return { kid: doc.id, createdAt: doc.createdAt, retiresAt: typeof doc.retiresAt === 'string' ? doc.retiresAt : null };
}
