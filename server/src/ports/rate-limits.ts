import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * The rate-limiter port: modules ask a factory for limiters (rate-limiter-flexible's interface)
 * and never know where the counts live. Engines: in memory per process (engines/memory), or
 * Redis, shared by every replica (engines/redis/limiters.ts, with REDIS_URL).
 */
export interface LimiterOptions {
  keyPrefix: string;
  points: number;
  /** Seconds. */
  duration: number;
}

export type LimiterFactory = (options: LimiterOptions) => RateLimiterAbstract;
