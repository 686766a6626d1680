import type { Logger } from 'pino';
import { z } from 'zod';
import { HearthError, reasonError } from '../../errors.js';
import type { JsonValue } from '../../lib/filter/types.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { fieldDef } from '../collections/index.js';
import { SETTINGS } from './auth.collections.js';

/**
 * Per-app auth settings, kept in the app's own store (`_auth_settings`, one document). Admins
 * read and change them through `/v1/admin/apps/{app}/auth/settings`; every replica re-reads them
 * within a few seconds (short cache).
 *
 * Stored settings that no longer parse (edited by hand, written by another version) fail closed:
 * the app's auth routes answer 500 `internal` (reason `auth_settings_invalid`) and the problem is
 * logged, instead of silently running on the defaults (which open sign-up and anonymous sign-in).
 * An admin PATCH still works and is checked against the stored document, so it can repair them.
 */
const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

export const passwordPolicySchema = z.strictObject({
  minLength: z.number().int().min(8).max(256).default(10),
  maxLength: z.number().int().min(16).max(1024).default(256),
  requireLowercase: z.boolean().default(false),
  requireUppercase: z.boolean().default(false),
  requireDigit: z.boolean().default(false),
  requireSymbol: z.boolean().default(false),
  /** Refuse passwords that contain the account's email (local part) or are one repeated character. */
  refuseObvious: z.boolean().default(true),
});
export type PasswordPolicy = z.output<typeof passwordPolicySchema>;

const template = z.strictObject({
  subject: z.string().min(1).max(300),
  text: z.string().min(1).max(20_000),
  html: z.string().max(100_000).optional(),
});
export type MailTemplate = z.output<typeof template>;
export const MAIL_KINDS = ['verify', 'reset', 'magic-link'] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

const httpsOrLocalUrl = z.url({ protocol: /^https?$/ }).max(2000);

export const oidcProviderSchema = z.strictObject({
  /** `google`, `apple`, `github` use their presets; anything else needs `issuer`. */
  issuer: httpsOrLocalUrl.optional(),
  clientId: z.string().min(1).max(500),
  clientSecret: z.string().min(1).max(2000).optional(),
  scopes: z
    .array(z.string().regex(/^[\w:./-]{1,100}$/))
    .max(20)
    .optional(),
  enabled: z.boolean().default(true),
  /** Apple: the client secret is a JWT signed with this team's key (instead of clientSecret). */
  appleTeamId: z.string().max(20).optional(),
  appleKeyId: z.string().max(20).optional(),
  applePrivateKey: z.string().max(5000).optional(),
});
export type OidcProviderSettings = z.output<typeof oidcProviderSchema>;

export const authSettingsSchema = z.strictObject({
  allowSignup: z.boolean().default(true),
  allowAnonymous: z.boolean().default(true),
  /** Refuse password and magic-link sign-in until the email is verified. */
  requireVerifiedEmail: z.boolean().default(false),
  accessTokenTtl: seconds(60, 24 * 3600).default(900),
  refreshTokenTtl: seconds(3600, 365 * 24 * 3600).default(30 * 24 * 3600),
  passwordPolicy: passwordPolicySchema.default(() => passwordPolicySchema.parse({})),
  /** Failed logins per account before it is locked for `lockoutSeconds`. */
  maxFailedLogins: z.number().int().min(3).max(1000).default(10),
  lockoutSeconds: seconds(10, 24 * 3600).default(15 * 60),
  /** Requests per IP per 15 minutes to the sign-in style routes. */
  ipRequestsPer15Min: z.number().int().min(10).max(100_000).default(300),
  verifyTokenTtl: seconds(300, 7 * 24 * 3600).default(24 * 3600),
  resetTokenTtl: seconds(300, 24 * 3600).default(3600),
  magicLinkTtl: seconds(60, 3600).default(900),
  /** Where links in mails point: the app's page that reads `?token=` and calls the confirm route. */
  links: z
    .strictObject({
      verify: httpsOrLocalUrl.optional(),
      reset: httpsOrLocalUrl.optional(),
      magicLink: httpsOrLocalUrl.optional(),
    })
    .default({}),
  /** Allowed `redirectTo` targets for OAuth sign-in (exact origins or URL prefixes). */
  redirectUrls: z.array(httpsOrLocalUrl).max(50).default([]),
  mailFrom: z.string().max(320).optional(),
  templates: z.partialRecord(z.enum(MAIL_KINDS), template).default({}),
  /** The app's profile fields (`GET/PATCH /auth/me` → `profile`), same definitions as collections. */
  profileFields: z.array(fieldDef).max(100).default([]),
  /** A deleted user's documents: kept, unowned (owner null) or deleted. */
  onUserDelete: z.enum(['keep', 'unown', 'delete']).default('keep'),
  /** Provider names: `token` is taken by POST /auth/oauth/token. */
  oauth: z
    .record(
      z
        .string()
        .regex(/^[a-z][a-z0-9_-]{0,31}$/)
        .refine((n) => n !== 'token', 'is reserved'),
      oidcProviderSchema,
    )
    .default({}),
});
export type AuthSettings = z.output<typeof authSettingsSchema>;

/**
 * A PATCH: top-level keys replace (`links`, `templates` and `oauth` as a whole), except
 * `passwordPolicy`, which merges. An OAuth client secret sent back masked keeps the stored one.
 */
