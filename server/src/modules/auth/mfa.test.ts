import { describe, expect, it } from 'vitest';
import { sha256 } from '../../lib/hash.js';
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
  const box = new SecretBox('s'.repeat(40));
  it('are distinct, stored as hashes, and matched forgivingly (case, spaces)', () => {
    const { codes, hashes } = newRecoveryCodes(box);
    expect(new Set(codes).size).toBe(10);
    expect(hashes.some((h) => codes.includes(h))).toBe(false);
    expect(findRecoveryCode(box, hashes, codes[3]!)).toBe(3);
    expect(findRecoveryCode(box, hashes, ` ${codes[3]!.toUpperCase()} `)).toBe(3);
    expect(findRecoveryCode(box, hashes, 'aaaaa-aaaaa')).toBe(-1);
  });

  it('are keyed by the server secret: not a bare SHA-256, and useless under another secret', () => {
    const { codes, hashes } = newRecoveryCodes(box);
    for (const [i, code] of codes.entries()) {
      expect(hashes[i]).toMatch(/^h1:[0-9a-f]{64}$/);
      expect(hashes[i]).not.toContain(sha256(code));
    }
    expect(findRecoveryCode(new SecretBox('t'.repeat(40)), hashes, codes[0]!)).toBe(-1);
  });

  it('still match codes stored by older versions as a bare SHA-256', () => {
    const legacy = [sha256('abcde-fghjk'), sha256('mnpqr-stuvw')];
    expect(findRecoveryCode(box, legacy, 'MNPQR-STUVW ')).toBe(1);
    expect(findRecoveryCode(box, legacy, 'zzzzz-zzzzz')).toBe(-1);
    // A keyed hash is never compared as a legacy one (nor the reverse).
    expect(findRecoveryCode(box, [`h1:${sha256('abcde-fghjk')}`], 'abcde-fghjk')).toBe(-1);
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
