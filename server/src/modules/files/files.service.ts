import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { errors, HearthError, notFound, reasonError } from '../../errors.js';
import { where } from '../../lib/filter/build.js';
import type { JsonValue } from '../../lib/filter/types.js';
import { newId } from '../../lib/ids.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { FileStore } from '../../ports/file-store.js';
import { readAllArray } from '../../ports/read-all.js';
import type { FileEvents } from './files.events.js';
import type { FileView } from './files.schema.js';
import type { FilesSettingsService } from './files.settings.js';
import { UrlSigner } from './signed-urls.js';
import { FILES, toView } from './files.model.js';
import { saveGenerated, type GeneratedInput } from './generated.js';
import { QuotaLedger, type Reservation } from './quota.js';
import {
  assertUploadable,
  cleanName,
  closing,
  declaredLength,
  receiveUpload,
  type ReceivedFile,
  type UploadLimits,
} from './upload.js';
import { outboxOps, type FileOutbox } from './file-outbox.js';
import { DEFAULT_MAX_INPUT_PIXELS, sizeName, Thumbnailer, variantName } from './thumbnails.js';
import { Variants, type ContentTarget, type PendingVariant, type ThumbRequest } from './variants.js';

/**
 * Files of an app: metadata in the app's own store (`_files`: name, size, sniffed type, sha256,
 * public flag, owner), bytes in the file store under `<appId>/<fileId>`.
 *
 * Access, decided here once for every route:
 * - a secret key or an admin (privileged): every file of the app;
 * - the signed-in user who uploaded it (owner): read and delete;
 * - anyone with the app's key: read a file marked `public`;
 * - a signed URL: the bytes of that one file until it expires (no key needed).
 * Everyone else gets 404, the same answer as for a file that does not exist (or belongs to
 * another app: only this app's store is ever asked), so ids cannot be probed.
 */
export { FILES, toView } from './files.model.js';

export interface FileCaller {
  appId: string;
  privileged: boolean;
  userId: string | null;
  /** The key's scopes; empty = unrestricted. */
  scopes: readonly string[];
}

export const ORIGINAL = 'original';

/** How long a multipart upload's reservation lives without being renewed (renewed every third of it). */
export const UPLOAD_LEASE_MS = 5 * 60_000;

export class FilesService {
  /** The webhooks module's outbox for file events (file-outbox.ts), registered through the module's `useOutbox`. */
  outbox: FileOutbox | null = null;
  readonly signer: UrlSigner;
  readonly thumbnails: Thumbnailer;
  readonly quota: QuotaLedger;
  readonly variants: Variants;

  constructor(
    private readonly options: {
      store: DocumentStore;
      files: FileStore;
      settings: FilesSettingsService;
      events: FileEvents;
      secret: string;
      publicUrl: string;
      now: () => Date;
      /** Decoded pixels a thumbnail's source may have (default 50 MP). */
      maxInputPixels?: number;
      /** Thumbnails rendered at once by this process (default 2). */
      thumbnailConcurrency?: number;
      /** Sources up to this size are thumbnailed in the request, larger ones by a job (default 2 MiB). */
      syncThumbnailBytes?: number;
      /** How long a request waits for a thumbnail job before answering 202 (default 10 s). */
      thumbnailWaitMs?: number;
      logger: Logger;
    },
  ) {
    this.signer = new UrlSigner(options.secret);
    this.thumbnails = new Thumbnailer({
      files: options.files,
      maxInputPixels: options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS,
      concurrency: options.thumbnailConcurrency ?? 2,
    });
    this.variants = new Variants({
      settings: options.settings,
      thumbnails: this.thumbnails,
      keyOf: (appId, fileId) => this.keyOf(appId, fileId),
      stat: (key) => options.files.stat(key),
      ...(options.syncThumbnailBytes !== undefined ? { syncBytes: options.syncThumbnailBytes } : {}),
      ...(options.thumbnailWaitMs !== undefined ? { waitMs: options.thumbnailWaitMs } : {}),
    });
    this.quota = new QuotaLedger({ store: options.store, now: options.now, logger: options.logger });
  }

