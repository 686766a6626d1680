import { HearthError, reasonError } from '../../errors.js';
import type { AddJobOptions, Job, JobQueue } from '../../ports/job-queue.js';
import type { FileView } from './files.schema.js';
import type { FilesSettingsService } from './files.settings.js';
import {
  canThumbnail,
  notAnImage,
  parseThumbSize,
  sizeName,
  THUMBNAIL_TYPE,
  thumbnailKey,
  thumbnailSizeNotAllowed,
  variantName,
  type Thumbnailer,
  type ThumbFit,
  type ThumbSpec,
} from './thumbnails.js';

/**
 * Which bytes a content request gets, and how a missing thumbnail is made:
 * - cached variants are served at once;
 * - a source of at most `syncBytes` (default 2 MiB) is rendered in the request (the Thumbnailer's
 *   concurrency limit), as is every source when no job queue is attached;
 * - a larger one is rendered by a `files.thumbnail` job (thumbnail.job.ts), de-duplicated by the
 *   job id `thumb.<app>.<file>.<variant>`, so a burst of requests for a new variant, on any
 *   number of replicas, renders it once. The request waits up to `waitMs` (default 10 s) for
 *   the job; if it is still running the answer is 202 with `Retry-After` (`PendingVariant`), and
 *   asking again serves it once made;
 * - a source over the app's `maxThumbnailSourceBytes` (default 25 MiB) is refused from its
 *   stored size before a byte is read: 413 `thumbnail_source_too_large`.
 */
export const THUMBNAIL_JOB = 'files.thumbnail';
export const DEFAULT_SYNC_THUMBNAIL_BYTES = 2 * 1024 * 1024;
export const DEFAULT_THUMBNAIL_WAIT_MS = 10_000;
export const PENDING_RETRY_AFTER_S = 2;

/** What `?thumb=&fit=` asked for (already shape-checked by the route's schema). */
export interface ThumbRequest {
  thumb?: string | undefined;
  fit?: ThumbFit | undefined;
}

/** The bytes to serve: the original or a variant, with the view and ETag that go with them. */
export interface ContentTarget {
  key: string;
  file: FileView;
  etag: string;
}

/** A variant a job is still making: answer 202 with Retry-After. */
export interface PendingVariant {
  pending: true;
  retryAfter: number;
}

export interface ThumbnailPayload {
  fileId: string;
  width: number;
  height: number;
  fit: ThumbFit;
}

/** The part of the jobs module the files module uses (structural: files does not import jobs). */
export interface ThumbnailJobs {
  queue: Pick<JobQueue, 'get' | 'remove'>;
  enqueue(appId: string, name: string, payload: ThumbnailPayload, options: AddJobOptions): Promise<Job>;
}

export const thumbnailSourceTooLarge = (max: number) =>
  reasonError(
    'payload_too_large',
    'thumbnail_source_too_large',
    `The file is larger than this app's limit of ${max} bytes for thumbnail sources.`,
    { maxThumbnailSourceBytes: max },
  );

export const thumbnailJobId = (appId: string, fileId: string, spec: ThumbSpec) =>
  `thumb.${appId}.${fileId}.${variantName(spec)}`;

export class Variants {
  private jobs: ThumbnailJobs | null = null;

  constructor(
    private readonly options: {
      settings: FilesSettingsService;
      thumbnails: Thumbnailer;
      keyOf: (appId: string, fileId: string) => string;
      stat: (key: string) => Promise<{ size: number } | null>;
      syncBytes?: number;
      waitMs?: number;
    },
  ) {}

  /** From now on, large sources are rendered through the job queue. */
  useJobs(jobs: ThumbnailJobs): void {
    this.jobs = jobs;
  }

  /**
   * The thumbnail asked for, checked against the app's sizes, the file's type and the source cap;
   * null: the original.
   */
  async spec(appId: string, file: FileView, thumb: ThumbRequest): Promise<ThumbSpec | null> {
    if (thumb.thumb === undefined) return null;
    const size = parseThumbSize(thumb.thumb);
    const { thumbnailSizes, maxThumbnailSourceBytes } = await this.options.settings.get(appId);
    if (!size || !thumbnailSizes.includes(thumb.thumb)) throw thumbnailSizeNotAllowed(thumb.thumb, thumbnailSizes);
    if (!canThumbnail(file.type)) throw notAnImage(file.type);
    if (file.size > maxThumbnailSourceBytes) throw thumbnailSourceTooLarge(maxThumbnailSourceBytes);
    return { ...size, fit: thumb.fit ?? 'cover' };
  }

