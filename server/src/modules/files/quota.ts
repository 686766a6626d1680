import type { Logger } from 'pino';
import { isError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import { newId } from '../../lib/ids.js';
import type { AppStore, BatchOp, DocumentStore, StoredDocument } from '../../ports/document-store.js';
import { quotaExceeded } from './upload.js';

/**
 * The quota as a ledger in each app's own store, so that concurrent uploads (on any number of
 * replicas) cannot together exceed it:
 * - `_files_usage/usage.bytes`: the bytes of every stored file plus every outstanding
 *   reservation. Every write of a file's metadata changes it in the same batch (all-or-nothing on
 *   both engines), so it never drifts from the files. Missing (an app from before the ledger, or
 *   a restored one) it is recomputed from `_files` once.
 * - `_files_reservations/<id>`: `{bytes, expiresAt}`, bytes promised to an upload in flight.
 *   Taking one is a conditional `$inc` (`bytes <= quota - n`, checked by the engine in the same
 *   write) together with the reservation's creation; finishing turns it into the file
 *   (reservation deleted, file created, usage trimmed to the real size) in one batch; a refused,
 *   broken or aborted upload releases it.
 * A server that dies holding one leaves it to expire: multipart uploads hold a lease that the
 * upload renews while bytes arrive, resumable ones hold theirs until the upload expires; expired
 * reservations are released by the next reservation in that app (they only matter to that
 * check) and when usage is reported.
 */
export const USAGE = '_files_usage';
export const RESERVATIONS = '_files_reservations';
const USAGE_ID = 'usage';

export interface Reservation {
  id: string;
  bytes: number;
}

export class QuotaLedger {
  private readonly swept = new Map<string, number>();

  constructor(
    private readonly options: {
      store: DocumentStore;
      now: () => Date;
      logger: Logger;
      /** How long an expired-reservation sweep of an app is skipped after one ran (default 5 s). */
      sweepEveryMs?: number;
    },
  ) {}

  /**
   * Reserves up to `want` bytes under `quota` (null: no quota, nothing is reserved). `partial`:
   * settle for what is left when less than `want` is (a multipart upload whose size is unknown
   * until its last byte); otherwise all of `want` or 413 `quota_exceeded`.
   */
  async reserve(
    appId: string,
    input: { want: number; quota: number | null; expiresAt: Date; partial: boolean; id?: string },
  ): Promise<Reservation | null> {
    if (input.quota === null) return null;
    const quota = input.quota;
    const app = this.options.store.forApp(appId);
    await this.sweep(appId);
    const id = input.id ?? newId();
    let swept = false;
    for (let attempt = 0; attempt < 8; attempt++) {
      const used = await this.used(app);
      const bytes = input.partial ? Math.min(input.want, quota - used) : input.want;
      // Short of what is wanted: first make sure no expired reservation is what fills the quota.
      if (bytes < input.want && !swept && (swept = true) && (await this.sweep(appId, true)) > 0) continue;
      if (bytes <= 0 || used + bytes > quota) throw quotaExceeded(quota);
      try {
        await app.batch([
          {
            op: 'update',
            collection: USAGE,
            id: USAGE_ID,
            update: { inc: { bytes } },
            where: where.lte('bytes', quota - bytes),
          },
          { op: 'create', collection: RESERVATIONS, id, data: { bytes, expiresAt: input.expiresAt.toISOString() } },
        ]);
        return { id, bytes };
      } catch (e) {
        // Someone else's write came between the read and ours: read again.
        if (isError(e, 'not_found')) continue;
        throw e;
      }
    }
    throw quotaExceeded(quota);
  }

  /** Extends a lease while its upload is still receiving bytes. */
  async renew(appId: string, reservation: Reservation, expiresAt: Date): Promise<void> {
    await this.options.store
      .forApp(appId)
      .update(RESERVATIONS, reservation.id, { set: { expiresAt: expiresAt.toISOString() } })
      .catch(() => undefined);
  }

  /** Gives the bytes back (a refused, failed, aborted or expired upload); a second release is a no-op. */
  async release(appId: string, reservation: Reservation | null): Promise<void> {
    if (!reservation) return;
    try {
      await this.options.store.forApp(appId).batch([
        { op: 'delete', collection: RESERVATIONS, id: reservation.id },
        { op: 'update', collection: USAGE, id: USAGE_ID, update: { inc: { bytes: -reservation.bytes } } },
      ]);
    } catch (e) {
      if (!isError(e, 'not_found')) throw e;
    }
  }

  /**
   * Writes a new file's metadata (`ops`) and counts its `size`: in one batch with its reservation
   * (usage trimmed to the real size). Without a reservation (none was needed, or it expired
   * meanwhile) the bytes are counted under the same condition a reservation would have had, so a
   * file over the quota is still refused (413 `quota_exceeded`, nothing written).
   */
  async commit(
    appId: string,
    input: { reservation: Reservation | null; size: number; quota: number | null; ops: BatchOp[] },
  ): Promise<StoredDocument[]> {
    const app = this.options.store.forApp(appId);
    await this.used(app);
    const { reservation, size, quota } = input;
    if (reservation) {
      try {
        return await app.batch([
          ...input.ops,
          { op: 'delete', collection: RESERVATIONS, id: reservation.id },
          { op: 'update', collection: USAGE, id: USAGE_ID, update: { inc: { bytes: size - reservation.bytes } } },
        ]);
      } catch (e) {
        if (!isError(e, 'not_found')) throw e;
        this.options.logger.warn({ appId }, 'files: a reservation expired before its upload finished');
      }
    }
    try {
      return await app.batch([
        ...input.ops,
        {
          op: 'update',
          collection: USAGE,
          id: USAGE_ID,
          update: { inc: { bytes: size } },
          ...(quota === null ? {} : { where: where.lte('bytes', quota - size) }),
        },
      ]);
    } catch (e) {
      if (quota !== null && isError(e, 'not_found')) throw quotaExceeded(quota);
      throw e;
    }
  }

  /** Runs `ops` (a file's metadata replaced or deleted) and adds `delta` to the usage, atomically. */
  async apply(appId: string, ops: BatchOp[], delta: number): Promise<StoredDocument[]> {
    const app = this.options.store.forApp(appId);
    await this.used(app);
    return app.batch([...ops, { op: 'update', collection: USAGE, id: USAGE_ID, update: { inc: { bytes: delta } } }]);
  }

  /** Bytes held by outstanding reservations (after releasing expired ones). */
  async reserved(appId: string): Promise<number> {
    await this.sweep(appId, true);
    const [row] = await this.options.store
      .forApp(appId)
      .aggregate(RESERVATIONS, [{ stage: 'group', by: [], accumulators: { bytes: { op: 'sum', path: 'bytes' } } }]);
    return Number(row?.bytes ?? 0);
  }

  /** Releases the app's expired reservations (a server died holding them). */
  async sweep(appId: string, force = false): Promise<number> {
    const t = this.options.now().getTime();
    if (!force && (this.swept.get(appId) ?? 0) > t) return 0;
    if (this.swept.size > 10_000) this.swept.clear();
    this.swept.set(appId, t + (this.options.sweepEveryMs ?? 5000));
    const page = await this.options.store.forApp(appId).find(RESERVATIONS, {
      filter: where.lt('expiresAt', new Date(t).toISOString()),
      limit: 100,
    });
    for (const doc of page.items) await this.release(appId, { id: doc.id, bytes: Number(doc.bytes) });
    if (page.items.length)
      this.options.logger.info({ appId, released: page.items.length }, 'files: expired reservations released');
    return page.items.length;
  }

  /** The usage counter (created from the stored files when missing). */
  private async used(app: AppStore): Promise<number> {
    const doc = await app.get(USAGE, USAGE_ID);
    if (doc) return Number(doc.bytes);
    const [row] = await app.aggregate('_files', [
      { stage: 'group', by: [], accumulators: { bytes: { op: 'sum', path: 'size' } } },
    ]);
    const bytes = Number(row?.bytes ?? 0);
    try {
      await app.create(USAGE, { id: USAGE_ID, data: { bytes } });
      return bytes;
    } catch (e) {
      if (!isError(e, 'conflict')) throw e;
      const again = await app.get(USAGE, USAGE_ID);
      return Number(again?.bytes ?? 0);
    }
  }
}
