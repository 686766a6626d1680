import { Readable } from 'node:stream';
import type { Request as ExpressRequest, Response as ExpressResponse } from 'express';
import { Metadata, Server } from '@tus/server';
import type { Logger } from 'pino';
import { errors, HearthError, notFound, reasonError, type ErrorCode } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { FileStore, ResumableStore } from '../../ports/file-store.js';
import type { FileView } from './files.schema.js';
import { requireScope, type FileCaller, type FilesService } from './files.service.js';
import { cleanName, fileTooLarge, storeStream } from './upload.js';

/**
 * Resumable uploads over tus 1.0 (creation, termination, expiration) at
 * `/v1/apps/{app}/files/tus`, served by `@tus/server` with the tus store of the configured file
 * engine (`FileStore.resumable`: `DATA_DIR/files/.tus` or the bucket's `.tus/` prefix), so
 * unfinished uploads survive a restart and never appear among the file store's keys.
 *
 * Hearth's rules wrap the protocol: before tus sees a request, the caller is checked (app key +
 * user token, or a secret key / admin, scope `files:write`) and, at creation, the declared
 * `Upload-Length` against the app's maxFileSize and quota; each upload has a record in the app's
 * own store (`_uploads`: owner, name, public, length, expiry) so another user's or another
 * app's upload is 404. When the last byte arrives, the bytes are streamed from the tus store
 * through the same meter as a multipart upload (size, quota, sha256, type sniffed and checked)
 * into the file store under `<app>/<id>`, the metadata is written and files.create emitted; then
 * the tus data and the record are removed. The file's id is the upload's id (the last segment of
 * the upload URL), also sent as `Hearth-File-Id`. Every error is a Hearth JSON error.
 */
export const UPLOADS = '_uploads';
export const TUS_PATH = /^\/v1\/apps\/[^/]+\/files\/tus(\/[^/]*)?\/?$/;
export const TUS_VERSION = '1.0.0';
export const DEFAULT_TUS_EXPIRATION_MS = 24 * 3600 * 1000;

/** Request headers tus reads; nothing else (cookies, authorization) is handed to it. */
const TUS_HEADERS = [
  'tus-resumable',
  'upload-length',
  'upload-offset',
  'upload-metadata',
  'upload-defer-length',
  'upload-concat',
  'content-type',
  'content-length',
];

interface TusContext {
  appId: string;
  fileId: string;
  owner: string | null;
  public: boolean;
  name: string;
  maxFileSize: number;
  /** Bytes reserved in the quota ledger for this upload (0: none, the app had no quota). */
  reserved: number;
  /** Run when tus accepted the request, before the answer is sent. */
  onAccepted?: () => Promise<void>;
  /** A Hearth error raised while finishing, answered instead of tus's generic one. */
  error?: unknown;
  file?: FileView;
}

