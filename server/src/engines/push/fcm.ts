import type https from 'node:https';
import jwt from 'jsonwebtoken';
import {
  retryAfterMs,
  type DeliveryOutcome,
  type FcmCredentials,
  type PushNotification,
  type PushProvider,
  type SendInput,
} from '../../ports/push-provider.js';
import { postHttps, pushAgent } from './https.js';

/**
 * FCM HTTP v1 (`POST {api}/v1/projects/{project}/messages:send`). The service account's key signs
 * a JWT assertion (RS256, scope firebase.messaging, audience the token URL) exchanged at the
 * OAuth2 token URL for an access token, cached per service account until a minute before it
 * expires (one exchange in flight per account). Outcomes: 200 sent; 404 / UNREGISTERED
 * invalid-token; 429 and 5xx retry-after (its Retry-After); 401 drops the cached token, failed.
 */
export interface FcmSettings {
  apiUrl: string;
  tokenUrl: string;
  ca?: string | undefined;
  timeoutMs: number;
  now: () => number;
}

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** The v1 `Message` for one device (data values are strings in FCM: non-strings are JSON). */
export function fcmMessage(token: string, n: PushNotification): Record<string, unknown> {
  const data = Object.fromEntries(
    Object.entries(n.data ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  const notification = n.title || n.body || n.image ? { title: n.title, body: n.body, image: n.image } : undefined;
  const androidNotification =
    n.sound || n.badge !== undefined || n.collapseId
      ? { sound: n.sound, notification_count: n.badge, tag: n.collapseId }
      : undefined;
  return {
    token,
    ...(notification ? { notification } : {}),
    ...(Object.keys(data).length ? { data } : {}),
    android: {
      priority: n.priority === 'high' ? 'HIGH' : 'NORMAL',
      ttl: `${n.ttlSeconds}s`,
      ...(n.collapseId ? { collapse_key: n.collapseId } : {}),
      ...(androidNotification && notification ? { notification: androidNotification } : {}),
    },
  };
}

function fcmErrorCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { status?: string; details?: Array<{ errorCode?: string }> } };
    return parsed.error?.details?.find((d) => d.errorCode)?.errorCode ?? parsed.error?.status;
  } catch {
    return undefined;
  }
}

export function createFcmProvider(settings: FcmSettings): PushProvider<FcmCredentials, string> {
  const agent: https.Agent = pushAgent({ ca: settings.ca, maxSockets: 64 });
  const tokens = new Map<string, CachedToken>();
  const pending = new Map<string, Promise<CachedToken>>();

  async function exchange(c: FcmCredentials): Promise<CachedToken> {
    const iat = Math.floor(settings.now() / 1000);
    const assertion = jwt.sign(
      { iss: c.clientEmail, sub: c.clientEmail, scope: FCM_SCOPE, aud: settings.tokenUrl, iat, exp: iat + 3600 },
      c.privateKey,
      { algorithm: 'RS256' },
    );
    const reply = await postHttps(settings.tokenUrl, {
      agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
      timeoutMs: settings.timeoutMs,
    });
    if (reply.status !== 200) throw new TokenRefused(reply.status);
    const parsed = JSON.parse(reply.body) as { access_token?: unknown; expires_in?: unknown };
    if (typeof parsed.access_token !== 'string') throw new TokenRefused(reply.status);
    const lifetime = typeof parsed.expires_in === 'number' ? parsed.expires_in : 3600;
    return { token: parsed.access_token, expiresAt: settings.now() + lifetime * 1000 };
  }

  async function accessToken(c: FcmCredentials): Promise<string> {
    const key = `${c.projectId}\0${c.clientEmail}\0${c.privateKey.length}`;
    const cached = tokens.get(key);
    if (cached && cached.expiresAt - 60_000 > settings.now()) return cached.token;
    let flight = pending.get(key);
    if (!flight) {
      flight = exchange(c).finally(() => pending.delete(key));
      pending.set(key, flight);
    }
    const fresh = await flight;
    tokens.set(key, fresh);
    return fresh.token;
  }

  return {
    provider: 'fcm',
    async send(input: SendInput<FcmCredentials, string>): Promise<DeliveryOutcome> {
      const c = input.credentials;
      let bearer: string;
      try {
        bearer = await accessToken(c);
      } catch (err) {
        if (err instanceof TokenRefused && err.status >= 400 && err.status < 500) {
          return { outcome: 'failed', reason: 'credentials_refused' };
        }
        return { outcome: 'retry-after', afterMs: 5000, reason: 'token_endpoint_unavailable' };
      }
      let reply;
      try {
        reply = await postHttps(`${settings.apiUrl}/v1/projects/${encodeURIComponent(c.projectId)}/messages:send`, {
          agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
          body: JSON.stringify({ message: fcmMessage(input.target, input.notification) }),
          timeoutMs: settings.timeoutMs,
        });
      } catch {
        return { outcome: 'retry-after', afterMs: 5000, reason: 'unreachable' };
      }
      if (reply.status === 200) return { outcome: 'sent' };
      const code = fcmErrorCode(reply.body);
      if (reply.status === 404 || code === 'UNREGISTERED') return { outcome: 'invalid-token', reason: 'unregistered' };
      if (reply.status === 429 || reply.status >= 500) {
        return {
          outcome: 'retry-after',
          afterMs: retryAfterMs(reply.headers['retry-after'], settings.now()),
          reason: reply.status === 429 ? 'quota_exceeded' : 'unavailable',
        };
      }
      if (reply.status === 401) {
        tokens.clear();
        return { outcome: 'failed', reason: 'credentials_refused' };
      }
      if (reply.status === 403) return { outcome: 'failed', reason: 'sender_id_mismatch' };
      return { outcome: 'failed', reason: 'invalid_argument' };
    },
    close: async () => agent.destroy(),
  };
}

class TokenRefused extends Error {
  constructor(readonly status: number) {
    super(`token exchange answered ${status}`);
  }
}
