import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ReadinessCheck } from '../../ports/readiness.js';

/**
 * The Redis engine (REDIS_URL): one ioredis connection per process, shared by the rate limiters
 * (and later the job queue and pub/sub, which open their own connections from the same URL).
 *
 * The connection never queues commands while Redis is away (`enableOfflineQueue: false`) and a
 * command that gets no answer fails after `commandTimeout`, so a Redis outage turns into quick
 * errors that the callers handle (the limiters fall back to memory) instead of hanging requests.
 * ioredis keeps reconnecting in the background (backoff up to 2 s).
 */
export type RedisClient = Redis;

export interface ConnectRedisOptions {
  url: string;
  logger: Logger;
  /** How long to wait for the first connection before going on without it (default 5000 ms). */
  connectTimeoutMs?: number;
  /** A command with no answer after this fails (default 1000 ms). */
  commandTimeoutMs?: number;
}

export function createRedisClient(options: Omit<ConnectRedisOptions, 'connectTimeoutMs'>): Redis {
  const { logger } = options;
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    lazyConnect: true,
  });
  // One warning per outage (ioredis reports every failed reconnect), one info when it is back.
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn(
      { err: { message: err.message }, redis: redactUrl(options.url) },
      'redis unreachable: rate limits fall back to per-process memory until it is back',
    );
  });
  client.on('ready', () => {
    if (down) logger.info({ redis: redactUrl(options.url) }, 'redis reachable again: rate limits are shared again');
    down = false;
  });
  return client;
}

/**
 * Connects once at startup. When Redis does not answer within the timeout, Hearth starts anyway
 * (limits per process, /readyz 503 naming redis) and the client keeps trying in the background.
 */
export async function connectRedis(options: ConnectRedisOptions): Promise<{ client: Redis; connected: boolean }> {
  const client = createRedisClient(options);
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  const connected = await Promise.race([
    client.connect().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  return { client, connected };
}

/** For /readyz: PING must answer. */
export function redisReadiness(client: Redis): ReadinessCheck {
  return {
    name: 'redis',
    engine: 'redis',
    check: async () => {
      const pong = await client.ping();
      if (pong !== 'PONG') throw new Error(`unexpected PING answer: ${pong}`);
    },
  };
}

/** Closes the connection: QUIT when connected, else just stops reconnecting. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://…';
  }
}
