import http2, { type ClientHttp2Session } from 'node:http2';
import jwt from 'jsonwebtoken';
import {
  retryAfterMs,
  type ApnsCredentials,
  type DeliveryOutcome,
  type PushNotification,
  type PushProvider,
  type SendInput,
} from '../../ports/push-provider.js';
import { secureContextWith } from './https.js';

/**
 * APNs over HTTP/2 with token-based auth: one HTTP/2 session per (app, environment), reused for
 * every request (APNs asks for long-lived connections) and reopened when it closes or goes away;
 * one ES256 provider token per (app, key), renewed after 50 minutes (APNs refuses tokens older
 * than 60 and renewals more often than every 20). Headers: `apns-push-type` (alert when there is
 * a title or body, else background), `apns-topic`, `apns-collapse-id`, `apns-expiration`,
 * `apns-priority` (10 high, 5 normal and always for background).
 */
export interface ApnsSettings {
  productionUrl: string;
  sandboxUrl: string;
  ca?: string | undefined;
  timeoutMs: number;
  now: () => number;
}

const TOKEN_RENEW_MS = 50 * 60_000;

/** APNs reasons → the outcome's reason (snake case; unknown reasons by status). */
const INVALID_REASONS: Record<string, string> = {
  BadDeviceToken: 'bad_device_token',
  Unregistered: 'unregistered',
  DeviceTokenNotForTopic: 'device_token_not_for_topic',
};
const FAILED_REASONS: Record<string, string> = {
  BadCollapseId: 'bad_collapse_id',
  BadExpirationDate: 'bad_expiration_date',
  BadPriority: 'bad_priority',
  BadTopic: 'bad_topic',
  MissingTopic: 'bad_topic',
  TopicDisallowed: 'topic_disallowed',
  PayloadEmpty: 'payload_empty',
  PayloadTooLarge: 'payload_too_large',
  InvalidPushType: 'invalid_push_type',
  InvalidProviderToken: 'credentials_refused',
  ExpiredProviderToken: 'credentials_refused',
  MissingProviderToken: 'credentials_refused',
};

export function apnsPayload(n: PushNotification): Record<string, unknown> {
  const alert =
    n.title || n.body ? { ...(n.title ? { title: n.title } : {}), ...(n.body ? { body: n.body } : {}) } : undefined;
  const aps: Record<string, unknown> = {
    ...(alert ? { alert } : { 'content-available': 1 }),
    ...(n.badge !== undefined ? { badge: n.badge } : {}),
    ...(n.sound ? { sound: n.sound } : {}),
    ...(n.image ? { 'mutable-content': 1 } : {}),
    ...(n.collapseId ? { 'thread-id': n.collapseId } : {}),
  };
  const custom = Object.fromEntries(Object.entries(n.data ?? {}).filter(([k]) => k !== 'aps'));
  return { ...custom, ...(n.image ? { image: n.image } : {}), aps };
}

function apnsReason(body: string): string {
  try {
    return String((JSON.parse(body) as { reason?: unknown }).reason ?? '');
  } catch {
    return '';
  }
}

export function createApnsProvider(settings: ApnsSettings): PushProvider<ApnsCredentials, string> {
  const sessions = new Map<string, ClientHttp2Session>();
  const tokens = new Map<string, { token: string; issuedAt: number }>();
  const secureContext = settings.ca ? secureContextWith(settings.ca) : undefined;

  function session(appId: string, c: ApnsCredentials): ClientHttp2Session {
    const key = `${appId}\0${c.environment}`;
    const open = sessions.get(key);
    if (open && !open.closed && !open.destroyed) return open;
    const url = c.environment === 'production' ? settings.productionUrl : settings.sandboxUrl;
    const created = http2.connect(url, secureContext ? { secureContext } : {});
    const forget = () => {
      if (sessions.get(key) === created) sessions.delete(key);
    };
    created.on('close', forget);
    created.on('goaway', forget);
    created.on('error', forget);
    created.unref();
    sessions.set(key, created);
    return created;
  }

  function providerToken(appId: string, c: ApnsCredentials): string {
    const key = `${appId}\0${c.keyId}\0${c.teamId}`;
    const t = settings.now();
    const cached = tokens.get(key);
    if (cached && t - cached.issuedAt < TOKEN_RENEW_MS) return cached.token;
    const token = jwt.sign({ iss: c.teamId, iat: Math.floor(t / 1000) }, c.key, {
      algorithm: 'ES256',
      keyid: c.keyId,
    });
    tokens.set(key, { token, issuedAt: t });
    return token;
  }

  function request(
    s: ClientHttp2Session,
    headers: Record<string, string>,
    body: string,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const stream = s.request(headers);
      let status = 0;
      let replyHeaders: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      stream.setTimeout(settings.timeoutMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      stream.on('response', (h) => {
        status = Number(h[':status']);
        replyHeaders = h;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve({ status, headers: replyHeaders, body: Buffer.concat(chunks).toString('utf8') }));
      stream.on('close', () => {
        if (!status) reject(new Error('stream closed without a response'));
      });
      stream.on('error', reject);
      stream.end(body);
    });
  }

  return {
    provider: 'apns',
    async send(input: SendInput<ApnsCredentials, string>): Promise<DeliveryOutcome> {
      const { credentials: c, notification: n } = input;
      const background = !n.title && !n.body;
      const headers: Record<string, string> = {
        ':method': 'POST',
        ':path': `/3/device/${encodeURIComponent(input.target)}`,
        authorization: `bearer ${providerToken(input.appId, c)}`,
        'apns-topic': c.topic,
        'apns-push-type': background ? 'background' : 'alert',
        'apns-priority': background || n.priority === 'normal' ? '5' : '10',
        'apns-expiration': String(n.ttlSeconds > 0 ? Math.floor(settings.now() / 1000) + n.ttlSeconds : 0),
        'content-type': 'application/json',
      };
      if (n.collapseId) headers['apns-collapse-id'] = n.collapseId;
      let reply;
      try {
        reply = await request(session(input.appId, c), headers, JSON.stringify(apnsPayload(n)));
      } catch {
        return { outcome: 'retry-after', afterMs: 5000, reason: 'unreachable' };
      }
      if (reply.status === 200) return { outcome: 'sent' };
      const reason = apnsReason(reply.body);
      if (reply.status === 410) return { outcome: 'invalid-token', reason: 'unregistered' };
      const invalid = INVALID_REASONS[reason];
      if (invalid) return { outcome: 'invalid-token', reason: invalid };
      if (reply.status === 429 || reply.status >= 500) {
        const header = reply.headers['retry-after'];
        return {
          outcome: 'retry-after',
          afterMs: retryAfterMs(typeof header === 'string' ? header : undefined, settings.now()),
          reason: reply.status === 429 ? 'too_many_requests' : 'unavailable',
        };
      }
      if (reply.status === 403) tokens.delete(`${input.appId}\0${c.keyId}\0${c.teamId}`);
      return { outcome: 'failed', reason: FAILED_REASONS[reason] ?? `apns_${reply.status}` };
    },
    close: async () => {
      await Promise.all(
        [...sessions.values()].map((s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.close(resolve)))),
      );
      sessions.clear();
    },
  };
}