export const authSettingsPatch = z.strictObject(
  Object.fromEntries(
    Object.entries(authSettingsSchema.shape).map(([k, v]) => [k, (v as z.ZodDefault<z.ZodType>).unwrap().optional()]),
  ) as {
    [K in keyof typeof authSettingsSchema.shape]: z.ZodOptional<
      (typeof authSettingsSchema.shape)[K] extends z.ZodDefault<infer I> ? I : never
    >;
  },
);
export type AuthSettingsPatch = z.output<typeof authSettingsPatch>;

const MASK = '********';

export const DEFAULT_AUTH_SETTINGS: AuthSettings = authSettingsSchema.parse({});

/** The settings as admins see them: client secrets are never returned. */
export function settingsView(settings: AuthSettings): AuthSettings {
  const oauth = Object.fromEntries(
    Object.entries(settings.oauth).map(([name, p]) => [
      name,
      {
        ...p,
        ...(p.clientSecret ? { clientSecret: MASK } : {}),
        ...(p.applePrivateKey ? { applePrivateKey: MASK } : {}),
      },
    ]),
  );
  return { ...settings, oauth };
}

const settingsInvalid = () =>
  reasonError('internal', 'auth_settings_invalid', "This app's auth settings are invalid; an admin must correct them.");

export class AuthSettingsService {
  private readonly cache = new Map<string, { settings: AuthSettings | null; until: number }>();

  private readonly store: DocumentStore;
  private readonly now: () => Date;
  private readonly cacheMs: number;
  private readonly logger: Logger | undefined;

  constructor(options: {
    store: DocumentStore;
    now: () => Date;
    /** How long an app's settings are reused before they are read again (default 3 s). */
    cacheMs?: number;
    /** Where stored settings that no longer parse are reported. */
    logger?: Logger;
  }) {
    this.store = options.store;
    this.now = options.now;
    this.cacheMs = options.cacheMs ?? 3_000;
    this.logger = options.logger;
  }

  /** The app's settings (defaults when none are stored); throws when the stored ones are invalid. */
  async get(appId: string): Promise<AuthSettings> {
    const t = this.now().getTime();
    const hit = this.cache.get(appId);
    if (hit && hit.until > t) {
      if (!hit.settings) throw settingsInvalid();
      return hit.settings;
    }
    const { settings, issues } = await this.load(appId);
    if (this.cache.size > 10_000) this.cache.clear();
    // A failure is cached too: one log line per app per cache period, not one per request.
    this.cache.set(appId, { settings, until: t + this.cacheMs });
    if (!settings) {
      this.logger?.error(
        { appId, issues },
        'auth: the stored auth settings are invalid; refusing auth requests for this app until an admin corrects them',
      );
      throw settingsInvalid();
    }
    return settings;
  }

  private async load(
    appId: string,
  ): Promise<{ settings: AuthSettings | null; raw: unknown; issues: Record<string, string> }> {
    const doc = await this.store.forApp(appId).get(SETTINGS, 'settings');
    const raw = doc?.settings ?? {};
    const parsed = authSettingsSchema.safeParse(raw);
    if (parsed.success) return { settings: parsed.data, raw, issues: {} };
    return {
      settings: null,
      raw,
      issues: Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message])),
    };
  }

  async update(appId: string, patch: AuthSettingsPatch): Promise<AuthSettings> {
    // Invalid stored settings: the patch applies to what is stored, so it can repair it.
    const loaded = await this.load(appId);
    // (Unknown top-level keys are dropped: a PATCH could not name them to remove them.)
    const current = (loaded.settings ??
      Object.fromEntries(
        Object.entries(loaded.raw && typeof loaded.raw === 'object' ? loaded.raw : {}).filter(([k]) =>
          Object.hasOwn(authSettingsSchema.shape, k),
        ),
      )) as AuthSettings;
    const merged: Record<string, unknown> = { ...current };
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (key === 'passwordPolicy') {
        merged[key] = { ...(current.passwordPolicy as object | undefined), ...(value as object) };
      } else if (key === 'oauth') {
        const next: Record<string, OidcProviderSettings> = {};
        for (const [name, p] of Object.entries(value as Record<string, OidcProviderSettings>)) {
          // A masked secret sent back unchanged keeps the stored one.
          const stored = (current.oauth as AuthSettings['oauth'] | undefined)?.[name];
          const secret = p.clientSecret === MASK ? stored?.clientSecret : p.clientSecret;
          const key = p.applePrivateKey === MASK ? stored?.applePrivateKey : p.applePrivateKey;
          next[name] = { ...p, clientSecret: secret, applePrivateKey: key };
          if (!secret) delete next[name].clientSecret;
          if (!key) delete next[name].applePrivateKey;
        }
        merged.oauth = next;
      } else merged[key] = value;
    }
    const parsed = authSettingsSchema.safeParse(merged);
    if (!parsed.success) {
      throw new HearthError('validation_failed', 'The auth settings are invalid.', {
        fields: Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message])),
      });
    }
    const app = this.store.forApp(appId);
    const data = { settings: parsed.data as unknown as JsonValue };
    const existing = await app.get(SETTINGS, 'settings');
    if (existing) await app.replace(SETTINGS, 'settings', data);
    else await app.create(SETTINGS, { id: 'settings', data });
    this.cache.delete(appId);
    return parsed.data;
  }

  forget(appId: string): void {
    this.cache.delete(appId);
  }
}
