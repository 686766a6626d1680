import type { JsonValue } from '../../lib/filter/types.js';
import type { OneTimeRecord } from './one-time-tokens.js';

/**
 * An anonymous account becoming an email account (same id). Without `requireVerifiedEmail` it
 * happens at once; with it, the email and password hash wait in the verification link
 * (`data.upgrade`) and apply when the link is confirmed (see mail-links.service.ts).
 */
export interface PendingUpgrade {
  passwordHash: string;
}

/** The data a verification link carries for a pending upgrade. */
export const pendingUpgradeData = (upgrade: PendingUpgrade): Record<string, JsonValue> => ({
  upgrade: { passwordHash: upgrade.passwordHash },
});

/** The pending upgrade a verification link carries, or null (a plain verification link). */
export function pendingUpgradeOf(rec: OneTimeRecord): PendingUpgrade | null {
  const upgrade = rec.data.upgrade as { passwordHash?: unknown } | undefined;
  return upgrade && typeof upgrade.passwordHash === 'string' ? { passwordHash: upgrade.passwordHash } : null;
}

/** The user fields an upgrade sets. */
export const upgradedFields = (
  email: string,
  passwordHash: string,
  emailVerified: boolean,
): Record<string, JsonValue> => ({ login: email, email, emailVerified, anonymous: false, passwordHash });