export class ResumableUploads {
  private opened: Promise<{ tus: Server; resumable: ResumableStore }> | null = null;
  private readonly contexts = new WeakMap<Request, TusContext>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: {
      files: FilesService;
      fileStore: FileStore;
      store: DocumentStore;
      logger: Logger;
      now: () => Date;
      expirationMs?: number;
    },
  ) {}

  private get expirationMs(): number {
    return this.options.expirationMs ?? DEFAULT_TUS_EXPIRATION_MS;
  }

  /** POST …/files/tus: checks the caller and the declared length, records the upload, hands over to tus. */
  async create(caller: FileCaller, req: ExpressRequest, res: ExpressResponse, query: { public: boolean }) {
    requireScope(caller, 'files:write');
    if (!caller.privileged && !caller.userId) throw errors.userTokenRequired();
    const length = declaredLength(req);
    const limits = await this.options.files.limits(caller.appId);
    if (length > limits.maxFileSize) throw fileTooLarge(limits.maxFileSize);
    let metadata: Record<string, string | null> = {};
    try {
      const header = req.get('upload-metadata')?.trim();
      if (header) metadata = Metadata.parse(header);
    } catch (e) {
      throw tusError(400, 'The Upload-Metadata header is malformed.', e);
    }
    const fileId = newId();
    const expiresAt = new Date(this.options.now().getTime() + this.expirationMs);
    // The declared final size is reserved now, held until the upload completes, is terminated or expires.
    const reservation = await this.quota.reserve(caller.appId, {
      id: fileId,
      want: length,
      quota: limits.quotaBytes,
      expiresAt,
      partial: false,
    });
    const ctx: TusContext = {
      appId: caller.appId,
      fileId,
      owner: caller.userId,
      public: query.public || metadata.public === 'true',
      name: cleanName(metadata.filename ?? metadata.name ?? undefined),
      maxFileSize: limits.maxFileSize,
      reserved: reservation?.bytes ?? 0,
    };
    const app = this.options.store.forApp(caller.appId);
    try {
      await app.create(UPLOADS, {
        id: fileId,
        owner: ctx.owner,
        data: {
          name: ctx.name,
          public: ctx.public,
          length,
          expiresAt: expiresAt.toISOString(),
          reserved: ctx.reserved,
        },
      });
      await this.forward(req, res, ctx);
    } catch (e) {
      await app.delete(UPLOADS, fileId).catch(() => undefined);
      await this.quota.release(caller.appId, reservation).catch(() => undefined);
      throw e;
    }
  }

  private get quota() {
    return this.options.files.quota;
  }

  private reservationOf(ctx: { fileId: string; reserved: number }) {
    return ctx.reserved > 0 ? { id: ctx.fileId, bytes: ctx.reserved } : null;
  }

  /** HEAD, PATCH, DELETE …/files/tus/{id}: the upload's owner, a secret key or an admin. */
  async resume(caller: FileCaller, uploadId: string, req: ExpressRequest, res: ExpressResponse) {
    const { record, ctx } = await this.load(caller, uploadId);
    if (req.method === 'DELETE') {
      // Terminated: the record and the reservation go before the answer does.
      ctx.onAccepted = async () => {
        await this.options.store
          .forApp(caller.appId)
          .delete(UPLOADS, record.id)
          .catch(() => undefined);
        await this.quota.release(caller.appId, this.reservationOf(ctx)).catch(() => undefined);
      };
    }
    await this.forward(req, res, ctx);
  }

  /** GET …/files/tus/{id}: where the upload stands, as JSON (HEAD is the protocol's form). */
  async status(caller: FileCaller, uploadId: string) {
    const { record } = await this.load(caller, uploadId);
    const { resumable } = await this.open();
    const upload = await resumable.store.getUpload(resumable.idPrefix + uploadId).catch((e: unknown) => {
      throw tusError(404, 'No such upload.', e);
    });
    return {
      id: record.id,
      name: String(record.name),
      length: Number(record.length),
      offset: upload.offset,
      expiresAt: String(record.expiresAt),
    };
  }

  /** Starts removing expired unfinished uploads from the tus store (hourly). */
  start(): void {
    this.sweeper ??= setInterval(() => void this.sweep(), 3600_000).unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  /** Removes expired unfinished uploads; their records go when next asked for. */
  async sweep(): Promise<number> {
    const { tus } = await this.open();
    return tus.cleanUpExpiredUploads().catch((err: unknown) => {
      this.options.logger.warn({ err }, 'files: removing expired resumable uploads failed');
      return 0;
    });
  }

  private async load(caller: FileCaller, uploadId: string): Promise<{ record: StoredDocument; ctx: TusContext }> {
    requireScope(caller, 'files:write');
    const app = this.options.store.forApp(caller.appId);
    const record = await app.get(UPLOADS, uploadId);
    if (!record || (!caller.privileged && (caller.userId === null || record.owner !== caller.userId))) {
      throw notFound('No such upload.');
    }
    if (Date.parse(String(record.expiresAt)) <= this.options.now().getTime()) {
      await app.delete(UPLOADS, uploadId).catch(() => undefined);
      await this.quota.release(
        caller.appId,
        this.reservationOf({ fileId: uploadId, reserved: Number(record.reserved ?? 0) }),
      );
      const { resumable } = await this.open();
      await resumable.store.remove(resumable.idPrefix + uploadId).catch(() => undefined);
      throw notFound('This upload has expired.');
    }
    const limits = await this.options.files.limits(caller.appId);
    return {
      record,
      ctx: {
        appId: caller.appId,
        fileId: record.id,
        owner: record.owner,
        public: record.public === true,
        name: String(record.name),
        maxFileSize: limits.maxFileSize,
        reserved: Number(record.reserved ?? 0),
      },
    };
  }

  /** Runs one request through tus as a web Request; its errors become Hearth errors. */
  private async forward(req: ExpressRequest, res: ExpressResponse, ctx: TusContext): Promise<void> {
    const { tus } = await this.open();
    const headers = new Headers();
    for (const name of TUS_HEADERS) {
      const value = req.get(name);
      if (value !== undefined) headers.set(name, value);
    }
    const hasBody = req.method === 'POST' || req.method === 'PATCH';
    const request = new Request(`http://hearth.invalid${req.originalUrl}`, {
      method: req.method,
      headers,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
    } as RequestInit);
    this.contexts.set(request, ctx);
    const response = await tus.handleWeb(request);
    if (ctx.error) throw ctx.error;
    if (response.status >= 400) {
      throw tusError(response.status, undefined, await response.text().catch(() => ''));
    }
    await ctx.onAccepted?.();
    res.status(response.status);
    response.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'access-control-allow-origin') res.setHeader(name, value);
    });
    if (ctx.file) res.setHeader('Hearth-File-Id', ctx.file.id);
    const body = Buffer.from(await response.arrayBuffer());
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** The last byte is in: move the bytes into the file store under Hearth's checks. */
  private async finish(ctx: TusContext, storeId: string, resumable: ResumableStore): Promise<FileView> {
    const app = this.options.store.forApp(ctx.appId);
    const key = this.options.files.keyOf(ctx.appId, ctx.fileId);
    // Claim the completion first: tus calls onUploadFinish after releasing its lock, so a second
    // request at the final offset (an empty PATCH) would finish it again, and the loser's failed
    // register would delete the winner's bytes. Deleting the record is atomic: one request wins.
    try {
      await app.delete(UPLOADS, ctx.fileId);
    } catch (e) {
      if (e instanceof HearthError && e.code === 'not_found') {
        throw new HearthError('conflict', 'This upload is already complete or being completed.');
      }
      throw e;
    }
    const reservation = this.reservationOf(ctx);
    let registered = false;
    try {
      const limits = await this.options.files.limits(ctx.appId);
      const stored = await storeStream(this.options.fileStore, key, await resumable.read(storeId), {
        ...limits,
        // The reservation covers the declared size; without one the size is checked when counted.
        quotaLeft: Infinity,
      });
      const file = await this.options.files.register(ctx.appId, {
        id: ctx.fileId,
        owner: ctx.owner,
        public: ctx.public,
        received: { ...stored, name: ctx.name },
        reservation,
        quota: limits.quotaBytes,
      });
      registered = true;
      return file;
    } finally {
      // Finished either way: a refused upload cannot be resumed into something else.
      await resumable.store.remove(storeId).catch(() => undefined);
      if (!registered) await this.quota.release(ctx.appId, reservation).catch(() => undefined);
    }
  }

  private open(): Promise<{ tus: Server; resumable: ResumableStore }> {
    this.opened ??= this.options.fileStore.resumable({ expirationMs: this.expirationMs }).then((resumable) => {
      const ctxOf = (req: Request): TusContext => {
        const ctx = this.contexts.get(req);
        if (!ctx) throw { status_code: 500, body: 'no context\n' };
        return ctx;
      };
      const tus = new Server({
        path: '/v1/apps/files/tus',
        datastore: resumable.store,
        namingFunction: (req) => resumable.idPrefix + ctxOf(req).fileId,
        generateUrl: (req) => {
          const ctx = ctxOf(req);
          return `/v1/apps/${encodeURIComponent(ctx.appId)}/files/tus/${ctx.fileId}`;
        },
        getFileIdFromRequest: (req) => resumable.idPrefix + ctxOf(req).fileId,
        maxSize: (req) => ctxOf(req).maxFileSize,
        allowedOrigins: [],
        exposedHeaders: ['Hearth-File-Id'],
        onUploadFinish: async (req, upload) => {
          const ctx = ctxOf(req);
          try {
            ctx.file = await this.finish(ctx, upload.id, resumable);
            return { headers: { 'Hearth-File-Id': ctx.file.id } };
          } catch (e) {
            ctx.error = e;
            throw { status_code: 500, body: 'refused\n' };
          }
        },
      });
      return { tus, resumable };
    });
    return this.opened;
  }
}