  /** The file store the bytes live in (content routes stream from it). */
  get store(): FileStore {
    return this.options.files;
  }

  keyOf(appId: string, fileId: string): string {
    return `${appId}/${fileId}`;
  }

  /**
   * Streams the request's file part into the store, then writes its metadata. With a quota, the
   * bytes are reserved first (the Content-Length, else the per-file limit, at most what is left)
   * and the reservation is trimmed to the real size when the file is registered.
   */
  async upload(caller: FileCaller, req: Request, res: Response, input: { public: boolean }): Promise<FileView> {
    requireScope(caller, 'files:write');
    if (!caller.privileged && !caller.userId) throw errors.userTokenRequired();
    const id = newId();
    const key = this.keyOf(caller.appId, id);
    const limits = await this.limits(caller.appId);
    assertUploadable(req, res, limits.maxFileSize);
    const { appId } = caller;
    const lease = () => new Date(this.options.now().getTime() + UPLOAD_LEASE_MS);
    const reservation = await this.quota
      .reserve(appId, {
        want: Math.min(limits.maxFileSize, declaredLength(req) ?? Infinity),
        quota: limits.quotaBytes,
        expiresAt: lease(),
        partial: true,
      })
      .catch((e: unknown) => {
        throw closing(res, e);
      });
    const renewing = reservation
      ? setInterval(() => void this.quota.renew(appId, reservation, lease()), UPLOAD_LEASE_MS / 3).unref()
      : null;
    try {
      const received = await receiveUpload(req, res, {
        files: this.options.files,
        key,
        limits: { ...limits, quotaLeft: reservation ? reservation.bytes : Infinity },
      });
      return await this.register(appId, {
        id,
        owner: caller.userId,
        public: input.public,
        received,
        reservation,
        quota: limits.quotaBytes,
      });
    } catch (e) {
      await this.quota.release(appId, reservation).catch(() => undefined);
      throw e;
    } finally {
      if (renewing) clearInterval(renewing);
    }
  }

  /**
   * Writes the metadata of bytes already stored under `keyOf(appId, id)` and announces the file
   * (files.create); a failure removes the bytes. Multipart and resumable uploads end here. The
   * size is counted in the quota ledger in the same batch, against `reservation` when one is held
   * (else checked against `quota` then: over it is 413 `quota_exceeded`).
   */
  async register(
    appId: string,
    input: {
      id: string;
      owner: string | null;
      public: boolean;
      received: Omit<ReceivedFile, 'key'>;
      reservation: Reservation | null;
      quota: number | null;
    },
  ): Promise<FileView> {
    const { id, received } = input;
    let doc: StoredDocument;
    let eventId: string | undefined;
    try {
      const recorded = await outboxOps(this.outbox, appId, { type: 'files.create', fileId: id, before: null });
      eventId = recorded.eventId;
      [doc] = (await this.quota.commit(appId, {
        reservation: input.reservation,
        size: received.size,
        quota: input.quota,
        ops: [
          {
            op: 'create',
            collection: FILES,
            id,
            owner: input.owner,
            data: {
              name: received.name,
              size: received.size,
              type: received.type,
              sha256: received.sha256,
              public: input.public,
            },
          },
          ...recorded.ops,
        ],
      })) as [StoredDocument];
    } catch (e) {
      await this.options.files.delete(this.keyOf(appId, id)).catch(() => undefined);
      throw e;
    }
    const view = toView(doc);
    this.options.events.emit({ type: 'files.create', appId, file: view, ...(eventId ? { eventId } : {}) });
    return view;
  }

