import { createHash } from 'node:crypto';
import webPush from 'web-push';
import { checkUrlSyntax, OutboundRefused, type OutboundPolicy } from '../../lib/outbound/policy.js';
import { checkedLookup, type LookupAll } from '../../lib/outbound/request.js';
import {
  retryAfterMs,
  type DeliveryOutcome,
  type PushNotification,
  type PushProvider,
  type SendInput,
  type VapidCredentials,
  type WebPushSubscription,
} from '../../ports/push-provider.js';
import { pushAgent } from './https.js';

/**
 * Web Push (RFC 8030 delivery, RFC 8291 aes128gcm encryption, RFC 8292 VAPID) through the
 * `web-push` library: `TTL`, `Urgency` (high / normal) and `Topic` (the collapse id, made a
 * 32-character base64url value when it is not one). The payload is the notification as JSON for
 * the service worker. Endpoints come from browsers, so only https is sent to, under the same
 * SSRF policy as webhooks (lib/outbound: OUTBOUND_ALLOW_PRIVATE / OUTBOUND_ALLOW_CIDRS): an
 * endpoint whose host is, or resolves at connect time to, a private, loopback, link-local or
 * metadata address is refused (`invalid-token`, `endpoint_not_allowed`: the installation is
 * deactivated) and nothing is sent; the socket only ever gets checked addresses (DNS rebinding).
 * Outcomes: 201/200/202 sent; 404/410 invalid-token; 429/5xx retry-after; others failed.
 */
export interface WebPushSettings {
  ca?: string | undefined;
  timeoutMs: number;
  /** Which addresses endpoints may reach (the outbound policy). */
  policy: OutboundPolicy;
  /** The resolver behind the connect-time check (default: the system's; tests). */
  resolveAll?: LookupAll;
  now: () => number;
}

export function webPushPayload(n: PushNotification): string {
  return JSON.stringify({
    title: n.title,
    body: n.body,
    data: n.data,
    badge: n.badge,
    image: n.image,
    sound: n.sound,
    tag: n.collapseId,
  });
}

/** RFC 8030 topics are at most 32 characters of the URL-safe base64 alphabet. */
export function webPushTopic(collapseId: string): string {
  return /^[A-Za-z0-9_-]{1,32}$/.test(collapseId)
    ? collapseId
    : createHash('sha256').update(collapseId).digest('base64url').slice(0, 32);
}

export function createWebPushProvider(settings: WebPushSettings): PushProvider<VapidCredentials, WebPushSubscription> {
  const agent = pushAgent({
    ca: settings.ca,
    maxSockets: 64,
    lookup: checkedLookup(settings.policy, settings.resolveAll),
  });
  // One VAPID JWT per (app, push service origin, key) for 12 hours, not one signature per send.
  const vapid = new Map<string, { authorization: string; expires: number }>();
  const authorization = (appId: string, origin: string, c: VapidCredentials): string => {
    const key = `${appId}\0${origin}\0${c.publicKey}`;
    const nowS = Math.floor(settings.now() / 1000);
    const hit = vapid.get(key);
    if (hit && hit.expires - 3600 > nowS) return hit.authorization;
    const expires = nowS + 12 * 3600;
    const headers = webPush.getVapidHeaders(origin, c.subject, c.publicKey, c.privateKey, 'aes128gcm', expires);
    if (vapid.size > 10_000) vapid.clear();
    vapid.set(key, { authorization: headers.Authorization, expires });
    return headers.Authorization;
  };
  return {
    provider: 'webpush',
    async send(input: SendInput<VapidCredentials, WebPushSubscription>): Promise<DeliveryOutcome> {
      let url: URL;
      try {
        url = checkUrlSyntax(input.target.endpoint, settings.policy);
      } catch (e) {
        const invalid = e instanceof OutboundRefused && e.problem === 'invalid_url';
        return { outcome: 'invalid-token', reason: invalid ? 'endpoint_invalid' : 'endpoint_not_allowed' };
      }
      if (url.protocol !== 'https:') return { outcome: 'invalid-token', reason: 'endpoint_not_allowed' };
      const n = input.notification;
      let auth: string;
      try {
        auth = authorization(input.appId, url.origin, input.credentials);
      } catch {
        return { outcome: 'failed', reason: 'credentials_invalid' };
      }
      try {
        await webPush.sendNotification(input.target, webPushPayload(n), {
          headers: { Authorization: auth },
          TTL: n.ttlSeconds,
          urgency: n.priority === 'high' ? 'high' : 'normal',
          ...(n.collapseId ? { topic: webPushTopic(n.collapseId) } : {}),
          contentEncoding: 'aes128gcm',
          agent,
          timeout: settings.timeoutMs,
        });
        return { outcome: 'sent' };
      } catch (err) {
        // the connect-time lookup found only refused addresses (the name points elsewhere now)
        if (err instanceof OutboundRefused) return { outcome: 'invalid-token', reason: 'endpoint_not_allowed' };
        const e = err as { statusCode?: number; headers?: Record<string, string> };
        const status = e.statusCode;
        if (!status) return { outcome: 'retry-after', afterMs: 5000, reason: 'unreachable' };
        if (status === 404 || status === 410)
          return { outcome: 'invalid-token', reason: status === 410 ? 'gone' : 'not_found' };
        if (status === 429 || status >= 500) {
          return {
            outcome: 'retry-after',
            afterMs: retryAfterMs(e.headers?.['retry-after'], settings.now()),
            reason: status === 429 ? 'too_many_requests' : 'unavailable',
          };
        }
        if (status === 413) return { outcome: 'failed', reason: 'payload_too_large' };
        if (status === 401 || status === 403) return { outcome: 'failed', reason: 'credentials_refused' };
        return { outcome: 'failed', reason: `webpush_${status}` };
      }
    },
    close: async () => agent.destroy(),
  };
}
