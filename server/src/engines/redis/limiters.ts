import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { LimiterFactory } from '../../ports/rate-limits.js';
import { memoryLimiters } from '../memory/limiters.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * The one place rate limiters are built (auth and admin limits): `RateLimiterRedis` when Redis is
 * configured, so every replica counts against the same numbers, `RateLimiterMemory` otherwise.
 *
 * When Redis fails (down, timeout), each Redis limiter answers from its in-memory
 * `insuranceLimiter` (same points and duration), so requests are still limited, per process,
 * and never fail because of Redis; a warning is logged once per outage.
 */

/** Namespace of every limiter key in Redis (keys read `hearth:rl:<limiter>:<appId>:…`). */
export const REDIS_LIMITER_PREFIX = 'hearth:rl:';

export function createLimiterFactory(deps: { redis?: Redis | null; logger: Logger }): LimiterFactory {
  const { redis, logger } = deps;
  if (!redis) return memoryLimiters;
  let degraded = false;
  redis.on('ready', () => {
    degraded = false;
  });
  const onFallback = (err: unknown) => {
    if (degraded) return;
    degraded = true;
    logger.warn(
      { err: { message: err instanceof Error ? err.message : String(err) } },
      'rate limits: redis failed, counting in this process only (insurance limiter) until it is back',
    );
  };
  return (options) => {
    const limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${REDIS_LIMITER_PREFIX}${options.keyPrefix}`,
      points: options.points,
      duration: options.duration,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(options),
    });
    observeFallbacks(limiter, onFallback);
    return limiter;
  };
}

/**
 * rate-limiter-flexible routes a store error to the insurance limiter in `_handleError` (not in
 * its typings); wrap it to learn that the fallback happened. A RateLimiterRes is a plain "limited"
 * answer, not a failure.
 */
type HandleError = (err: unknown, ...rest: unknown[]) => void;
function observeFallbacks(limiter: RateLimiterRedis, onFallback: (err: unknown) => void): void {
  const target = limiter as unknown as { _handleError: HandleError };
  const original = target._handleError.bind(limiter);
  target._handleError = (err, ...rest) => {
    if (!(err instanceof RateLimiterRes)) onFallback(err);
    original(err, ...rest);
  };
}
