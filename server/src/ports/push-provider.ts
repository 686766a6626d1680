/**
 * The push-provider port: one engine per platform (FCM HTTP v1 for Android, APNs over HTTP/2 for
 * iOS, Web Push with VAPID for browsers), each sending one notification to one device with an
 * app's credentials and telling what became of it. The push module decides what to send and to
 * whom; a provider only speaks its protocol.
 *
 * Every outcome is one of four, and nothing provider-specific leaves an engine except the short
 * `reason` code below (the provider's body stays in logs):
 * - `sent`: the provider accepted it;
 * - `invalid-token`: the provider says the device token / subscription is dead (FCM
 *   UNREGISTERED or 404, APNs 410 or BadDeviceToken, Web Push 404/410): deactivate it;
 * - `retry-after`: throttled or briefly down (429, 503): try again after `afterMs`;
 * - `failed`: refused for another reason (bad credentials, bad payload, network error).
 * `send` never throws for a provider's answer; it throws only for a programming error.
 */

export type PushPlatform = 'ios' | 'android' | 'web';
export const PUSH_PLATFORMS: readonly PushPlatform[] = ['ios', 'android', 'web'];

/** What a device receives, already localised for it. */
export interface PushNotification {
  title?: string | undefined;
  body?: string | undefined;
  /** Custom key/values delivered to the app (FCM needs strings: values are JSON-encoded there). */
  data?: Record<string, unknown> | undefined;
  badge?: number | undefined;
  sound?: string | undefined;
  image?: string | undefined;
  collapseId?: string | undefined;
  /** Seconds the provider keeps it for an offline device (0: now or never). */
  ttlSeconds: number;
  priority: 'high' | 'normal';
}

export interface FcmCredentials {
  projectId: string;
  clientEmail: string;
  /** PEM (PKCS#8) from the service account JSON. */
  privateKey: string;
}

export interface ApnsCredentials {
  /** PEM of the .p8 key. */
  key: string;
  keyId: string;
  teamId: string;
  /** The bundle id (or bundle id + suffix for VoIP …): `apns-topic`. */
  topic: string;
  environment: 'sandbox' | 'production';
}

export interface VapidCredentials {
  publicKey: string;
  privateKey: string;
  /** `mailto:` or `https:` contact of the sender. */
  subject: string;
}

export interface WebPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export type DeliveryOutcome =
  | { outcome: 'sent' }
  | { outcome: 'invalid-token'; reason: string }
  | { outcome: 'retry-after'; afterMs: number; reason: string }
  | { outcome: 'failed'; reason: string };

export interface SendInput<C, T> {
  /** Identifies whose credentials these are (cached tokens and connections are per app). */
  appId: string;
  credentials: C;
  /** A device token (FCM, APNs) or a subscription (Web Push). */
  target: T;
  notification: PushNotification;
}

export interface PushProvider<C, T> {
  readonly provider: 'fcm' | 'apns' | 'webpush';
  send(input: SendInput<C, T>): Promise<DeliveryOutcome>;
  /** Closes connections (APNs sessions, keep-alive sockets). */
  close(): Promise<void>;
}

/** The three providers, by the platform they serve. */
export interface PushProviders {
  android: PushProvider<FcmCredentials, string>;
  ios: PushProvider<ApnsCredentials, string>;
  web: PushProvider<VapidCredentials, WebPushSubscription>;
}

/** Retry-After (seconds or an HTTP date) → milliseconds, within [1 s, 1 h]; absent: `fallbackMs`. */
export function retryAfterMs(header: string | string[] | undefined | null, now: number, fallbackMs = 5000): number {
  const value = Array.isArray(header) ? header[0] : header;
  let ms = fallbackMs;
  if (value && /^\d+$/.test(value.trim())) ms = Number(value.trim()) * 1000;
  else if (value && !Number.isNaN(Date.parse(value))) ms = Date.parse(value) - now;
  return Math.min(3_600_000, Math.max(1000, ms));
}

/** The largest notification payload every provider accepts (APNs and FCM: 4 KB). */
export const MAX_PUSH_PAYLOAD_BYTES = 4096;
