import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { HearthError } from '../../errors.js';

/**
 * Brute-force protection for the sign-in routes (rate-limiter-flexible).
 * - per IP and app: every sign-in style request counts (`ipRequestsPer15Min`);
 * - per account and IP: failed logins (`maxFailedLogins`, then locked for `lockoutSeconds`);
 * - per account from any IP: ten times that, so one attacker cannot lock a user out from
 *   everywhere but a distributed guess still stops;
 * - per email address: mails sent (verification, reset, magic links), against mail bombing.
 * Limiters are in memory by default; `LimiterFactory` swaps in a shared store (Redis, built by
 * engines/redis/limiters.ts from REDIS_URL) so replicas count together. The admin login limits
 * use the same factory.
 */
export type LimiterFactory = (options: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (options) => new RateLimiterMemory(options);

export function rateLimited(msBeforeNext: number): HearthError {
  const retryAfter = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new HearthError(
    'rate_limited',
    'Too many attempts. Retry later.',
    { retryAfter },
    { headers: { 'Retry-After': String(retryAfter) } },
  );
}

export interface LoginLimitSettings {
  maxFailedLogins: number;
  lockoutSeconds: number;
  ipRequestsPer15Min: number;
}

export class AuthRateLimits {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(private readonly factory: LimiterFactory = memoryLimiters) {}

  private limiter(keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
    const k = `${keyPrefix}:${points}:${duration}`;
    let l = this.limiters.get(k);
    if (!l) {
      l = this.factory({ keyPrefix: `hearth_auth_${keyPrefix}_${points}_${duration}`, points, duration });
      this.limiters.set(k, l);
    }
    return l;
  }

  /** Counts one sign-in style request from an IP; throws rate_limited past the limit. */
  async hitIp(appId: string, ip: string, s: LoginLimitSettings): Promise<void> {
    await consume(this.limiter('ip', s.ipRequestsPer15Min, 15 * 60), `${appId}:${ip}`);
  }

  /** Throws rate_limited while the account is locked for this IP (or for everyone). */
  async assertLoginAllowed(appId: string, account: string, ip: string, s: LoginLimitSettings): Promise<void> {
    const [pair, acct] = await Promise.all([
      this.limiter('fail_pair', s.maxFailedLogins, s.lockoutSeconds).get(`${appId}:${account}:${ip}`),
      this.limiter('fail_acct', s.maxFailedLogins * 10, s.lockoutSeconds).get(`${appId}:${account}`),
    ]);
    for (const [res, points] of [
      [pair, s.maxFailedLogins],
      [acct, s.maxFailedLogins * 10],
    ] as const) {
      if (res && res.consumedPoints >= points) throw rateLimited(res.msBeforeNext);
    }
  }

  async loginFailed(appId: string, account: string, ip: string, s: LoginLimitSettings): Promise<void> {
    await Promise.all([
      this.limiter('fail_pair', s.maxFailedLogins, s.lockoutSeconds).penalty(`${appId}:${account}:${ip}`, 1),
      this.limiter('fail_acct', s.maxFailedLogins * 10, s.lockoutSeconds).penalty(`${appId}:${account}`, 1),
    ]);
  }

  async loginSucceeded(appId: string, account: string, ip: string, s: LoginLimitSettings): Promise<void> {
    await this.limiter('fail_pair', s.maxFailedLogins, s.lockoutSeconds).delete(`${appId}:${account}:${ip}`);
  }

  /** Whether one more mail may go to this address now (5 per hour); never throws. */
  async mayMail(appId: string, email: string): Promise<boolean> {
    try {
      await this.limiter('mail', 5, 3600).consume(`${appId}:${email}`);
      return true;
    } catch (e) {
      if (e instanceof RateLimiterRes) return false;
      throw e;
    }
  }

  /** Wrong MFA codes: 5 per user per 5 minutes, then rate_limited. */
  async assertMfaAllowed(appId: string, userId: string): Promise<void> {
    const res = await this.limiter('mfa', 5, 300).get(`${appId}:${userId}`);
    if (res && res.consumedPoints >= 5) throw rateLimited(res.msBeforeNext);
  }

  async mfaFailed(appId: string, userId: string): Promise<void> {
    await this.limiter('mfa', 5, 300).penalty(`${appId}:${userId}`, 1);
  }
}

async function consume(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (e) {
    if (e instanceof RateLimiterRes) throw rateLimited(e.msBeforeNext);
    throw e;
  }
}
