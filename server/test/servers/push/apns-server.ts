import { createPublicKey, type KeyObject } from 'node:crypto';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { Answers, testCert } from './certs.js';

/**
 * An HTTP/2 TLS server that checks requests the way APNs does (Apple's "Sending notification
 * requests to APNs" and "Establishing a token-based connection"): `POST /3/device/{token}`,
 * `authorization: bearer <ES256 JWT>` with `kid` of a known key and `iss` its team, verified
 * with the key's public half and refused when older than one hour; `apns-topic` one the key may
 * use; `apns-push-type`; a JSON body with `aps` of at most 4096 bytes; a hex device token.
 * Answers 200 (with `apns-id`), or the scripted 400 BadDeviceToken / 410 Unregistered / 429.
 */
export interface ApnsKey {
  keyId: string;
  teamId: string;
  /** PEM of the public half of the p8 key. */
  publicKey: string;
  topics: string[];
}

export interface ApnsReceived {
  token: string;
  headers: Record<string, string>;
  payload: Record<string, unknown>;
}

export interface ApnsServer {
  url: string;
  ca: string;
  answers: Answers;
  received: ApnsReceived[];
  /** Provider tokens seen (distinct JWTs) and TCP connections opened. */
  stats: { requests: number; jwts: Set<string>; connections: number };
  close(): Promise<void>;
}

const PUSH_TYPES = new Set(['alert', 'background', 'voip', 'complication', 'fileprovider', 'mdm', 'liveactivity']);

export async function startApnsServer(options: {
  keys: ApnsKey[];
  keep?: number;
  /** The server's clock (tests move it with the providers'). */
  now?: () => number;
}): Promise<ApnsServer> {
  const now = options.now ?? Date.now;
  const { key, cert } = await testCert();
  const keys = new Map<string, ApnsKey & { object: KeyObject }>(
    options.keys.map((k) => [k.keyId, { ...k, object: createPublicKey(k.publicKey) }]),
  );
  const answers = new Answers();
  const received: ApnsReceived[] = [];
  const stats = { requests: 0, jwts: new Set<string>(), connections: 0 };
  const server = http2.createSecureServer({ key, cert });
  server.on('session', () => (stats.connections += 1));
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      stats.requests += 1;
      const reply = (status: number, reason?: string, extra: Record<string, string> = {}) => {
        stream.respond({ ':status': status, 'apns-id': String(headers['apns-id'] ?? crypto.randomUUID()), ...extra });
        stream.end(reason ? JSON.stringify({ reason }) : undefined);
      };
      const path = String(headers[':path'] ?? '');
      const match = /^\/3\/device\/([^/?]+)$/.exec(path);
      if (headers[':method'] !== 'POST' || !match) return reply(404, 'BadPath');
      const token = match[1]!;
      const auth = String(headers.authorization ?? '');
      if (!auth.startsWith('bearer ')) return reply(403, 'MissingProviderToken');
      const bearer = auth.slice('bearer '.length);
      const decoded = jwt.decode(bearer, { complete: true });
      const kid = decoded && typeof decoded.header.kid === 'string' ? decoded.header.kid : '';
      const known = keys.get(kid);
      if (!known || decoded?.header.alg !== 'ES256') return reply(403, 'InvalidProviderToken');
      let claims: jwt.JwtPayload;
      try {
        claims = jwt.verify(bearer, known.object, {
          algorithms: ['ES256'],
          issuer: known.teamId,
          clockTimestamp: Math.floor(now() / 1000),
        }) as jwt.JwtPayload;
      } catch {
        return reply(403, 'InvalidProviderToken');
      }
      if (typeof claims.iat !== 'number' || now() / 1000 - claims.iat > 3600) {
        return reply(403, 'ExpiredProviderToken');
      }
      stats.jwts.add(bearer);
      const topic = String(headers['apns-topic'] ?? '');
      if (!topic) return reply(400, 'MissingTopic');
      if (!known.topics.includes(topic)) return reply(400, 'TopicDisallowed');
      if (!PUSH_TYPES.has(String(headers['apns-push-type'] ?? ''))) return reply(400, 'InvalidPushType');
      const priority = headers['apns-priority'];
      if (priority !== undefined && !['5', '10', '1'].includes(String(priority))) return reply(400, 'BadPriority');
      const expiration = headers['apns-expiration'];
      if (expiration !== undefined && !/^\d+$/.test(String(expiration))) return reply(400, 'BadExpirationDate');
      const collapse = headers['apns-collapse-id'];
      if (collapse !== undefined && Buffer.byteLength(String(collapse)) > 64) return reply(400, 'BadCollapseId');
      const body = Buffer.concat(chunks);
      if (body.length > 4096) return reply(413, 'PayloadTooLarge');
      let payload: Record<string, unknown>;
      try {
        payload = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return reply(400, 'BadPayload');
      }
      if (!payload || typeof payload !== 'object' || typeof payload.aps !== 'object') return reply(400, 'PayloadEmpty');
      if (!/^[0-9a-f]{64,200}$/i.test(token)) return reply(400, 'BadDeviceToken');
      const answer = answers.next(token);
      if (answer && answer.status !== 200) {
        const extra: Record<string, string> = answer.retryAfter ? { 'retry-after': String(answer.retryAfter) } : {};
        const reason = answer.reason ?? (answer.status === 410 ? 'Unregistered' : 'TooManyRequests');
        return reply(answer.status, reason, extra);
      }
      const flat = Object.fromEntries(
        Object.entries(headers)
          .filter(([k]) => !k.startsWith(':'))
          .map(([k, v]) => [k, String(v)]),
      );
      if (received.length < (options.keep ?? 1000)) received.push({ token, headers: flat, payload });
      return reply(200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca: cert,
    answers,
    received,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open client sessions would keep close() waiting: the provider closes its own; this is the backstop.
        setTimeout(resolve, 2000).unref();
      }),
  };
}
