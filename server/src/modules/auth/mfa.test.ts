import { describe, expect, it } from 'vitest';
import { findRecoveryCode, matchTotp, newRecoveryCodes, newTotp, SecretBox, totpCode, TOTP_PERIOD } from './mfa.js';

describe('TOTP', () => {
  const { secret, uri } = newTotp('Todos', 'alice@example.com');
  const now = new Date('2026-01-01T12:00:10Z');

  it('gives an otpauth URI authenticator apps read', () => {
    expect(uri).toMatch(/^otpauth:\/\/totp\/Todos:alice%40example\.com\?/);
    expect(uri).toContain(`secret=${secret}`);
    expect(uri).toContain('period=30');
  });

  it('accepts the current code and ±1 step of drift, and says which step matched', () => {
    const step = Math.floor(now.getTime() / 1000 / TOTP_PERIOD);
    expect(matchTotp(secret, totpCode(secret, now), now)).toBe(step);
    expect(matchTotp(secret, totpCode(secret, new Date(now.getTime() - 30_000)), now)).toBe(step - 1);
    expect(matchTotp(secret, totpCode(secret, new Date(now.getTime() + 30_000)), now)).toBe(step + 1);
  });

  it('refuses codes two steps away, other secrets, and malformed input', () => {
    expect(matchTotp(secret, totpCode(secret, new Date(now.getTime() - 90_000)), now)).toBeNull();
    expect(matchTotp(newTotp('x', 'y').secret, totpCode(secret, now), now)).toBeNull();
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456']) expect(matchTotp(secret, bad, now)).toBeNull();
  });
});

describe('recovery codes', () => {
  it('are distinct, stored as hashes, and matched forgivingly (case, spaces)', () => {
    const { codes, hashes } = newRecoveryCodes();
    expect(new Set(codes).size).toBe(10);
    expect(hashes.some((h) => codes.includes(h))).toBe(false);
    expect(findRecoveryCode(hashes, codes[3]!)).toBe(3);
    expect(findRecoveryCode(hashes, ` ${codes[3]!.toUpperCase()} `)).toBe(3);
    expect(findRecoveryCode(hashes, 'aaaaa-aaaaa')).toBe(-1);
  });
});

describe('SecretBox', () => {
  it('round-trips, and refuses tampering or another server secret', () => {
    const box = new SecretBox('s'.repeat(40));
    const sealed = box.seal('JBSWY3DPEHPK3PXP');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed)).toBe('JBSWY3DPEHPK3PXP');
    const parts = sealed.split('.');
    parts[2] = parts[2]!.slice(0, -2) + (parts[2]!.endsWith('A') ? 'BB' : 'AA');
    expect(box.open(parts.join('.'))).toBeNull();
    expect(new SecretBox('t'.repeat(40)).open(sealed)).toBeNull();
    expect(box.open('garbage')).toBeNull();
  });
});
