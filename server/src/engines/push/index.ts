import { DENY_PRIVATE, type OutboundPolicy } from '../../lib/outbound/policy.js';
import type { LookupAll } from '../../lib/outbound/request.js';
import type { PushProviders } from '../../ports/push-provider.js';
import { createApnsProvider } from './apns.js';
import { createFcmProvider } from './fcm.js';
import { createWebPushProvider } from './webpush.js';

/**
 * The three push providers with their endpoints: Google's and Apple's by default, overridable
 * (PUSH_FCM_URL, PUSH_FCM_TOKEN_URL, PUSH_APNS_URL, PUSH_CA_FILE) so tests and staging point them
 * at local servers whose certificate the extra CA vouches for.
 */
export interface PushSettings {
  fcmApiUrl?: string | undefined;
  fcmTokenUrl?: string | undefined;
  /** Replaces both APNs hosts (production and sandbox). */
  apnsUrl?: string | undefined;
  /** An extra CA (PEM) the push clients trust besides the system roots. */
  ca?: string | undefined;
  /** Which addresses Web Push endpoints may reach (OUTBOUND_ALLOW_*; default: public only). */
  outbound?: OutboundPolicy;
  /** The resolver behind Web Push's connect-time address check (tests). */
  resolveAll?: LookupAll;
  timeoutMs?: number;
  now?: () => number;
}

export const FCM_API_URL = 'https://fcm.googleapis.com';
export const FCM_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const APNS_PRODUCTION_URL = 'https://api.push.apple.com';
export const APNS_SANDBOX_URL = 'https://api.sandbox.push.apple.com';

export function createPushProviders(settings: PushSettings = {}): PushProviders & { close(): Promise<void> } {
  const now = settings.now ?? Date.now;
  const timeoutMs = settings.timeoutMs ?? 15_000;
  const android = createFcmProvider({
    apiUrl: settings.fcmApiUrl ?? FCM_API_URL,
    tokenUrl: settings.fcmTokenUrl ?? FCM_TOKEN_URL,
    ca: settings.ca,
    timeoutMs,
    now,
  });
  const ios = createApnsProvider({
    productionUrl: settings.apnsUrl ?? APNS_PRODUCTION_URL,
    sandboxUrl: settings.apnsUrl ?? APNS_SANDBOX_URL,
    ca: settings.ca,
    timeoutMs,
    now,
  });
  const web = createWebPushProvider({
    ca: settings.ca,
    timeoutMs,
    policy: settings.outbound ?? DENY_PRIVATE,
    ...(settings.resolveAll ? { resolveAll: settings.resolveAll } : {}),
    now,
  });
  return {
    android,
    ios,
    web,
    close: async () => {
      await Promise.all([android.close(), ios.close(), web.close()]);
    },
  };
}
