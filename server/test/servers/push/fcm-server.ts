import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { Answers, testCert } from './certs.js';

/**
 * An HTTPS server that speaks FCM HTTP v1 and Google's OAuth2 service-account flow:
 * - `POST /token` (form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`):
 *   the RS256 assertion must be signed by a known service account's key, `iss` its client email,
 *   `aud` this token URL, `scope` including firebase.messaging, at most one hour long;
 *   answers `{access_token, expires_in, token_type}`;
 * - `POST /v1/projects/{project}/messages:send` with `Authorization: Bearer <issued token>` of
 *   that project: the body is checked against the v1 `Message` schema (one target, string data
 *   values, known fields only); answers `{name}`, or the scripted 404 UNREGISTERED / 429
 *   QUOTA_EXCEEDED with `Retry-After` / 400 INVALID_ARGUMENT.
 */
export interface FcmAccount {
  projectId: string;
  clientEmail: string;
  /** PEM of the public half of the service account's private key. */
  publicKey: string;
}

export interface FcmServer {
  url: string;
  tokenUrl: string;
  ca: string;
  answers: Answers;
  received: Array<{ token: string; message: Record<string, unknown> }>;
  stats: { tokenExchanges: number; sends: number };
  /** Issued access tokens live this many seconds (default 3600). */
  setTokenLifetime(seconds: number): void;
  close(): Promise<void>;
}

const MESSAGE_FIELDS = new Set([
  'name',
  'data',
  'notification',
  'android',
  'webpush',
  'apns',
  'fcm_options',
  'token',
  'topic',
  'condition',
]);
const NOTIFICATION_FIELDS = new Set(['title', 'body', 'image']);
const ANDROID_FIELDS = new Set([
  'collapse_key',
  'priority',
  'ttl',
  'restricted_package_name',
  'data',
  'notification',
  'fcm_options',
  'direct_boot_ok',
]);
const ANDROID_NOTIFICATION_FIELDS = new Set([
  'title',
  'body',
  'icon',
  'color',
  'sound',
  'tag',
  'click_action',
  'image',
  'channel_id',
  'notification_count',
  'title_loc_key',
  'body_loc_key',
]);

