import { invalidRequest, isError, reasonError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import { sha256 } from '../../lib/hash.js';
import { ThrottledSweep } from '../../lib/throttled-sweep.js';
import type { AppStore } from '../../ports/document-store.js';

/**
 * `Idempotency-Key` for POST/PATCH: the first successful response per (app, caller, key) is kept
 * for 24 hours in the system store; a retry with the same key and the same request gets it back
 * (with `Idempotent-Replayed: true`) without running again; the same key with a different request
 * is `conflict`. The caller is the signed-in user, else the API key, else the admin.
 *
 * A record is reserved (state `pending`) before the work runs, so two concurrent retries cannot
 * both run: the second gets `conflict` (reason `in_progress`) and may retry. Failed requests
 * release their key (nothing was written: every write is atomic), so fixing and resending works.
 * A pending record older than PENDING_TIMEOUT_MS (a crashed replica) is taken over.
 *
 * Expired records are swept in the background at most once a minute per process, started by the
 * requests that make them; a failed sweep is reported through `onSweepError` and tried again at
 * the next chance.
 */
const COLLECTION = 'idempotency';
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
const PENDING_TIMEOUT_MS = 60_000;
const SWEEP_BATCH = 500;
/** Records of every app live in one system collection, so one sweep serves them all. */
const ALL_APPS = '*';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyScope {
  appId: string;
  /** `user:<id>`, `key:<id>` or `admin:<id>`. */
  principal: string;
  /** The Idempotency-Key header. */
  key: string;
  /** What identifies the request: method, path, body (hashed). */
  request: string;
}

/** A response as the store keeps and replays it: plain data, nothing of the HTTP layer. */
export interface StoredResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface IdempotencyStoreOptions {
  /** The system store the records live in. */
  system: AppStore;
  now: () => Date;
  /** How long a completed response is replayed (default 24 hours). */
  ttlMs?: number;
  /** Told about a background sweep that failed (it is retried at the next chance). */
  onSweepError: (err: unknown) => void;
}

export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!KEY_PATTERN.test(header)) {
    throw invalidRequest('Idempotency-Key must be 1 to 255 visible ASCII characters.', { header: 'Idempotency-Key' });
  }
  return header;
}

const inProgress = () =>
  reasonError('conflict', 'in_progress', 'A request with this Idempotency-Key is still in progress; retry shortly.');

export class IdempotencyStore {
  private readonly system: AppStore;
  private readonly now: () => Date;
  private readonly ttlMs: number;
  private readonly sweeper: ThrottledSweep;

  constructor(options: IdempotencyStoreOptions) {
    this.system = options.system;
    this.now = options.now;
    this.ttlMs = options.ttlMs ?? IDEMPOTENCY_TTL_MS;
    this.sweeper = new ThrottledSweep(() => this.sweep(), options.now, options.onSweepError);
  }

  async init(): Promise<void> {
    await this.system.ensureIndex(COLLECTION, {
      kind: 'regular',
      name: 'by_expiry',
      fields: [{ path: 'expiresAt', dir: 1 }],
    });
  }

  async run(scope: IdempotencyScope, work: () => Promise<StoredResponse>): Promise<StoredResponse> {
    const id = sha256(`${scope.appId}\n${scope.principal}\n${scope.key}`);
    const fingerprint = sha256(scope.request);
    this.sweeper.maybe(ALL_APPS);
    for (let attempt = 0; attempt < 3; attempt++) {
      const nowMs = this.now().getTime();
      const existing = await this.system.get(COLLECTION, id);
      if (existing) {
        const expired = String(existing.expiresAt) <= new Date(nowMs).toISOString();
        const abandoned = existing.state === 'pending' && Date.parse(existing.updatedAt) + PENDING_TIMEOUT_MS < nowMs;
        if (expired || abandoned) {
          await this.system.delete(COLLECTION, id, { expectedVersion: existing.version }).catch(ignoreMissingOrRace);
          continue;
        }
        if (existing.fingerprint !== fingerprint) {
          throw reasonError(
            'conflict',
            'idempotency_key_reused',
            'This Idempotency-Key was already used with a different request.',
          );
        }
        if (existing.state === 'pending') throw inProgress();
        return {
          status: Number(existing.status),
          body: existing.body === null ? undefined : JSON.parse(String(existing.body)),
          headers: { ...((existing.headers as Record<string, string> | null) ?? {}), 'Idempotent-Replayed': 'true' },
        };
      }
      try {
        await this.system.create(COLLECTION, {
          id,
          data: {
            appId: scope.appId,
            state: 'pending',
            fingerprint,
            status: null,
            body: null,
            headers: null,
            expiresAt: new Date(nowMs + this.ttlMs).toISOString(),
          },
        });
      } catch (e) {
        if (isError(e, 'conflict')) continue; // a concurrent request reserved it
        throw e;
      }
      let result: StoredResponse;
      try {
        result = await work();
      } catch (e) {
        await this.system.delete(COLLECTION, id).catch(ignoreMissingOrRace);
        throw e;
      }
      if (result.status >= 200 && result.status < 300) {
        await this.system.update(COLLECTION, id, {
          set: {
            state: 'done',
            status: result.status,
            body: result.body === undefined ? null : JSON.stringify(result.body),
            headers: result.headers ?? {},
          },
        });
      } else {
        await this.system.delete(COLLECTION, id).catch(ignoreMissingOrRace);
      }
      return result;
    }
    throw inProgress();
  }

  /** Deletes up to SWEEP_BATCH expired records now; returns how many it found. */
  async sweep(): Promise<number> {
    const expired = where.lte('expiresAt', this.now().toISOString());
    const page = await this.system.find(COLLECTION, { filter: expired, limit: SWEEP_BATCH });
    // Delete only while still expired: a request may have replaced the record meanwhile with a
    // fresh one under the same id (same version number, too), which must survive.
    for (const doc of page.items) {
      await this.system.delete(COLLECTION, doc.id, { where: expired }).catch(ignoreMissingOrRace);
    }
    return page.items.length;
  }
}

function ignoreMissingOrRace(e: unknown): void {
  if (isError(e, 'not_found') || isError(e, 'conflict')) return;
  throw e;
}
