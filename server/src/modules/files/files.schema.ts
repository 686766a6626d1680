import { z } from 'zod';
import { idParam } from '../../http/schemas.js';
import { THUMB_FITS, THUMB_SIZE } from './thumbnails.js';

/** Request and response schemas of the files routes (validation, types and /openapi.json). */
export const fileView = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number().int(),
  /** Sniffed from the bytes, never taken from the client. */
  type: z.string(),
  sha256: z.string(),
  public: z.boolean(),
  owner: z.string().nullable(),
  createdAt: z.string(),
});
export type FileView = z.output<typeof fileView>;

export const fileParams = z.object({ appId: idParam, fileId: idParam });
export const appParams = z.object({ appId: idParam });

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const uploadQuery = z.object({
  /** Readable by anyone with the app's key. */
  public: flag.default(false),
});

/** The multipart body, for /openapi.json only (multer reads the body, not zod). */
export const UPLOAD_BODY_SCHEMA = {
  type: 'object',
  required: ['file'],
  properties: { file: { type: 'string', format: 'binary', description: 'Exactly one file part, named "file".' } },
} as const;

export const contentQuery = z.object({
  /** Signed URL: expiry (unix seconds) and signature, from POST …/files/{id}/url. */
  exp: z
    .string()
    .regex(/^\d{1,12}$/)
    .optional(),
  sig: z.string().max(200).optional(),
  ...thumbQuery(),
});

/** `thumb=WxH` (one of the app's thumbnailSizes) and `fit` (default cover): a thumbnail, WebP. */
function thumbQuery() {
  return {
    thumb: z.string().regex(THUMB_SIZE, 'must look like 256x256').optional(),
    fit: z.enum(THUMB_FITS).optional(),
  };
}

export const signedUrlBody = z.strictObject({
  /** Seconds until the URL stops working (default one hour, at most seven days). */
  expiresIn: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .default(3600),
  /** A URL to this thumbnail of the file instead of the original. */
  ...thumbQuery(),
});
export const signedUrlView = z.object({ url: z.string(), expiresAt: z.string() });

export const usageView = z.object({
  files: z.number().int(),
  bytes: z.number().int(),
  quotaBytes: z.number().int().nullable(),
});

/** PATCH …/files/{id}: at least one of them. */
export const fileChangeBody = z
  .strictObject({
    /** Readable by anyone with the app's key. */
    public: z.boolean().optional(),
    /** The display name (cleaned like an upload's: last path segment, no control characters). */
    name: z.string().min(1).max(255).optional(),
  })
  .refine((b) => b.public !== undefined || b.name !== undefined, 'name public or name');

/** GET …/content while a thumbnail job is still making the variant (202). */
export const pendingView = z.object({
  status: z.literal('pending'),
  /** Seconds to wait before asking again (also in Retry-After). */
  retryAfter: z.number().int(),
});
