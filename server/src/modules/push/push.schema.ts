import { z } from 'zod';
import { idParam } from '../../http/schemas.js';

/** Request and response schemas of the push routes (validation, types and /openapi.json). */
export const appParams = z.object({ appId: idParam });
export const installationParams = z.object({ appId: idParam, installationId: idParam });
export const messageParams = z.object({ appId: idParam, messageId: idParam });
export const credentialParams = z.object({ appId: idParam, kind: z.enum(['fcm', 'apns', 'vapid']) });

export const platform = z.enum(['ios', 'android', 'web']);
const channel = z.string().regex(/^[A-Za-z0-9_:.-]{1,64}$/, 'must be 1-64 letters, digits, _ : . -');
export const locale = z
  .string()
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/, 'must be a language tag such as fr or pt-BR');

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
export const timeZone = z.string().max(64).refine(validTimeZone, 'must be an IANA time zone such as Europe/Paris');

export const subscription = z.strictObject({
  endpoint: z.url({ protocol: /^https$/ }).max(2048),
  keys: z.strictObject({
    p256dh: z.string().regex(/^[A-Za-z0-9_-]{80,100}={0,2}$/, 'must be the base64url P-256 key'),
    auth: z.string().regex(/^[A-Za-z0-9_-]{16,32}={0,2}$/, 'must be the base64url auth secret'),
  }),
});

const installationFields = {
  channels: z.array(channel).max(100).optional(),
  locale: locale.optional(),
  timeZone: timeZone.optional(),
  appVersion: z.string().min(1).max(32).optional(),
  badge: z.number().int().min(0).max(1_000_000).optional(),
};

export const installationInput = z.strictObject({
  platform,
  /** APNs device token (hex) for ios, FCM registration token for android. */
  token: z.string().min(1).max(4096).optional(),
  /** `PushSubscription.toJSON()` for web. */
  subscription: subscription.optional(),
  ...installationFields,
});
export type InstallationInput = z.output<typeof installationInput>;

export const installationPatch = z
  .strictObject({ token: installationInput.shape.token, subscription: subscription.optional(), ...installationFields })
  .refine((p) => Object.keys(p).length > 0, 'name at least one field');
export type InstallationPatch = z.output<typeof installationPatch>;

export const installationView = z.object({
  id: z.string(),
  platform,
  token: z.string().nullable(),
  endpoint: z.string().nullable(),
  userId: z.string().nullable(),
  channels: z.array(z.string()),
  locale: z.string().nullable(),
  timeZone: z.string().nullable(),
  appVersion: z.string().nullable(),
  badge: z.number().int().nullable(),
  active: z.boolean(),
  deactivatedReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type InstallationView = z.output<typeof installationView>;

export const installationsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  after: z.string().min(1).max(4096).optional(),
  userId: idParam.optional(),
  platform: platform.optional(),
  channel: channel.optional(),
});

const text = z.string().max(2000);
export const notification = z.strictObject({
  title: z.string().max(500).optional(),
  body: text.optional(),
  data: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/), z.unknown()).optional(),
  badge: z.number().int().min(0).max(1_000_000).optional(),
  sound: z.string().max(200).optional(),
  image: z
    .url({ protocol: /^https$/ })
    .max(2048)
    .optional(),
});

export const target = z
  .strictObject({
    users: z.array(idParam).min(1).max(1000).optional(),
    channels: z.array(channel).min(1).max(100).optional(),
    installations: z.array(idParam).min(1).max(1000).optional(),
    /** A filter on installation fields (platform, channels, locale, timeZone, appVersion, badge, userId). */
    filter: z.record(z.string(), z.unknown()).optional(),
    all: z.literal(true).optional(),
  })
  .refine((t) => Object.keys(t).length > 0, 'name a target: users, channels, installations, filter or all')
  .refine((t) => !(t.all && Object.keys(t).length > 1), '`all` cannot be combined with other targets');
export type Target = z.output<typeof target>;

export const messageInput = z.strictObject({
  target,
  notification,
  /** Per-locale title/body ("fr", "pt-BR"); an installation gets its locale, then its language, then `notification`. */
  localized: z
    .record(locale, z.strictObject({ title: z.string().max(500).optional(), body: text.optional() }))
    .optional(),
  collapseId: z.string().min(1).max(64).optional(),
  /** Seconds a provider keeps the message for an offline device (default 4 weeks, 0: now or never). */
  ttl: z
    .number()
    .int()
    .min(0)
    .max(28 * 86_400)
    .default(28 * 86_400),
  priority: z.enum(['high', 'normal']).default('high'),
  /** When to send (ISO-8601); with `localTime`, a wall-clock time without offset read in each installation's zone. */
  sendAt: z.string().max(40).optional(),
  localTime: z.boolean().default(false),
});
export type MessageInput = z.output<typeof messageInput>;

const counts = z.object({ sent: z.number().int(), failed: z.number().int(), invalid: z.number().int() });
export const messageView = z.object({
  id: z.string(),
  state: z.enum(['scheduled', 'sending', 'done', 'cancelled', 'failed']),
  target: z.record(z.string(), z.unknown()),
  notification: z.record(z.string(), z.unknown()),
  sendAt: z.string().nullable(),
  localTime: z.boolean(),
  counts: counts.extend({ targeted: z.number().int() }),
  providers: z.object({ ios: counts, android: counts, web: counts }),
  errors: z.array(z.object({ platform, reason: z.string(), installationId: z.string() })),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type MessageView = z.output<typeof messageView>;
export const messageAccepted = z.object({ id: z.string(), state: z.enum(['scheduled', 'sending']) });
export const messagesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).max(4096).optional(),
  state: z.enum(['scheduled', 'sending', 'done', 'cancelled', 'failed']).optional(),
});