  /** The app's limits for a new upload. */
  async limits(appId: string): Promise<Omit<UploadLimits, 'quotaLeft'> & { quotaBytes: number | null }> {
    const settings = await this.options.settings.get(appId);
    return { maxFileSize: settings.maxFileSize, quotaBytes: settings.quotaBytes, allowedTypes: settings.allowedTypes };
  }

  /** The file if this caller may read it; 404 otherwise. */
  async get(caller: FileCaller, fileId: string): Promise<FileView> {
    requireScope(caller, 'files:read');
    const file = await this.find(caller.appId, fileId);
    if (!file || !canRead(caller, file)) throw notFound('No such file.');
    return file;
  }

  /** Owner or privileged; a public file's other readers get 403, everyone else 404. */
  async remove(caller: FileCaller, fileId: string): Promise<FileView> {
    requireScope(caller, 'files:write');
    const file = await this.get(caller, fileId);
    if (!caller.privileged && file.owner !== caller.userId) {
      throw new HearthError('forbidden', 'Only the owner of this file may delete it.');
    }
    return this.delete(caller.appId, file);
  }

  /** Changes `public` and/or the name: its owner, a secret key or an admin (others as for delete). */
  async change(caller: FileCaller, fileId: string, patch: { public?: boolean; name?: string }): Promise<FileView> {
    requireScope(caller, 'files:write');
    const file = await this.get(caller, fileId);
    if (!caller.privileged && file.owner !== caller.userId) {
      throw new HearthError('forbidden', 'Only the owner of this file may change it.');
    }
    const set: Record<string, JsonValue> = {};
    if (patch.public !== undefined) set.public = patch.public;
    if (patch.name !== undefined) set.name = cleanName(patch.name);
    const recorded = await outboxOps(this.outbox, caller.appId, {
      type: 'files.update',
      fileId: file.id,
      before: file,
    });
    const app = this.options.store.forApp(caller.appId);
    const doc = recorded.eventId
      ? (await app.batch([{ op: 'update', collection: FILES, id: file.id, update: { set } }, ...recorded.ops]))[0]!
      : await app.update(FILES, file.id, { set });
    const view = toView(doc);
    const eventId = recorded.eventId;
    this.options.events.emit({
      type: 'files.update',
      appId: caller.appId,
      file: view,
      ...(eventId ? { eventId } : {}),
    });
    return view;
  }

  /** Metadata first, then the bytes: a failure in between leaves an unreachable object, never a dangling entry. */
  async delete(appId: string, file: FileView): Promise<FileView> {
    const { ops, eventId } = await outboxOps(this.outbox, appId, {
      type: 'files.delete',
      fileId: file.id,
      before: file,
    });
    await this.quota.apply(appId, [{ op: 'delete', collection: FILES, id: file.id }, ...ops], -file.size);
    await this.options.files.delete(this.keyOf(appId, file.id));
    for await (const v of this.options.files.list(`${this.keyOf(appId, file.id)}.`)) {
      await this.options.files.delete(v.key);
    }
    this.options.events.emit({ type: 'files.delete', appId, file, ...(eventId ? { eventId } : {}) });
    return file;
  }

  async signedUrl(
    caller: FileCaller,
    fileId: string,
    expiresIn: number,
    thumb: ThumbRequest = {},
  ): Promise<{ url: string; expiresAt: string }> {
    const file = await this.get(caller, fileId);
    const spec = await this.variants.spec(caller.appId, file, thumb);
    const expiresAt = Math.floor(this.options.now().getTime() / 1000) + expiresIn;
    const variant = spec ? variantName(spec) : ORIGINAL;
    const sig = this.signer.sign({ appId: caller.appId, fileId: file.id, variant }, expiresAt);
    const thumbQuery = spec ? `&thumb=${sizeName(spec)}&fit=${spec.fit}` : '';
    return {
      url: `${this.options.publicUrl}/v1/apps/${encodeURIComponent(caller.appId)}/files/${file.id}/content?exp=${expiresAt}&sig=${sig}${thumbQuery}`,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
    };
  }

