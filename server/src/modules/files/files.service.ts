import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { Request, Response } from 'express';
import { errors, HearthError, notFound, reasonError } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import type { DocumentStore, StoredDocument } from '../../ports/document-store.js';
import type { FileStore } from '../../ports/file-store.js';
import type { FileEvents } from './files.events.js';
import type { FileView } from './files.schema.js';
import type { FilesSettingsService } from './files.settings.js';
import { UrlSigner } from './signed-urls.js';
import { receiveUpload } from './upload.js';

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
export const FILES = '_files';

export interface FileCaller {
  appId: string;
  privileged: boolean;
  userId: string | null;
  /** The key's scopes; empty = unrestricted. */
  scopes: readonly string[];
}

export const ORIGINAL = 'original';

export class FilesService {
  readonly signer: UrlSigner;

  constructor(
    private readonly options: {
      store: DocumentStore;
      files: FileStore;
      settings: FilesSettingsService;
      events: FileEvents;
      secret: string;
      publicUrl: string;
      now: () => Date;
    },
  ) {
    this.signer = new UrlSigner(options.secret);
  }

  /** The file store the bytes live in (content routes stream from it). */
  get store(): FileStore {
    return this.options.files;
  }

  keyOf(appId: string, fileId: string): string {
    return `${appId}/${fileId}`;
  }

  /** Streams the request's file part into the store, then writes its metadata. */
  async upload(caller: FileCaller, req: Request, res: Response, input: { public: boolean }): Promise<FileView> {
    requireScope(caller, 'files:write');
    if (!caller.privileged && !caller.userId) throw errors.userTokenRequired();
    const settings = await this.options.settings.get(caller.appId);
    const used = settings.quotaBytes === null ? 0 : (await this.usage(caller.appId)).bytes;
    const id = newId();
    const key = this.keyOf(caller.appId, id);
    const received = await receiveUpload(req, res, {
      files: this.options.files,
      key,
      limits: {
        maxFileSize: settings.maxFileSize,
        quotaLeft: settings.quotaBytes === null ? Infinity : settings.quotaBytes - used,
        quotaBytes: settings.quotaBytes,
        allowedTypes: settings.allowedTypes,
      },
    });
    let doc: StoredDocument;
    try {
      doc = await this.options.store.forApp(caller.appId).create(FILES, {
        id,
        owner: caller.userId,
        data: {
          name: received.name,
          size: received.size,
          type: received.type,
          sha256: received.sha256,
          public: input.public,
        },
      });
    } catch (e) {
      await this.options.files.delete(key).catch(() => undefined);
      throw e;
    }
    const view = toView(doc);
    this.options.events.emit({ type: 'files.create', appId: caller.appId, file: view });
    return view;
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

  /** Metadata first, then the bytes: a failure in between leaves an unreachable object, never a dangling entry. */
  async delete(appId: string, file: FileView): Promise<FileView> {
    await this.options.store.forApp(appId).delete(FILES, file.id);
    await this.options.files.delete(this.keyOf(appId, file.id));
    this.options.events.emit({ type: 'files.delete', appId, file });
    return file;
  }

  async signedUrl(caller: FileCaller, fileId: string, expiresIn: number): Promise<{ url: string; expiresAt: string }> {
    const file = await this.get(caller, fileId);
    const expiresAt = Math.floor(this.options.now().getTime() / 1000) + expiresIn;
    const sig = this.signer.sign({ appId: caller.appId, fileId: file.id, variant: ORIGINAL }, expiresAt);
    return {
      url: `${this.options.publicUrl}/v1/apps/${encodeURIComponent(caller.appId)}/files/${file.id}/content?exp=${expiresAt}&sig=${sig}`,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
    };
  }

  /** The file a signed URL names, when its signature holds and it has not expired (403 otherwise). */
  async getSigned(input: { appId: string; fileId: string; exp: string; sig: string }): Promise<FileView> {
    const verdict = this.signer.verify(
      { appId: input.appId, fileId: input.fileId, variant: ORIGINAL },
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

  /** Deleting an app: every object under its prefix (the metadata goes with the app's store). */
  async removeApp(appId: string): Promise<void> {
    for await (const o of this.options.files.list(`${appId}/`)) await this.options.files.delete(o.key);
    this.options.settings.forget(appId);
  }

  /**
   * Stores bytes the server made (a collection export) as a private file of the app under a
   * chosen id. The same id again replaces bytes and metadata (a retried job); files.create is
   * emitted the first time only. Not counted against the upload quota checks.
   */
  async saveGenerated(
    appId: string,
    input: { id: string; name: string; type: string; body: Readable },
  ): Promise<FileView> {
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const { size } = await this.options.files.write(this.keyOf(appId, input.id), input.body.pipe(hashing), {
      contentType: input.type,
    });
    const app = this.options.store.forApp(appId);
    const data = { name: input.name, size, type: input.type, sha256: hash.digest('hex'), public: false };
    const existing = await app.get(FILES, input.id);
    const doc = existing
      ? await app.replace(FILES, input.id, data)
      : await app.create(FILES, { id: input.id, owner: null, data });
    const view = toView(doc);
    if (!existing) this.options.events.emit({ type: 'files.create', appId, file: view });
    return view;
  }
}

function canRead(caller: FileCaller, file: FileView): boolean {
  return caller.privileged || file.public || (caller.userId !== null && file.owner === caller.userId);
}

function requireScope(caller: FileCaller, scope: 'files:read' | 'files:write'): void {
  if (caller.scopes.length === 0 || caller.scopes.includes(scope) || caller.scopes.includes('files:*')) return;
  throw errors.scopeMissing(scope);
}

function toView(doc: StoredDocument): FileView {
  return {
    id: doc.id,
    name: String(doc.name),
    size: Number(doc.size),
    type: String(doc.type),
    sha256: String(doc.sha256),
    public: doc.public === true,
    owner: doc.owner,
    createdAt: doc.createdAt,
  };
}
