import type { Logger } from 'pino';
import { z } from 'zod';
import { HearthError, reasonError } from '../../errors.js';
import type { JsonValue } from '../../lib/filter/types.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { parseThumbSize } from './thumbnails.js';

/**
 * Per-app file settings, kept in the app's own store (`_files_settings`, one document), the way
 * auth keeps its settings: the files module owns them, so the apps module's settings stay about
 * the app itself (CORS) and know nothing of every module's knobs. Admins read and change them at
 * `/v1/admin/apps/{app}/files/settings`; every replica re-reads them within a few seconds.
 * Stored settings that no longer parse fail closed (500 `internal`, logged) rather than running
 * on the defaults; an admin PATCH repairs them.
 */
export const SETTINGS = '_files_settings';

/** The largest per-app limit an admin may set (a deployment-wide ceiling): 5 GiB. */
export const MAX_FILE_SIZE_CEILING = 5 * 1024 ** 3;
/** The largest thumbnail source an admin may allow (sharp holds a compressed source in memory). */
export const MAX_THUMBNAIL_SOURCE_CEILING = 100 * 1024 ** 2;

const mimePattern = z
  .string()
  .regex(
    /^(\*\/\*|[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]{0,126}))$/,
    'must look like image/png, image/* or */*',
  );

export const filesSettingsSchema = z.strictObject({
  /** Largest file accepted, in bytes (larger: 413 `payload_too_large`, reason `file_too_large`). */
  maxFileSize: z
    .number()
    .int()
    .min(1)
    .max(MAX_FILE_SIZE_CEILING)
    .default(50 * 1024 * 1024),
  /** Sniffed types accepted (`image/png`, `image/*`, `*\/*`); others are 415. */
  allowedTypes: z
    .array(mimePattern)
    .max(100)
    .default(['image/*', 'audio/*', 'video/*', 'application/pdf', 'text/plain']),
  /** Total bytes of the app's files; null: no quota. Over it: 413, reason `quota_exceeded`. */
  quotaBytes: z.number().int().min(0).nullable().default(null),
  /** Thumbnail sizes offered (`WxH`, each side 1…4096); any other `?thumb=` is refused. */
  thumbnailSizes: z
    .array(z.string().refine((s) => parseThumbSize(s) !== null, 'must look like 256x256 (each side 1…4096)'))
    .max(20)
    .default(['64x64', '256x256', '512x512', '1024x1024']),
  /**
   * Largest file a thumbnail is made of, in bytes (larger: 413 `thumbnail_source_too_large`, the
   * file is never read); at most 100 MiB.
   */
  maxThumbnailSourceBytes: z
    .number()
    .int()
    .min(1)
    .max(MAX_THUMBNAIL_SOURCE_CEILING)
    .default(25 * 1024 * 1024),
  /** What deleting an app user does to the files they own: `delete` them (default) or `keep` them. */
  onUserDelete: z.enum(['delete', 'keep']).default('delete'),
});
export type FilesSettings = z.output<typeof filesSettingsSchema>;
export const filesSettingsPatch = z
  .strictObject({
    maxFileSize: filesSettingsSchema.shape.maxFileSize.unwrap().optional(),
    allowedTypes: filesSettingsSchema.shape.allowedTypes.unwrap().optional(),
    quotaBytes: filesSettingsSchema.shape.quotaBytes.unwrap().optional(),
    thumbnailSizes: filesSettingsSchema.shape.thumbnailSizes.unwrap().optional(),
    onUserDelete: filesSettingsSchema.shape.onUserDelete.unwrap().optional(),
    maxThumbnailSourceBytes: filesSettingsSchema.shape.maxThumbnailSourceBytes.unwrap().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'name at least one setting');
export type FilesSettingsPatch = z.output<typeof filesSettingsPatch>;
export const DEFAULT_FILES_SETTINGS: FilesSettings = filesSettingsSchema.parse({});

/** `type` matches `image/png`, `image/*` or `*\/*`. */
export function typeAllowed(type: string, allowed: readonly string[]): boolean {
  const [major] = type.split('/');
  return allowed.some((p) => p === '*/*' || p === type || p === `${major}/*`);
}

export class FilesSettingsService {
  private readonly cache = new Map<string, { settings: FilesSettings | null; until: number }>();

  constructor(private readonly options: { store: DocumentStore; now: () => Date; logger: Logger; cacheMs?: number }) {}

  async get(appId: string): Promise<FilesSettings> {
    const t = this.options.now().getTime();
    const hit = this.cache.get(appId);
    if (!hit || hit.until <= t) {
      const doc = await this.options.store.forApp(appId).get(SETTINGS, 'settings');
      const parsed = filesSettingsSchema.safeParse(doc?.settings ?? {});
      if (!parsed.success) this.options.logger.error({ appId }, 'files: the stored file settings are invalid');
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(appId, {
        settings: parsed.success ? parsed.data : null,
        until: t + (this.options.cacheMs ?? 3000),
      });
    }
    const settings = this.cache.get(appId)!.settings;
    if (!settings) {
      throw reasonError(
        'internal',
        'files_settings_invalid',
        "This app's file settings are invalid; an admin must correct them.",
      );
    }
    return settings;
  }

  async update(appId: string, patch: FilesSettingsPatch): Promise<FilesSettings> {
    const app = this.options.store.forApp(appId);
    const existing = await app.get(SETTINGS, 'settings');
    const stored = existing?.settings && typeof existing.settings === 'object' ? existing.settings : {};
    const known = Object.fromEntries(
      Object.entries(stored).filter(([k]) => Object.hasOwn(filesSettingsSchema.shape, k)),
    );
    const parsed = filesSettingsSchema.safeParse({ ...known, ...patch });
    if (!parsed.success) {
      throw new HearthError('validation_failed', 'The file settings are invalid.', {
        fields: Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message])),
      });
    }
    const data = { settings: parsed.data as unknown as JsonValue };
    if (existing) await app.replace(SETTINGS, 'settings', data);
    else await app.create(SETTINGS, { id: 'settings', data });
    this.cache.delete(appId);
    return parsed.data;
  }

  forget(appId: string): void {
    this.cache.delete(appId);
  }
}
