import { ThrottledSweep } from '../../lib/throttled-sweep.js';
import { HearthError } from '../../errors.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { sha256 } from '../../lib/hash.js';
import { randomToken } from '../../lib/ids.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { ONE_TIME } from './auth.collections.js';

/**
 * Single-use, expiring tokens (email verification, password reset, magic link, MFA challenge,
 * OAuth state and result codes). The token itself is only ever in the mail or the client; the
 * store keeps its SHA-256 as the document id, so a lookup is one read and a database leak gives
 * nothing usable. Consuming deletes the document: of two concurrent uses, exactly one succeeds.
 */
export type OneTimePurpose = 'verify' | 'reset' | 'magic' | 'mfa' | 'oauth-state' | 'oauth-code';

export interface OneTimeRecord {
  purpose: OneTimePurpose;
  userId: string | null;
  email: string | null;
  data: Record<string, JsonValue>;
}

export class OneTimeTokens {
  private readonly sweeper: ThrottledSweep;

  constructor(
    private readonly store: DocumentStore,
    private readonly now: () => Date,
    onSweepError: (err: unknown) => void = () => {},
  ) {
    this.sweeper = new ThrottledSweep((appId) => this.sweep(appId), now, onSweepError);
  }

  /**
   * Deletes expired tokens of an app (at most 500 per call). Issuing runs it at most once a
   * minute per app in the background, so abandoned links and flows do not pile up.
   */
  async sweep(appId: string): Promise<number> {
    const app = this.store.forApp(appId);
    const page = await app.find(ONE_TIME, {
      filter: { op: 'field', path: 'expiresAt', conds: [{ op: 'lte', value: this.now().toISOString() }] },
      limit: 500,
    });
    for (const doc of page.items) await app.delete(ONE_TIME, doc.id).catch(() => undefined);
    return page.items.length;
  }

  private maybeSweep(appId: string): void {
    this.sweeper.maybe(appId);
  }

  async issue(
    appId: string,
    record: Partial<OneTimeRecord> & { purpose: OneTimePurpose },
    ttlSeconds: number,
  ): Promise<string> {
    this.maybeSweep(appId);
    const token = randomToken(32);
    await this.store.forApp(appId).create(ONE_TIME, {
      id: sha256(token),
      data: {
        purpose: record.purpose,
        userId: record.userId ?? null,
        email: record.email ?? null,
        data: record.data ?? {},
        expiresAt: new Date(this.now().getTime() + ttlSeconds * 1000).toISOString(),
      },
    });
    return token;
  }

  /**
   * Uses a token up. Unknown, already used, expired or issued for another purpose: `unauthorized`
   * (one answer for all, so a caller learns nothing about which).
   */
  async consume(appId: string, token: string, purpose: OneTimePurpose): Promise<OneTimeRecord> {
    const invalid = new HearthError('unauthorized', 'The link or code is invalid or has expired.');
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw invalid;
    const app = this.store.forApp(appId);
    const id = sha256(token);
    const doc = await app.get(ONE_TIME, id);
    if (!doc || doc.purpose !== purpose) throw invalid;
    try {
      await app.delete(ONE_TIME, id, { expectedVersion: doc.version });
    } catch (e) {
      if (e instanceof HearthError && (e.code === 'not_found' || e.code === 'conflict')) throw invalid;
      throw e;
    }
    if (String(doc.expiresAt) <= this.now().toISOString()) throw invalid;
    return {
      purpose,
      userId: (doc.userId as string | null) ?? null,
      email: (doc.email as string | null) ?? null,
      data: (doc.data as Record<string, JsonValue>) ?? {},
    };
  }

  /** Reads a live token without using it up (an MFA challenge survives a mistyped code). */
  async peek(appId: string, token: string, purpose: OneTimePurpose): Promise<OneTimeRecord> {
    const invalid = new HearthError('unauthorized', 'The link or code is invalid or has expired.');
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw invalid;
    const doc = await this.store.forApp(appId).get(ONE_TIME, sha256(token));
    if (!doc || doc.purpose !== purpose || String(doc.expiresAt) <= this.now().toISOString()) throw invalid;
    return {
      purpose,
      userId: (doc.userId as string | null) ?? null,
      email: (doc.email as string | null) ?? null,
      data: (doc.data as Record<string, JsonValue>) ?? {},
    };
  }

  /** Drops a user's outstanding tokens of a purpose (a new reset link voids the older ones). */
  async revokeFor(appId: string, userId: string, purposes: OneTimePurpose[]): Promise<void> {
    const app = this.store.forApp(appId);
    const page = await app.find(ONE_TIME, {
      filter: {
        op: 'and',
        children: [
          { op: 'field', path: 'userId', conds: [{ op: 'eq', value: userId }] },
          { op: 'field', path: 'purpose', conds: [{ op: 'in', values: purposes }] },
        ],
      },
      limit: 1000,
    });
    for (const doc of page.items) await app.delete(ONE_TIME, doc.id).catch(() => undefined);
  }
}
