import { HearthError } from './errors.js';
import type { FileInfo } from './generated/api.js';
import type { AbortSignalLike, BlobLike } from './platform.js';
import type { SessionManager } from './session.js';
import { errorFromResponse, pathSegment as seg, type RequestDescription, type Transport } from './transport.js';

/** A stored file's metadata (generated from the server's schema). */
export type { FileInfo };

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadOptions {
  /** The name shown for the file (default: the File's name, else "upload"). */
  name?: string;
  /** Readable by anyone with the URL (default false: the owner, secret keys and signed URLs). */
  public?: boolean;
  onProgress?: (p: UploadProgress) => void;
  signal?: AbortSignalLike;
}

export interface ResumableUploadOptions {
  name?: string;
  /** Bytes per PATCH (default 5 MiB). */
  chunkSize?: number;
  onProgress?: (p: UploadProgress) => void;
  signal?: AbortSignalLike;
  /** Where tus-js-client remembers unfinished uploads to resume them (its URL storage). */
  resume?: boolean;
}

/** A thumbnail size, `WxH` in pixels: one of the app's `thumbnailSizes` (default 64x64, 256x256, 512x512, 1024x1024). */
export type ThumbSize = `${number}x${number}`;

/** How a thumbnail fills its size (default `cover`: cropped to fill it). */
export type ThumbFit = 'cover' | 'contain' | 'inside';

export interface SignedUrlOptions {
  /** Seconds until the URL stops working (default 3600, at most 7 days). */
  expiresIn?: number;
  /** Sign this thumbnail variant instead of the original: the URL serves it and nothing else. */
  thumb?: ThumbSize;
  /** The variant's fit (with `thumb`; default `cover`). */
  fit?: ThumbFit;
}

/** Every files call as a plain request description (no network). */
export function fileRequests(app: string) {
  const base = `/v1/apps/${seg(app)}/files`;
  return {
    get: (id: string): RequestDescription => ({ method: 'GET', path: `${base}/${seg(id)}` }),
    delete: (id: string): RequestDescription => ({ method: 'DELETE', path: `${base}/${seg(id)}` }),
    /** `signedUrl(id, 60)` or `signedUrl(id, {expiresIn, thumb, fit})`. */
    signedUrl: (id: string, options: number | SignedUrlOptions = {}): RequestDescription => {
      const o = typeof options === 'number' ? { expiresIn: options } : options;
      return {
        method: 'POST',
        path: `${base}/${seg(id)}/url`,
        body: {
          ...(o.expiresIn !== undefined ? { expiresIn: o.expiresIn } : {}),
          ...(o.thumb !== undefined ? { thumb: o.thumb } : {}),
          ...(o.fit !== undefined ? { fit: o.fit } : {}),
        },
      };
    },
    upload: (form: unknown, isPublic?: boolean): RequestDescription => ({
      method: 'POST',
      path: base,
      query: { public: isPublic === undefined ? undefined : String(isPublic) },
      rawBody: form,
    }),
    content: (id: string) => `${base}/${seg(id)}/content`,
    tus: `${base}/tus`,
  };
}

interface FormDataLike {
  append(name: string, value: unknown, fileName?: string): void;
}

interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: unknown): void;
  abort(): void;
  readonly status: number;
  readonly responseText: string;
  getResponseHeader(name: string): string | null;
  upload: { onprogress: ((e: { loaded: number; total: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

/** Uploads (with progress and abort; resumable over tus), metadata, URLs and deletion. */
export class HearthFiles {
  readonly requests: ReturnType<typeof fileRequests>;

  constructor(
    private readonly session: SessionManager,
    private readonly transport: Transport,
    app: string,
  ) {
    this.requests = fileRequests(app);
  }

  /**
   * Uploads a Blob/File (multipart). In browsers and React Native progress comes from
   * XMLHttpRequest's upload events; elsewhere (Node) at the start and the end.
   */
  async upload(file: BlobLike, options: UploadOptions = {}): Promise<FileInfo> {
    const g = globalThis as { FormData?: new () => FormDataLike; XMLHttpRequest?: new () => XhrLike };
    if (!g.FormData) throw new TypeError('No FormData in this runtime.');
    const form = new g.FormData();
    const name = options.name ?? (file as { name?: string }).name ?? 'upload';
    form.append('file', file, name);
    const req = this.requests.upload(form, options.public);
    if (options.signal?.aborted) throw new HearthError(0, 'aborted', 'The upload was aborted.');
    if (!g.XMLHttpRequest) {
      options.onProgress?.({ loaded: 0, total: file.size });
      const info = await this.session.request<FileInfo>({
        ...req,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      options.onProgress?.({ loaded: file.size, total: file.size });
      return info;
    }
    const Xhr = g.XMLHttpRequest;
    await this.session.ready;
    const token = this.session.current?.accessToken ?? null;
    return new Promise<FileInfo>((resolve, reject) => {
      const xhr = new Xhr();
      xhr.open('POST', this.transport.url(req.path, req.query));
      xhr.setRequestHeader('X-Hearth-Key', this.transport.key);
      if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      // Progress in the file's bytes (the request also carries the multipart framing).
      xhr.upload.onprogress = (e) =>
        options.onProgress?.({
          loaded: e.total ? Math.min(file.size, Math.round((e.loaded / e.total) * file.size)) : e.loaded,
          total: file.size,
        });
      const onAbort = () => xhr.abort();
      options.signal?.addEventListener('abort', onAbort);
      const done = () => options.signal?.removeEventListener('abort', onAbort);
      xhr.onload = () => {
        done();
        let json: unknown;
        try {
          json = JSON.parse(xhr.responseText);
        } catch {
          json = undefined;
        }
        if (xhr.status >= 200 && xhr.status < 300) resolve(json as FileInfo);
        else reject(errorFromResponse(xhr.status, json as never, { get: (h) => xhr.getResponseHeader(h) }));
      };
      xhr.onerror = () => {
        done();
        reject(new HearthError(0, 'network', 'The upload failed: no answer.'));
      };
      xhr.onabort = () => {
        done();
        reject(new HearthError(0, 'aborted', 'The upload was aborted.'));
      };
      xhr.send(form);
    });
  }

  /**
   * A resumable upload over the tus protocol (tus-js-client, loaded on first use), for large
   * files and flaky networks. Resolves with the upload's URL.
   */
  async uploadResumable(file: BlobLike, options: ResumableUploadOptions = {}): Promise<{ url: string; id?: string }> {
    const tus = await import('tus-js-client');
    await this.session.ready;
    const token = this.session.current?.accessToken ?? null;
    const name = options.name ?? (file as { name?: string }).name ?? 'upload';
    // tus-js-client's Node build reads Buffers and streams, not Blobs: hand it the bytes there.
    const nodeBuffer = (globalThis as { Buffer?: { from(b: ArrayBuffer): unknown; isBuffer(v: unknown): boolean } })
      .Buffer;
    const asBytes = file as { arrayBuffer?: () => Promise<ArrayBuffer> };
    const inBrowser = typeof (globalThis as { window?: unknown }).window !== 'undefined';
    const source =
      !inBrowser && nodeBuffer && !nodeBuffer.isBuffer(file) && typeof asBytes.arrayBuffer === 'function'
        ? nodeBuffer.from(await asBytes.arrayBuffer())
        : file;
    return new Promise((resolve, reject) => {
      const upload = new tus.Upload(source as never, {
        endpoint: this.transport.url(this.requests.tus),
        chunkSize: options.chunkSize ?? 5 * 1024 * 1024,
        retryDelays: [0, 1000, 3000, 5000],
        metadata: { filename: name, filetype: file.type || 'application/octet-stream' },
        headers: { 'X-Hearth-Key': this.transport.key, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        storeFingerprintForResuming: options.resume !== false,
        removeFingerprintOnSuccess: true,
        onProgress: (loaded, total) => options.onProgress?.({ loaded, total }),
        onError: (e) => reject(new HearthError(0, 'network', `Resumable upload failed: ${e.message}`)),
        onSuccess: (payload) => {
          const id = payload?.lastResponse?.getHeader('Hearth-File-Id') ?? undefined;
          resolve({ url: upload.url ?? '', ...(id ? { id } : {}) });
        },
      });
      options.signal?.addEventListener('abort', () => {
        void upload.abort().then(() => reject(new HearthError(0, 'aborted', 'The upload was aborted.')));
      });
      void upload
        .findPreviousUploads()
        .then((previous) => {
          if (previous[0] && options.resume !== false) upload.resumeFromPreviousUpload(previous[0]);
          upload.start();
        })
        .catch(() => upload.start());
    });
  }

  get(id: string): Promise<FileInfo> {
    return this.session.request(this.requests.get(id));
  }

  async delete(id: string): Promise<void> {
    await this.session.request(this.requests.delete(id));
  }

  /** The bytes' URL: works without headers for public files (`<img src>`); others need a signed URL. */
  url(id: string): string {
    return this.transport.url(this.requests.content(id));
  }

  /** A thumbnail of an image (`?thumb=WxH`, made by the server). */
  thumbUrl(id: string, size: { width: number; height: number }): string {
    return this.transport.url(this.requests.content(id), { thumb: `${size.width}x${size.height}` });
  }

  /**
   * A URL anyone can open until it expires (default 1 h, at most 7 days). With `thumb` (and
   * `fit`) it is a signed thumbnail: `signedUrl(id, {thumb: '256x256', fit: 'contain'})`; the
   * signature covers that variant only (another size, fit or the original is `403`).
   */
  signedUrl(id: string, options: SignedUrlOptions = {}): Promise<{ url: string; expiresAt: string }> {
    return this.session.request(this.requests.signedUrl(id, options));
  }
}
