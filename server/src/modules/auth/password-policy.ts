import { HearthError } from '../../errors.js';
import type { PasswordPolicy } from './auth.settings.js';

/**
 * Checks a new password against the app's policy. Returns the reasons it is refused (empty: ok),
 * phrased for `details.fields.password`. Length counts code points, so emoji and accents count once.
 */
export function passwordProblems(password: string, policy: PasswordPolicy, email?: string | null): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < policy.minLength) problems.push(`must be at least ${policy.minLength} characters`);
  if (length > policy.maxLength) problems.push(`must be at most ${policy.maxLength} characters`);
  if (policy.requireLowercase && !/\p{Ll}/u.test(password)) problems.push('must contain a lowercase letter');
  if (policy.requireUppercase && !/\p{Lu}/u.test(password)) problems.push('must contain an uppercase letter');
  if (policy.requireDigit && !/\p{Nd}/u.test(password)) problems.push('must contain a digit');
  if (policy.requireSymbol && !/[^\p{L}\p{Nd}\s]/u.test(password)) problems.push('must contain a symbol');
  if (policy.refuseObvious) {
    if (length > 0 && new Set(password).size === 1) problems.push('must not be one repeated character');
    const local = email?.split('@')[0]?.toLowerCase();
    if (local && local.length >= 3 && password.toLowerCase().includes(local))
      problems.push('must not contain your email');
  }
  return problems;
}

/** Throws `validation_failed` (every reason in `details.fields.password`) when the policy refuses it. */
export function assertPasswordPolicy(policy: PasswordPolicy, password: string, email: string | null): void {
  const problems = passwordProblems(password, policy, email);
  if (problems.length) {
    throw new HearthError('validation_failed', 'The password does not meet the policy.', {
      fields: { password: problems.join('; ') },
    });
  }
}