  /**
   * What to serve for `file`: the original, or (with `thumb`) that thumbnail, made first when
   * missing. 400 `thumbnail_size_not_allowed`, 415 `not_an_image`, 413 `image_too_large` (over the
   * pixel limit) or `thumbnail_source_too_large`; a pending job: PendingVariant.
   */
  async content(appId: string, file: FileView, thumb: ThumbRequest = {}): Promise<ContentTarget | PendingVariant> {
    const key = this.options.keyOf(appId, file.id);
    const spec = await this.spec(appId, file, thumb);
    if (!spec) return { key, file, etag: `"${file.sha256}"` };
    const made = await this.make(appId, file, spec);
    if ('pending' in made) return made;
    const stem = file.name.replace(/\.[^.]*$/, '') || 'file';
    return {
      key: made.key,
      file: { ...file, size: made.size, type: THUMBNAIL_TYPE, name: `${stem}-${sizeName(spec)}.webp` },
      etag: `"${file.sha256}.${variantName(spec)}"`,
    };
  }

  /** Renders a variant here and now (small sources; the job's handler). */
  render(appId: string, file: FileView, spec: ThumbSpec): Promise<{ key: string; size: number }> {
    return this.options.thumbnails.ensure({
      sourceKey: this.options.keyOf(appId, file.id),
      sourceType: file.type,
      spec,
    });
  }

  private async make(
    appId: string,
    file: FileView,
    spec: ThumbSpec,
  ): Promise<{ key: string; size: number } | PendingVariant> {
    const jobs = this.jobs;
    if (!jobs || file.size <= (this.options.syncBytes ?? DEFAULT_SYNC_THUMBNAIL_BYTES)) {
      return this.render(appId, file, spec);
    }
    const key = thumbnailKey(this.options.keyOf(appId, file.id), spec);
    const cached = await this.options.stat(key);
    if (cached) return { key, size: cached.size };
    const jobId = thumbnailJobId(appId, file.id, spec);
    const payload: ThumbnailPayload = { fileId: file.id, width: spec.width, height: spec.height, fit: spec.fit };
    let job = await jobs.enqueue(appId, THUMBNAIL_JOB, payload, { jobId });
    const until = Date.now() + (this.options.waitMs ?? DEFAULT_THUMBNAIL_WAIT_MS);
    for (let retried = false; ;) {
      if (job.state === 'completed') {
        const refused = refusal(job.result);
        if (refused) throw refused;
        const done = await this.options.stat(key);
        if (done) return { key, size: done.size };
        // Completed, yet the variant is gone (removed from the store): make it again, once.
        if (retried) return this.render(appId, file, spec);
      }
      if (job.state === 'completed' || job.state === 'failed') {
        await jobs.queue.remove(THUMBNAIL_JOB, jobId);
        if (job.state === 'failed' && retried) {
          throw new HearthError('unavailable', 'The thumbnail could not be made; try again later.');
        }
        retried = true;
        job = await jobs.enqueue(appId, THUMBNAIL_JOB, payload, { jobId });
        continue;
      }
      if (Date.now() >= until) return { pending: true, retryAfter: PENDING_RETRY_AFTER_S };
      await new Promise((r) => setTimeout(r, 100));
      job = (await jobs.queue.get(THUMBNAIL_JOB, jobId)) ?? job;
    }
  }
}

/** A render the job refused for good (not an image, over the pixel limit) comes back as its error. */
function refusal(result: unknown): HearthError | null {
  const r = result as { refused?: { code?: unknown; reason?: unknown; message?: unknown; details?: unknown } } | null;
  if (!r?.refused) return null;
  const { code, message, details } = r.refused;
  if (code === 'payload_too_large' || code === 'unsupported_media_type') {
    return new HearthError(code, typeof message === 'string' ? message : undefined, details as Record<string, unknown>);
  }
  return new HearthError('unavailable', 'The thumbnail could not be made; try again later.');
}
