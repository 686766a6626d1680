import { describe, expect, it } from 'vitest';
import { passwordPolicySchema } from './auth.settings.js';
import { passwordProblems } from './password-policy.js';

describe('passwordProblems', () => {
  const defaults = passwordPolicySchema.parse({});

  it('accepts a long passphrase under the default policy', () => {
    expect(passwordProblems('a long enough password 1!', defaults, 'alice@example.com')).toEqual([]);
  });

  it('counts code points, not UTF-16 units', () => {
    const policy = { ...defaults, minLength: 8 };
    expect(passwordProblems('😀😀😀😀abc', policy)).toEqual(['must be at least 8 characters']);
    expect(passwordProblems('😀😀😀😀abcd', policy)).toEqual([]);
  });

  it('enforces the maximum (argon2 input is bounded)', () => {
    expect(passwordProblems('x'.repeat(20) + 'y'.repeat(300), defaults)).toEqual(['must be at most 256 characters']);
  });

  it('applies each character class only when required', () => {
    const strict = passwordPolicySchema.parse({
      requireLowercase: true,
      requireUppercase: true,
      requireDigit: true,
      requireSymbol: true,
    });
    expect(passwordProblems('ALLUPPERCASE', strict)).toEqual([
      'must contain a lowercase letter',
      'must contain a digit',
      'must contain a symbol',
    ]);
    expect(passwordProblems('Ünïcode-pässword9', strict)).toEqual([]);
  });

  it('refuses obvious passwords: one repeated character, or the email', () => {
    expect(passwordProblems('aaaaaaaaaaaa', defaults)).toContain('must not be one repeated character');
    expect(passwordProblems('my name is Alice123', defaults, 'alice123@example.com')).toContain(
      'must not contain your email',
    );
    expect(passwordProblems('aaaaaaaaaaaa', { ...defaults, refuseObvious: false })).toEqual([]);
  });

  it('refuses policies weaker than the floor', () => {
    expect(passwordPolicySchema.safeParse({ minLength: 4 }).success).toBe(false);
  });
});
