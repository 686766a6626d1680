import { isIP } from 'node:net';
import { z } from 'zod';
import { isCidr } from '../lib/outbound/policy.js';

/**
 * Every environment variable Hearth reads, declared once: type, default and help text. The
 * config loader, the startup error messages and docs/configuration.md (checked by a test) all
 * come from this one declaration.
 */
const port = z.coerce.number().int().min(0).max(65535);
const duration = z.coerce.number().int().positive();
const count = z.coerce.number().int().min(0);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** redis:// or rediss://, a host, and at most a numeric database as the path. */
function isRedisUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' && /^\/?(\d+)?$/.test(url.pathname)
  );
}

/**
 * What express's `trust proxy` accepts from a string (app.ts turns an integer into a hop count):
 * a number of proxies, or a comma-separated list of the presets, IP addresses and CIDR ranges
 * (`10.0.0.0/8`, `10.0.0.0/255.0.0.0`, `fd00::/8`). Checked here so a typo stops the start with
 * the other bad variables instead of a TypeError from inside express.
 */
export function isTrustProxy(value: string): boolean {
  if (/^\d+$/.test(value)) return true;
  return value.split(',').every((part) => {
    const entry = part.trim();
    if (entry === 'loopback' || entry === 'linklocal' || entry === 'uniquelocal') return true;
    const [address = '', range, ...rest] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return false;
    if (range === undefined) return true;
    if (/^\d+$/.test(range)) return Number(range) >= 1 && Number(range) <= (family === 4 ? 32 : 128);
    return family === 4 && isIP(range) === 4 && isNetmask(range);
  });
}

/** 255.255.240.0 yes; 255.0.255.0 and 0.0.0.0 no (express refuses them too). */
function isNetmask(mask: string): boolean {
  const bits = mask.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const hostBits = 2 ** 32 - 1 - bits;
  return bits !== 0 && (hostBits & (hostBits + 1)) === 0;
}

