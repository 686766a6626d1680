import { createECDH, createPublicKey, randomBytes, randomUUID, type ECDH } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import ece from 'http_ece';
import jwt from 'jsonwebtoken';
import { Answers, testCert } from './certs.js';

/**
 * An HTTPS Web Push receiver (a push service as RFC 8030/8291/8292 describe it): it hands out
 * subscriptions (an endpoint plus the browser's P-256 key and auth secret, bound to the app's
 * VAPID public key like `pushManager.subscribe({applicationServerKey})`), and on
 * `POST /push/{id}` checks `Authorization: vapid t=<ES256 JWT>, k=<public key>` (signature, `aud`
 * the endpoint's origin, `exp` within 24 hours, `sub`, the key the subscription is bound to),
 * the `TTL` header, `Content-Encoding: aes128gcm`, then decrypts the body with `http_ece` as the
 * browser would. Answers 201, or the scripted 404 / 410 / 429.
 */
export interface WebPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface WebPushReceived {
  id: string;
  headers: Record<string, string>;
  /** The decrypted payload. */
  payload: string;
}

export interface WebPushServer {
  url: string;
  ca: string;
  answers: Answers;
  received: WebPushReceived[];
  stats: { requests: number; refused: number };
  /** A new subscription; `applicationServerKey`: the VAPID public key it is bound to. */
  subscribe(applicationServerKey?: string): WebPushSubscription;
  close(): Promise<void>;
}

function rawKeyToPublicKey(raw: Buffer) {
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('not an uncompressed P-256 point');
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
}

export async function startWebPushServer(options: { keep?: number; now?: () => number } = {}): Promise<WebPushServer> {
  const now = options.now ?? Date.now;
  const { key, cert } = await testCert();
  const subscriptions = new Map<string, { ecdh: ECDH; auth: string; serverKey?: string | undefined }>();
  const answers = new Answers();
  const received: WebPushReceived[] = [];
  const stats = { requests: 0, refused: 0 };
  let origin = '';
  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      stats.requests += 1;
      const reply = (status: number, text = '') => {
        if (status >= 400) stats.refused += 1;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(text);
      };
      const id = /^\/push\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '')?.[1];
      const sub = id ? subscriptions.get(id) : undefined;
      if (req.method !== 'POST' || !id || !sub) return reply(404, 'no such subscription');
      const auth = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? '');
      if (!auth) return reply(401, 'vapid authorization required');
      const [, token, k] = auth as unknown as [string, string, string];
      if (sub.serverKey && sub.serverKey !== k) return reply(403, 'key does not match the subscription');
      try {
        const claims = jwt.verify(token, rawKeyToPublicKey(Buffer.from(k, 'base64url')), {
          algorithms: ['ES256'],
          audience: origin,
          clockTimestamp: Math.floor(now() / 1000),
        }) as jwt.JwtPayload;
        if (typeof claims.exp !== 'number' || claims.exp > now() / 1000 + 24 * 3600) throw new Error('exp');
        if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) throw new Error('sub');
      } catch {
        return reply(403, 'invalid vapid token');
      }
      if (!/^\d+$/.test(String(req.headers.ttl ?? ''))) return reply(400, 'TTL header required');
      if (
        req.headers.urgency !== undefined &&
        !['very-low', 'low', 'normal', 'high'].includes(String(req.headers.urgency))
      ) {
        return reply(400, 'bad urgency');
      }
      const body = Buffer.concat(chunks);
      if (body.length > 4096) return reply(413, 'payload too large');
      let payload = '';
      if (body.length) {
        if (req.headers['content-encoding'] !== 'aes128gcm') return reply(415, 'aes128gcm required');
        try {
          payload = ece
            .decrypt(body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: sub.auth })
            .toString('utf8');
        } catch {
          return reply(400, 'cannot decrypt');
        }
      }
      const answer = answers.next(id);
      if (answer && answer.status !== 201) {
        if (answer.retryAfter) res.setHeader('retry-after', String(answer.retryAfter));
        return reply(answer.status, 'scripted');
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([h, v]) => [h, String(v)]));
      if (received.length < (options.keep ?? 1000)) received.push({ id, headers, payload });
      res.setHeader('location', `${origin}/messages/${randomUUID()}`);
      return reply(201);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `https://127.0.0.1:${port}`;
  return {
    url: origin,
    ca: cert,
    answers,
    received,
    stats,
    subscribe: (applicationServerKey) => {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const id = randomBytes(12).toString('base64url');
      const auth = randomBytes(16).toString('base64url');
      subscriptions.set(id, { ecdh, auth, serverKey: applicationServerKey });
      return { endpoint: `${origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth } };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
