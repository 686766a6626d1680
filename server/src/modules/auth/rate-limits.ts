import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { LimiterFactory } from '../../ports/rate-limits.js';
import { HearthError } from '../../errors.js';

/**
 * Brute-force protection for the sign-in routes (rate-limiter-flexible).
 * - per IP and app: every sign-in style request counts (`ipRequestsPer15Min`);
 * - per account and IP: failed logins (`maxFailedLogins`, then locked for `lockoutSeconds`);
 * - per account from any IP: ten times that, so one attacker cannot lock a user out from
 *   everywhere but a distributed guess still stops;
 * - per email address: mails sent (verification, reset, magic links), against mail bombing;
 * - per user: MFA codes (5 per 5 minutes).
 * Attempts are counted *before* the password or code is checked and given back on success, so
 * guesses sent in parallel cannot all pass a check that only reads the counters.
 * Limiters are in memory by default; `LimiterFactory` swaps in a shared store (Redis, built by
 * engines/redis/limiters.ts from REDIS_URL) so replicas count together. The admin login limits
 * use the same factory.
 */
export type { LimiterFactory };

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

  private readonly factory: LimiterFactory;

  constructor(options: { limiters: LimiterFactory }) {
    this.factory = options.limiters;
  }

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

  /**
   * One login attempt (or current-password check) against an account, counted *before* the
   * password is checked: it takes a failed-login point per account+IP and per account, and throws
   * rate_limited when either is used up. Parallel guesses therefore each take a point and cannot
   * all get past the check. A success gives the points back (`loginSucceeded`); a failure keeps
   * them. A request refused for this IP takes nothing from the account-wide count, so one IP cannot
   * lock the account for everyone.
   */
  async beginLogin(appId: string, account: string, ip: string, s: LoginLimitSettings): Promise<void> {
    const pairKey = `${appId}:${account}:${ip}`;
    await consume(this.pair(s), pairKey);
    try {
      await consume(this.account(s), `${appId}:${account}`);
    } catch (e) {
      await this.pair(s)
        .reward(pairKey, 1)
        .catch(() => undefined);
      throw e;
    }
  }

  /** The password was right: the pair's count starts over and the account-wide point comes back. */
  async loginSucceeded(appId: string, account: string, ip: string, s: LoginLimitSettings): Promise<void> {
    await Promise.all([
      this.pair(s).delete(`${appId}:${account}:${ip}`),
      this.account(s).reward(`${appId}:${account}`, 1),
    ]);
  }

  /** After a password reset: the account's counts start over (its owner proved the address). */
  async loginReset(appId: string, account: string, ip: string, s: LoginLimitSettings): Promise<void> {
    await Promise.all([
      this.pair(s).delete(`${appId}:${account}:${ip}`),
      this.account(s).delete(`${appId}:${account}`),
    ]);
  }

  private pair(s: LoginLimitSettings): RateLimiterAbstract {
    return this.limiter('fail_pair', s.maxFailedLogins, s.lockoutSeconds);
  }

  private account(s: LoginLimitSettings): RateLimiterAbstract {
    return this.limiter('fail_acct', s.maxFailedLogins * 10, s.lockoutSeconds);
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

  /**
   * One MFA code check for a user, counted before the code is checked (5 per user per 5 minutes,
   * then rate_limited), so parallel guesses cannot all get in. `mfaSucceeded` gives it back.
   */
  async beginMfa(appId: string, userId: string): Promise<void> {
    await consume(this.limiter('mfa', 5, 300), `${appId}:${userId}`);
  }

  async mfaSucceeded(appId: string, userId: string): Promise<void> {
    await this.limiter('mfa', 5, 300).reward(`${appId}:${userId}`, 1);
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