export const CONFIG_VARIABLES = {
  PORT: { schema: port.default(8080), help: 'TCP port the HTTP server listens on.', default: '8080' },
  HOST: { schema: z.string().min(1).default('0.0.0.0'), help: 'Interface to bind.', default: '0.0.0.0' },
  DATA_DIR: {
    schema: z.string().min(1).default('./data'),
    help: 'Directory for the embedded engines (SQLite file, files) and the generated signing secret.',
    default: './data',
  },
  PUBLIC_URL: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    help: 'The URL clients use to reach this server (links in mails, signed URLs). Default: http://localhost:PORT.',
  },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    help: 'pino log level.',
    default: 'info',
  },
  HEARTH_SECRET: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    help: 'Signing secret for tokens. When absent, one is generated on first run and kept in DATA_DIR/secret.key (mode 0600). Set it to the same value on every replica.',
  },
  HEARTH_ADMIN_EMAIL: {
    schema: z.email().optional(),
    help: 'Bootstrap: create this admin at startup when no admin exists yet (with HEARTH_ADMIN_PASSWORD).',
  },
  HEARTH_ADMIN_PASSWORD: {
    schema: z.string().min(10, 'must be at least 10 characters').optional(),
    help: 'Bootstrap admin password (with HEARTH_ADMIN_EMAIL).',
  },
  MONGODB_URL: {
    schema: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .optional(),
    help: 'Use MongoDB as the document store instead of the embedded SQLite file.',
  },
  MONGODB_DB: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,38}$/, 'must be a valid database name')
      .default('hearth'),
    help: 'Database name when MONGODB_URL is set.',
    default: 'hearth',
  },
  REDIS_URL: {
    schema: z
      .string()
      .refine(isRedisUrl, 'must look like redis://[user:password@]host[:port][/db] (or rediss:// for TLS)')
      .optional(),
    help: 'Redis for shared state across replicas: rate limits (login, sign-up, admin login) count together on every replica. Without it, limits are per process. Needed when running more than one replica.',
  },
  BODY_LIMIT: {
    schema: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'must look like 512kb or 1mb')
      .default('1mb'),
    help: 'Largest JSON request body accepted (larger: 413 payload_too_large).',
    default: '1mb',
  },
  TRUST_PROXY: {
    schema: z
      .string()
      .refine(
        isTrustProxy,
        'must be a number of proxies (1), loopback, linklocal, uniquelocal, or IP addresses and CIDR ranges separated by commas',
      )
      .optional(),
    help: "Express 'trust proxy' setting when behind a load balancer (e.g. 1, loopback, or a CIDR list). Set it behind any proxy: without it every client has the proxy's IP, so per-IP rate limits (data routes, admin login) count all clients together.",
  },
  DATA_RATE_LIMIT: {
    schema: count.default(600),
    help: 'Document route requests per minute per app and client IP for public-key callers (signed-in users included); past it, 429 rate_limited. 0 turns the limit off. Secret keys and admins are not limited.',
    default: '600',
  },
  DATA_RATE_LIMIT_APP: {
    schema: count.default(0),
    help: 'Document route requests per minute per app for all public-key callers together; 0 (the default) means no per-app limit.',
    default: '0',
  },
  REALTIME_SESSION_CHECK_MS: {
    schema: duration.default(30_000),
    help: 'How often realtime connections re-check their user session: a revoked session or disabled user stops its subscriptions within this time (expired tokens stop at once).',
    default: '30000',
  },
  REALTIME_MAX_CONNECTIONS: {
    schema: duration.default(10_000),
    help: 'Realtime connections one app may hold, across every replica with REDIS_URL (a dead replica stops counting after PRESENCE_TIMEOUT_MS).',
    default: '10000',
  },
  PRESENCE_TIMEOUT_MS: {
    schema: duration.default(15_000),
    help: 'Presence members of a replica that stopped answering (crashed) are dropped after this long; replicas send a heartbeat every third of it.',
    default: '15000',
  },
  HTTP_HEADERS_TIMEOUT_MS: {
    schema: duration.default(20_000),
    help: 'How long a client may take to send the request headers before the connection is closed (408). At most HTTP_REQUEST_TIMEOUT_MS.',
    default: '20000',
  },
  HTTP_REQUEST_TIMEOUT_MS: {
    schema: duration.default(60_000),
    help: 'How long a client may take to send a whole request, body included, before the connection is closed (408): slowly trickled bodies cannot hold connections open.',
    default: '60000',
  },
  HTTP_KEEPALIVE_TIMEOUT_MS: {
    schema: duration.default(65_000),
    help: 'How long an idle keep-alive connection stays open between requests. Keep it above the idle timeout of a load balancer in front (often 60 s).',
    default: '65000',
  },
  ADMIN_ACCESS_TOKEN_TTL: {
    schema: duration.default(900),
    help: 'Admin access token lifetime in seconds.',
    default: '900',
  },
  ADMIN_REFRESH_TOKEN_TTL: {
    schema: duration.default(60 * 60 * 24 * 30),
    help: 'Admin refresh token (session) lifetime in seconds.',
    default: '2592000',
  },
  DASHBOARD_DIR: {
    schema: z.string().min(1).optional(),
    help: "Directory with the dashboard's built files, served at /dashboard. Default: the workspace's dashboard/dist.",
  },
  SHUTDOWN_TIMEOUT_MS: {
    schema: duration.default(10_000),
    help: 'How long a graceful shutdown waits for open requests before closing anyway.',
    default: '10000',
  },
  WORKERS: {
    schema: z.coerce.number().int().min(1).max(64).default(1),
    help: 'HTTP worker processes (node:cluster) sharing PORT, e.g. one per core; 1: a single process. See docs/performance.md.',
    default: '1',
  },
  SMTP_URL: {
    schema: z
      .string()
      .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
      .optional(),
    help: "Send mail (verification, password reset, magic links) through this SMTP server, e.g. smtp://user:pass@mail.example.com:587. Without it, mail is kept in each app's outbox (dashboard).",
  },
  MAIL_FROM: {
    schema: z.string().min(3).max(320).default('Hearth <no-reply@localhost>'),
    help: 'Default sender of mail; an app can set its own in its auth settings.',
    default: 'Hearth <no-reply@localhost>',
  },
  S3_BUCKET: {
    schema: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        'must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)',
      )
      .optional(),
    help: 'Store uploaded files in this S3-compatible bucket (AWS S3, MinIO, R2…) instead of DATA_DIR/files. Needed when running more than one replica.',
  },
  S3_ENDPOINT: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    help: 'S3 endpoint for servers other than AWS, e.g. http://minio:9000 (with S3_FORCE_PATH_STYLE=true for MinIO).',
  },
  S3_REGION: {
    schema: z.string().min(1).max(64).default('us-east-1'),
    help: 'S3 region of the bucket.',
    default: 'us-east-1',
  },
  S3_ACCESS_KEY_ID: {
    schema: z.string().min(1).optional(),
    help: "S3 access key id (with S3_SECRET_ACCESS_KEY). Without both, the AWS SDK's default credential chain is used (instance or task roles).",
  },
  S3_SECRET_ACCESS_KEY: {
    schema: z.string().min(1).optional(),
    help: 'S3 secret access key (with S3_ACCESS_KEY_ID).',
  },
  S3_FORCE_PATH_STYLE: {
    schema: bool.default(false),
    help: 'Address the bucket as ENDPOINT/BUCKET instead of BUCKET.ENDPOINT (MinIO and most self-hosted S3 servers need true).',
    default: 'false',
  },
  PUSH_FCM_URL: {
    schema: z.url({ protocol: /^https$/ }).optional(),
    help: 'FCM HTTP v1 API base instead of https://fcm.googleapis.com (tests, staging proxies).',
  },
  PUSH_FCM_TOKEN_URL: {
    schema: z.url({ protocol: /^https$/ }).optional(),
    help: "OAuth2 token URL for FCM service accounts instead of https://oauth2.googleapis.com/token (a service account JSON's own token_uri is not used).",
  },
  PUSH_APNS_URL: {
    schema: z.url({ protocol: /^https$/ }).optional(),
    help: 'APNs host for both environments instead of https://api.push.apple.com / https://api.sandbox.push.apple.com (tests).',
  },
  PUSH_PREVIOUS_SECRETS: {
    schema: z.string().min(32).optional(),
    help: 'After changing HEARTH_SECRET: the old secret(s), comma-separated, so stored push credentials still open until POST /v1/admin/apps/{app}/push/credentials/rotate re-encrypts them.',
  },
  PUSH_CA_FILE: {
    schema: z.string().min(1).optional(),
    help: 'A PEM file of an extra certificate authority the push clients trust besides the system roots (for servers behind a private CA).',
  },
  METRICS_ENABLED: {
    schema: bool.default(true),
    help: 'Serve Prometheus metrics at /metrics.',
    default: 'true',
  },
  METRICS_TOKEN: {
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    help: 'When set, /metrics answers only requests with Authorization: Bearer <this token> (others get 401). Without it /metrics is public.',
  },
  OUTBOUND_ALLOW_PRIVATE: {
    schema: bool.default(false),
    help: 'Let webhooks and schedules reach private, loopback, link-local and other non-public addresses (cloud metadata addresses stay refused). Only for deployments whose receivers run on a private network.',
    default: 'false',
  },
  OUTBOUND_ALLOW_CIDRS: {
    schema: z
      .string()
      .refine(
        (v) => v.split(',').every((c) => isCidr(c.trim())),
        'must be IP addresses or CIDR ranges separated by commas, e.g. 10.1.0.0/16,fd00:1::/64',
      )
      .optional(),
    help: 'Addresses or CIDR ranges webhooks and schedules may reach whatever their class, e.g. 10.1.0.0/16 for one internal network (comma-separated).',
  },
  WEBHOOK_DELIVERIES_KEEP: {
    schema: count.default(1000),
    help: 'Finished webhook deliveries kept in the log per webhook (older ones are trimmed by the maintenance sweep; 0: no limit).',
    default: '1000',
  },
  WEBHOOK_DELIVERIES_KEEP_DAYS: {
    schema: count.default(30),
    help: 'Days finished webhook deliveries are kept in the log (0: no limit).',
    default: '30',
  },
  BACKUP_MAX_UPLOAD_BYTES: {
    schema: z.coerce
      .number()
      .int()
      .min(1024)
      .default(10 * 1024 ** 3),
    help: 'Largest backup archive POST /v1/admin/restores accepts, in bytes (a larger one is refused with 413 archive_too_large and nothing is kept).',
    default: '10737418240',
  },
} as const;

type Vars = typeof CONFIG_VARIABLES;
export type Config = { [K in keyof Vars]: z.output<Vars[K]['schema']> };

export const configSchema = z
  .object(
    Object.fromEntries(Object.entries(CONFIG_VARIABLES).map(([k, v]) => [k, v.schema])) as {
      [K in keyof Vars]: Vars[K]['schema'];
    },
  )
  .refine((c) => Boolean(c.S3_ACCESS_KEY_ID) === Boolean(c.S3_SECRET_ACCESS_KEY), {
    message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together',
    path: ['S3_SECRET_ACCESS_KEY'],
  })
  .refine((c) => Boolean(c.HEARTH_ADMIN_EMAIL) === Boolean(c.HEARTH_ADMIN_PASSWORD), {
    message: 'HEARTH_ADMIN_EMAIL and HEARTH_ADMIN_PASSWORD must be set together',
    path: ['HEARTH_ADMIN_PASSWORD'],
  })
  .refine((c) => c.HTTP_HEADERS_TIMEOUT_MS <= c.HTTP_REQUEST_TIMEOUT_MS, {
    message: 'must not be more than HTTP_REQUEST_TIMEOUT_MS',
    path: ['HTTP_HEADERS_TIMEOUT_MS'],
  });
