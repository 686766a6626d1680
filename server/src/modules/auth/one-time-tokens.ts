import { errors, isError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { sha256 } from '../../lib/hash.js';
import { randomToken } from '../../lib/ids.js';
import { ThrottledSweep } from '../../lib/throttled-sweep.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import { ONE_TIME } from './auth.collections.js';
import { deleteMatching } from './delete-matching.js';

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

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,100}$/;

export class OneTimeTokens {
  private readonly sweeper: ThrottledSweep;
  private readonly store: DocumentStore;
  private readonly now: () => Date;

  constructor(options: {
    store: DocumentStore;
    now: () => Date;
    /** A background sweep failed (logged by the caller). */
    onSweepError?: (err: unknown) => void;
  }) {
    this.store = options.store;
    this.now = options.now;
    this.sweeper = new ThrottledSweep((appId) => this.sweep(appId), options.now, options.onSweepError ?? (() => {}));
  }

  /**
   * Deletes expired tokens of an app (at most 500 per call). Issuing runs it at most once a
   * minute per app in the background, so abandoned links and flows do not pile up.
   */
  sweep(appId: string): Promise<number> {
    return deleteMatching(this.store.forApp(appId), ONE_TIME, where.lte('expiresAt', this.now().toISOString()), 500);
  }

  async issue(
    appId: string,
    record: Partial<OneTimeRecord> & { purpose: OneTimePurpose },
    ttlSeconds: number,
  ): Promise<string> {
    this.sweeper.maybe(appId);
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
   * `invalid_link` (one answer for all, so a caller learns nothing about which).
   */
  async consume(appId: string, token: string, purpose: OneTimePurpose): Promise<OneTimeRecord> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw errors.invalidLink();
    const app = this.store.forApp(appId);
    const id = sha256(token);
    const doc = await app.get(ONE_TIME, id);
    if (!doc || doc.purpose !== purpose) throw errors.invalidLink();
    try {
      await app.delete(ONE_TIME, id, { expectedVersion: doc.version });
    } catch (e) {
      if (isError(e, 'not_found') || isError(e, 'conflict')) throw errors.invalidLink();
      throw e;
    }
    if (String(doc.expiresAt) <= this.now().toISOString()) throw errors.invalidLink();
    return toRecord(purpose, doc);
  }

  /** Reads a live token without using it up (an MFA challenge survives a mistyped code). */
  async peek(appId: string, token: string, purpose: OneTimePurpose): Promise<OneTimeRecord> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw errors.invalidLink();
    const doc = await this.store.forApp(appId).get(ONE_TIME, sha256(token));
    if (!doc || doc.purpose !== purpose || String(doc.expiresAt) <= this.now().toISOString())
      throw errors.invalidLink();
    return toRecord(purpose, doc);
  }

  /** Drops a user's outstanding tokens of these purposes (a new reset link voids the older ones). */
  async revokeFor(appId: string, userId: string, purposes: OneTimePurpose[]): Promise<void> {
    await deleteMatching(
      this.store.forApp(appId),
      ONE_TIME,
      where.and(where.eq('userId', userId), where.in('purpose', purposes)),
    );
  }

  /** Drops every outstanding token of a user (account deletion). */
  async removeAll(appId: string, userId: string): Promise<void> {
    await deleteMatching(this.store.forApp(appId), ONE_TIME, where.eq('userId', userId));
  }
}

function toRecord(purpose: OneTimePurpose, doc: StoredDocument): OneTimeRecord {
  return {
    purpose,
    userId: (doc.userId as string | null) ?? null,
    email: (doc.email as string | null) ?? null,
    data: (doc.data as Record<string, JsonValue>) ?? {},
  };
}
