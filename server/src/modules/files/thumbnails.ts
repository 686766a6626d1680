import type { Readable } from 'node:stream';
import sharp from 'sharp';
import { HearthError, reasonError } from '../../errors.js';
import type { FileStore } from '../../ports/file-store.js';

/**
 * Thumbnails: `GET …/files/{id}/content?thumb=WxH&fit=cover|contain|inside`, made with sharp
 * (libvips) and cached in the file store next to the original, under
 * `<appId>/<fileId>.thumb-<W>x<H>-<fit>`: a key built from a size that is in the app's
 * `thumbnailSizes` and a fit from a fixed list, so a client can neither steer the key nor fill
 * the store with variants (at most sizes × 3 per file).
 *
 * `renderThumbnail` is the whole job (read the original, decode with a pixel limit against
 * decompression bombs, resize, encode WebP, write the variant); today the `Thumbnailer` runs it
 * synchronously behind a concurrency limit, and a job-queue handler can call the same function
 * once that port has engines.
 */
export const THUMB_FITS = ['cover', 'contain', 'inside'] as const;
export type ThumbFit = (typeof THUMB_FITS)[number];
export interface ThumbSpec {
  width: number;
  height: number;
  fit: ThumbFit;
}

/** `WxH`, each side 1…4096. */
export const THUMB_SIZE = /^([1-9]\d{0,3})x([1-9]\d{0,3})$/;
export const MAX_THUMB_SIDE = 4096;

/** What thumbnails are encoded as (small, alpha, every current phone and browser decodes it). */
export const THUMBNAIL_TYPE = 'image/webp';

/** Sniffed types sharp's prebuilt libvips decodes; anything else is 415 `not_an_image`. */
const THUMBNAILABLE = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);

/** Decoded pixels allowed by default (50 MP: a 48 MP phone photo passes, a bomb does not). */
export const DEFAULT_MAX_INPUT_PIXELS = 50_000_000;

export function parseThumbSize(size: string): { width: number; height: number } | null {
  const m = THUMB_SIZE.exec(size);
  if (!m) return null;
  const width = Number(m[1]);
  const height = Number(m[2]);
  return width <= MAX_THUMB_SIDE && height <= MAX_THUMB_SIDE ? { width, height } : null;
}

export const sizeName = (spec: ThumbSpec) => `${spec.width}x${spec.height}`;

/** The variant's name: in the file-store key, the ETag and the signed URL's HMAC. */
export const variantName = (spec: ThumbSpec) => `thumb-${sizeName(spec)}-${spec.fit}`;

export const thumbnailKey = (originalKey: string, spec: ThumbSpec) => `${originalKey}.${variantName(spec)}`;

export const canThumbnail = (type: string) => THUMBNAILABLE.has(type);

export const thumbnailSizeNotAllowed = (size: string, allowed: readonly string[]) =>
  reasonError(
    'invalid_request',
    'thumbnail_size_not_allowed',
    `Thumbnails of ${size} are not offered by this app; ask for one of its thumbnailSizes.`,
    { thumb: size, thumbnailSizes: [...allowed] },
  );

export const notAnImage = (type: string) =>
  reasonError('unsupported_media_type', 'not_an_image', `No thumbnail can be made of a file of type ${type}.`, {
    type,
  });

/**
 * Renders one variant: streams the original from the store through sharp into the store under
 * `targetKey` (written atomically by the port, so a failed render leaves nothing). Refuses an
 * image of more than `maxInputPixels` before decoding it (413 `image_too_large`) and input sharp
 * cannot decode (415 `not_an_image`). Never enlarges: a small image stays its size.
 */
export async function renderThumbnail(input: {
  files: FileStore;
  sourceKey: string;
  targetKey: string;
  spec: ThumbSpec;
  sourceType: string;
  maxInputPixels: number;
}): Promise<{ size: number }> {
  const { spec } = input;
  const source: Readable = await input.files.read(input.sourceKey);
  const transform = sharp({ limitInputPixels: input.maxInputPixels, sequentialRead: true })
    .rotate()
    .resize(spec.width, spec.height, {
      fit: spec.fit,
      withoutEnlargement: true,
      background: { r: 0, g: 0, b: 0, alpha: 0 },
    })
    .webp({ quality: 80 });
  source.once('error', (e) => transform.destroy(e));
  source.pipe(transform);
  try {
    return await input.files.write(input.targetKey, transform, { contentType: THUMBNAIL_TYPE });
  } catch (e) {
    source.destroy();
    throw renderError(e, input);
  } finally {
    transform.destroy();
  }
}

function renderError(e: unknown, input: { sourceType: string; maxInputPixels: number }): unknown {
  if (e instanceof HearthError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(message)) {
    return reasonError(
      'payload_too_large',
      'image_too_large',
      `The image has more than ${input.maxInputPixels} pixels; no thumbnail is made of it.`,
      { maxInputPixels: input.maxInputPixels },
      { cause: e },
    );
  }
  const err = notAnImage(input.sourceType);
  return new HearthError(err.code, err.message, err.details, { cause: e });
}

/**
 * Makes variants on demand: a cached one is served from the store; a missing one is rendered at
 * most `concurrency` at a time per process (libvips is CPU-heavy), and concurrent requests for
 * the same variant share one render.
 */
export class Thumbnailer {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly inflight = new Map<string, Promise<{ size: number }>>();

  constructor(private readonly options: { files: FileStore; maxInputPixels: number; concurrency: number }) {}

  get maxInputPixels(): number {
    return this.options.maxInputPixels;
  }

  /** The variant's key and size, rendering it first when it is not cached. */
  async ensure(input: {
    sourceKey: string;
    sourceType: string;
    spec: ThumbSpec;
  }): Promise<{ key: string; size: number }> {
    const key = thumbnailKey(input.sourceKey, input.spec);
    const cached = await this.options.files.stat(key);
    if (cached) return { key, size: cached.size };
    let render = this.inflight.get(key);
    if (!render) {
      render = this.limited(() =>
        renderThumbnail({
          files: this.options.files,
          sourceKey: input.sourceKey,
          targetKey: key,
          spec: input.spec,
          sourceType: input.sourceType,
          maxInputPixels: this.options.maxInputPixels,
        }),
      ).finally(() => this.inflight.delete(key));
      this.inflight.set(key, render);
    }
    return { key, size: (await render).size };
  }

  /** Runs `work` when one of `concurrency` slots is free; a finished job hands its slot to the next waiter. */
  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.options.concurrency) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
