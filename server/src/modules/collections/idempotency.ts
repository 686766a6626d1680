import type { FilterNode } from '../../lib/filter/types.js';
import { HearthError, invalidRequest } from '../../errors.js';
import { sha256 } from '../../lib/hash.js';
import type { HandlerResult } from '../../http/route.js';
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
 */
const COLLECTION = 'idempotency';
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
const PENDING_TIMEOUT_MS = 60_000;
const SWEEP_EVERY_MS = 60_000;
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

export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!KEY_PATTERN.test(header)) {
    throw invalidRequest('Idempotency-Key must be 1 to 255 visible ASCII characters.', { header: 'Idempotency-Key' });
  }
  return header;
}

export class IdempotencyStore {
  private lastSweep = 0;

  constructor(
    private readonly system: AppStore,
    private readonly now: () => Date,
    private readonly ttlMs = IDEMPOTENCY_TTL_MS,
  ) {}

  async init(): Promise<void> {
    await this.system.ensureIndex(COLLECTION, {
      kind: 'regular',
      name: 'by_expiry',
      fields: [{ path: 'expiresAt', dir: 1 }],
    });
  }

  async run(scope: IdempotencyScope, work: () => Promise<HandlerResult>): Promise<HandlerResult> {
    const id = sha256(`${scope.appId}\n${scope.principal}\n${scope.key}`);
    const fingerprint = sha256(scope.request);
    void this.sweep();
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
          throw new HearthError('conflict', 'This Idempotency-Key was already used with a different request.', {
            reason: 'idempotency_key_reused',
          });
        }
        if (existing.state === 'pending') {
          throw new HearthError(
            'conflict',
            'A request with this Idempotency-Key is still in progress; retry shortly.',
            {
              reason: 'in_progress',
            },
          );
        }
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
        if (e instanceof HearthError && e.code === 'conflict') continue; // a concurrent request reserved it
        throw e;
      }
      let result: HandlerResult;
      try {
        result = await work();
      } catch (e) {
        await this.system.delete(COLLECTION, id).catch(ignoreMissingOrRace);
        throw e;
      }
      const status = result.status ?? 200;
      if (status >= 200 && status < 300) {
        await this.system.update(COLLECTION, id, {
          set: {
            state: 'done',
            status,
            body: result.body === undefined ? null : JSON.stringify(result.body),
            headers: result.headers ?? {},
          },
        });
      } else {
        await this.system.delete(COLLECTION, id).catch(ignoreMissingOrRace);
      }
      return result;
    }
    throw new HearthError('conflict', 'A request with this Idempotency-Key is still in progress; retry shortly.', {
      reason: 'in_progress',
    });
  }

  /** Deletes expired records, at most once a minute per process. */
  async sweep(force = false): Promise<number> {
    const nowMs = this.now().getTime();
    if (!force && nowMs - this.lastSweep < SWEEP_EVERY_MS) return 0;
    this.lastSweep = nowMs;
    try {
      const expired: FilterNode = {
        op: 'field',
        path: 'expiresAt',
        conds: [{ op: 'lte', value: new Date(nowMs).toISOString() }],
      };
      const page = await this.system.find(COLLECTION, { filter: expired, limit: 500 });
      // Delete only while still expired: a request may have replaced the record meanwhile with a
      // fresh one under the same id (same version number, too), which must survive.
      for (const doc of page.items) {
        await this.system.delete(COLLECTION, doc.id, { where: expired }).catch(ignoreMissingOrRace);
      }
      return page.items.length;
    } catch {
      return 0; // best effort; the next sweep tries again
    }
  }
}

function ignoreMissingOrRace(e: unknown): void {
  if (e instanceof HearthError && (e.code === 'not_found' || e.code === 'conflict')) return;
  throw e;
}
