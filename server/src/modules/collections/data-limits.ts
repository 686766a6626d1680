import type { RequestHandler } from 'express';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { errors } from '../../errors.js';
import type { LimiterFactory } from '../../ports/rate-limits.js';

/**
 * Rate limits on the document routes (list, get, create, update, replace, delete, aggregate,
 * batch) for public-key callers, signed-in users included: per app and client IP
 * (`perIpPerMinute`, on by default) and per app over every IP (`perAppPerMinute`, off by
 * default). Secret keys and admins are servers and operators: not limited here. Past a limit the
 * answer is 429 `rate_limited` with Retry-After. The limiters come from the shared factory
 * (ports/rate-limits.ts), so with Redis every replica counts against the same numbers. The
 * client IP is `req.ip`: behind a proxy, TRUST_PROXY must be set or every client is one IP.
 */
export interface DataLimitSettings {
  /** Requests per minute per app and client IP; 0 = no limit. */
  perIpPerMinute: number;
  /** Requests per minute per app, all IPs together; 0 = no limit. */
  perAppPerMinute: number;
}

export const DEFAULT_DATA_LIMITS: DataLimitSettings = { perIpPerMinute: 600, perAppPerMinute: 0 };

export function dataRateLimit(deps: { limiters: LimiterFactory; settings: DataLimitSettings }): RequestHandler {
  const { perIpPerMinute, perAppPerMinute } = deps.settings;
  const make = (name: string, points: number): RateLimiterAbstract | null =>
    points > 0 ? deps.limiters({ keyPrefix: `data_${name}_${points}`, points, duration: 60 }) : null;
  const perIp = make('ip', perIpPerMinute);
  const perApp = make('app', perAppPerMinute);
  return async (req, _res, next) => {
    const { app, key } = req.ctx;
    if (!app || key?.kind !== 'public') return next();
    try {
      // The IP's own limit first: a client over it does not use up the app's.
      await perIp?.consume(`${app.id}:${req.ip ?? 'unknown'}`);
      await perApp?.consume(app.id);
      next();
    } catch (e) {
      if (e instanceof RateLimiterRes) return next(errors.rateLimited(e.msBeforeNext));
      next(e);
    }
  };
}