  /** The file a signed URL names, when its signature holds and it has not expired (403 otherwise). */
  async getSigned(input: {
    appId: string;
    fileId: string;
    exp: string;
    sig: string;
    variant: string;
  }): Promise<FileView> {
    const verdict = this.signer.verify(
      { appId: input.appId, fileId: input.fileId, variant: input.variant },
      input.exp,
      input.sig,
      this.options.now().getTime(),
    );
    if (verdict === 'invalid') throw reasonError('forbidden', 'signed_url_invalid', 'This link is not valid.');
    if (verdict === 'expired') throw reasonError('forbidden', 'signed_url_expired', 'This link has expired.');
    const file = await this.find(input.appId, input.fileId);
    if (!file) throw notFound('No such file.');
    return file;
  }

  /** What to serve for `file` (the original or a thumbnail): see variants.ts. */
  content(appId: string, file: FileView, thumb: ThumbRequest = {}): Promise<ContentTarget | PendingVariant> {
    return this.variants.content(appId, file, thumb);
  }

  /** The files among `ids` that exist in the app (at most 1000 ids). */
  async findMany(appId: string, ids: string[]): Promise<FileView[]> {
    if (ids.length === 0) return [];
    const page = await this.options.store
      .forApp(appId)
      .find(FILES, { filter: where.in('id', ids.slice(0, 1000)), limit: Math.min(ids.length, 1000) });
    return page.items.map(toView);
  }

  async find(appId: string, fileId: string): Promise<FileView | null> {
    const doc = await this.options.store.forApp(appId).get(FILES, fileId);
    return doc ? toView(doc) : null;
  }

  /** Admin listing, newest first. */
  async list(appId: string, page: { limit: number; after?: string | undefined }) {
    const res = await this.options.store.forApp(appId).find(FILES, {
      sort: [{ path: 'createdAt', dir: -1 }],
      limit: page.limit,
      ...(page.after ? { after: page.after } : {}),
    });
    return { items: res.items.map(toView), next: res.next };
  }

  async usage(appId: string): Promise<{ files: number; bytes: number }> {
    const [row] = await this.options.store
      .forApp(appId)
      .aggregate(FILES, [
        { stage: 'group', by: [], accumulators: { files: { op: 'count' }, bytes: { op: 'sum', path: 'size' } } },
      ]);
    return { files: Number(row?.files ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  /** Deletes every file `userId` owns in the app (their account was deleted); returns how many. */
  async removeOwnedBy(appId: string, userId: string): Promise<number> {
    const owned = await readAllArray(this.options.store.forApp(appId), FILES, {
      filter: where.eq('owner', userId),
      max: 100_000,
    });
    for (const doc of owned) await this.delete(appId, toView(doc));
    return owned.length;
  }

  /** Deleting an app: every object under its prefix (the metadata goes with the app's store). */
  async removeApp(appId: string): Promise<void> {
    for await (const o of this.options.files.list(`${appId}/`)) await this.options.files.delete(o.key);
    this.options.settings.forget(appId);
  }

  /** Stores bytes the server made (a collection export) as a private file of the app: generated.ts. */
  saveGenerated(appId: string, input: GeneratedInput): Promise<FileView> {
    return saveGenerated(
      {
        files: this.options.files,
        store: this.options.store,
        quota: this.quota,
        events: this.options.events,
        outbox: this.outbox,
        keyOf: (a, f) => this.keyOf(a, f),
      },
      appId,
      input,
    );
  }
}

export function canRead(caller: FileCaller, file: FileView): boolean {
  return caller.privileged || file.public || (caller.userId !== null && file.owner === caller.userId);
}

export function requireScope(caller: FileCaller, scope: 'files:read' | 'files:write'): void {
  if (caller.scopes.length === 0 || caller.scopes.includes(scope) || caller.scopes.includes('files:*')) return;
  throw errors.scopeMissing(scope);
}