function schemaError(message: Record<string, unknown>): string | null {
  for (const k of Object.keys(message)) if (!MESSAGE_FIELDS.has(k)) return `Unknown name "${k}" at 'message'`;
  const targets = ['token', 'topic', 'condition'].filter((k) => message[k] !== undefined);
  if (targets.length !== 1) return 'exactly one of token, topic, condition';
  if (message.data !== undefined) {
    if (typeof message.data !== 'object' || message.data === null) return 'data must be a map';
    for (const v of Object.values(message.data)) if (typeof v !== 'string') return 'data values must be strings';
  }
  const n = message.notification as Record<string, unknown> | undefined;
  if (n)
    for (const k of Object.keys(n))
      if (!NOTIFICATION_FIELDS.has(k)) return `Unknown name "${k}" at 'message.notification'`;
  const a = message.android as Record<string, unknown> | undefined;
  if (a) {
    for (const k of Object.keys(a)) if (!ANDROID_FIELDS.has(k)) return `Unknown name "${k}" at 'message.android'`;
    if (a.priority !== undefined && a.priority !== 'HIGH' && a.priority !== 'NORMAL') return 'android.priority';
    if (a.ttl !== undefined && !/^\d+(\.\d{1,9})?s$/.test(String(a.ttl))) return 'android.ttl must be a duration';
    const an = a.notification as Record<string, unknown> | undefined;
    if (an) {
      for (const k of Object.keys(an))
        if (!ANDROID_NOTIFICATION_FIELDS.has(k)) return `Unknown name "${k}" at 'message.android.notification'`;
      if (an.notification_count !== undefined && !Number.isInteger(an.notification_count)) return 'notification_count';
    }
  }
  return null;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function fcmError(status: number, code: string, errorCode?: string): unknown {
  return {
    error: {
      code: status,
      message: errorCode ?? code,
      status: code,
      details: errorCode ? [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] : [],
    },
  };
}

export async function startFcmServer(options: {
  accounts: FcmAccount[];
  keep?: number;
  now?: () => number;
}): Promise<FcmServer> {
  const now = options.now ?? Date.now;
  const { key, cert } = await testCert();
  const accounts = new Map<string, FcmAccount & { object: KeyObject }>(
    options.accounts.map((a) => [a.clientEmail, { ...a, object: createPublicKey(a.publicKey) }]),
  );
  const issued = new Map<string, { projectId: string; expires: number }>();
  const answers = new Answers();
  const received: FcmServer['received'] = [];
  const stats = { tokenExchanges: 0, sends: 0 };
  let lifetime = 3600;
  let base = '';
  const server = https.createServer({ key, cert }, (req, res) => {
    void (async () => {
      const raw = await readBody(req);
      if (req.method === 'POST' && req.url === '/token') {
        const form = new URLSearchParams(raw);
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
          return json(res, 400, { error: 'unsupported_grant_type' });
        }
        const assertion = form.get('assertion') ?? '';
        const claims = jwt.decode(assertion) as jwt.JwtPayload | null;
        const account = claims && typeof claims.iss === 'string' ? accounts.get(claims.iss) : undefined;
        if (!account) return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
        try {
          const ok = jwt.verify(assertion, account.object, {
            algorithms: ['RS256'],
            audience: `${base}/token`,
            clockTimestamp: Math.floor(now() / 1000),
          }) as jwt.JwtPayload;
          if (
            !String(ok.scope ?? '')
              .split(' ')
              .includes('https://www.googleapis.com/auth/firebase.messaging')
          )
            throw new Error('scope');
          if (typeof ok.iat !== 'number' || typeof ok.exp !== 'number' || ok.exp - ok.iat > 3600)
            throw new Error('lifetime');
        } catch {
          return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
        }
        stats.tokenExchanges += 1;
        const token = `ya29.${randomBytes(24).toString('base64url')}`;
        issued.set(token, { projectId: account.projectId, expires: now() + lifetime * 1000 });
        return json(res, 200, { access_token: token, expires_in: lifetime, token_type: 'Bearer' });
      }
      const send = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !send) return json(res, 404, fcmError(404, 'NOT_FOUND'));
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const grant = issued.get(bearer);
      if (!grant || grant.expires < now()) return json(res, 401, fcmError(401, 'UNAUTHENTICATED'));
      if (grant.projectId !== send[1]) return json(res, 403, fcmError(403, 'PERMISSION_DENIED', 'SENDER_ID_MISMATCH'));
      let body: { message?: Record<string, unknown>; validate_only?: boolean };
      try {
        body = JSON.parse(raw) as typeof body;
      } catch {
        return json(res, 400, fcmError(400, 'INVALID_ARGUMENT'));
      }
      const message = body.message;
      if (!message || typeof message !== 'object')
        return json(res, 400, fcmError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT'));
      if (schemaError(message)) return json(res, 400, fcmError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT'));
      if (Buffer.byteLength(JSON.stringify(message.data ?? {})) > 4096)
        return json(res, 400, fcmError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT'));
      stats.sends += 1;
      const token = String(message.token);
      const answer = answers.next(token);
      if (answer?.status === 404) return json(res, 404, fcmError(404, 'NOT_FOUND', 'UNREGISTERED'));
      if (answer?.status === 429) {
        return json(res, 429, fcmError(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED'), {
          'retry-after': String(answer.retryAfter ?? 1),
        });
      }
      if (answer && answer.status !== 200)
        return json(res, answer.status, fcmError(answer.status, 'INTERNAL', 'INTERNAL'));
      if (received.length < (options.keep ?? 1000)) received.push({ token, message });
      return json(res, 200, { name: `projects/${send[1]}/messages/${randomBytes(8).toString('hex')}` });
    })().catch(() => json(res, 500, fcmError(500, 'INTERNAL')));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `https://127.0.0.1:${port}`;
  return {
    url: base,
    tokenUrl: `${base}/token`,
    ca: cert,
    answers,
    received,
    stats,
    setTokenLifetime: (s) => (lifetime = s),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