/** `Upload-Length`, required: the final size is checked against the limits before a byte is taken. */
function declaredLength(req: ExpressRequest): number {
  const raw = req.get('upload-length');
  if (raw === undefined || !/^\d{1,16}$/.test(raw)) {
    throw tusError(
      400,
      'Send Upload-Length with the final size (Upload-Defer-Length is not supported: the size is checked first).',
    );
  }
  const length = Number(raw);
  if (length === 0) throw reasonError('invalid_request', 'file_empty', 'The file is empty.');
  return length;
}

const TUS_CODES: Record<number, ErrorCode> = {
  400: 'invalid_request',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  410: 'not_found',
  412: 'invalid_request',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  460: 'invalid_request',
  501: 'invalid_request',
};

const TUS_MESSAGES: Record<number, string> = {
  404: 'No such upload.',
  409: 'Upload-Offset does not match the upload (HEAD it for the current offset).',
  410: 'This upload has expired.',
  412: 'Send Tus-Resumable: 1.0.0.',
  413: 'The data is larger than the upload.',
  415: 'Send the data as application/offset+octet-stream.',
  501: 'That tus extension is not supported (creation, termination and expiration are).',
};

/** A tus answer as a Hearth error (the library's own text stays in `cause`). */
function tusError(status: number, message?: string, cause?: unknown): HearthError {
  const code = TUS_CODES[status] ?? 'internal';
  return new HearthError(
    code,
    message ?? TUS_MESSAGES[status] ?? (code === 'internal' ? undefined : 'The tus request is invalid.'),
    undefined,
    { cause, headers: { 'Tus-Resumable': TUS_VERSION, 'Tus-Version': TUS_VERSION } },
  );
}
