import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { LimiterFactory } from '../../ports/rate-limits.js';

/** The embedded rate-limit engine: counts in this process's memory (one replica). */
export const memoryLimiters: LimiterFactory = (options) => new RateLimiterMemory(options);
