import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { safeEqual, sha256 } from '../../lib/hash.js';
import type { StoredDocument } from '../../ports/document-store.js';

/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s — what every authenticator app speaks) and recovery codes.
 * The TOTP secret is kept encrypted (AES-256-GCM, key derived from the server secret); a code is
 * accepted once (the last used time step is remembered) within ±1 step of clock drift. Recovery
 * codes are random, shown once and stored as an HMAC-SHA256 (`h1:<hex>`) under a key derived
 * (HKDF) from the server secret, so a copy of the database alone does not let anyone search the
 * ~50-bit code space offline. Codes stored by older versions as plain SHA-256 still match.
 */
export const TOTP_PERIOD = 30;

/** A user's `mfa` field as stored (the secrets sealed with SecretBox, the codes hashed). */
export interface MfaState {
  totp?: string | null;
  totpPending?: string | null;
  totpLastStep?: number;
  recoveryCodes?: string[];
  enabledAt?: string;
}

/** No MFA: a new account, or one whose TOTP was turned off or wiped. */
export const noMfa = () => ({ totp: null, totpPending: null, totpLastStep: 0, recoveryCodes: [] as string[] });

export const mfaOf = (doc: StoredDocument): MfaState => (doc.mfa ?? {}) as MfaState;

export function newTotp(issuer: string, label: string): { secret: string; uri: string } {
  const secret = new Secret({ size: 20 });
  const totp = new TOTP({ issuer, label, secret, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD });
  return { secret: secret.base32, uri: totp.toString() };
}

/** The time step a code matches (±1 around now), or null. */
export function matchTotp(secretBase32: string, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = new TOTP({ secret: Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD });
  const delta = totp.validate({ token: code, timestamp: now.getTime(), window: 1 });
  if (delta === null) return null;
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD) + delta;
}

/** A code for a secret at a time (tests, and nothing else in the server). */
export function totpCode(secretBase32: string, at: Date): string {
  return new TOTP({
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD,
  }).generate({
    timestamp: at.getTime(),
  });
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export function newRecoveryCodes(box: SecretBox, count = 10): { codes: string[]; hashes: string[] } {
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = randomBytes(10);
    const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
    codes.push(`${chars.slice(0, 5)}-${chars.slice(5)}`);
  }
  return { codes, hashes: codes.map((c) => box.recoveryCodeHash(c)) };
}

const normaliseRecoveryCode = (code: string): string => code.trim().toLowerCase().replace(/\s+/g, '');

/** The index of the stored hash a recovery code matches (constant time per entry), or -1. */
export function findRecoveryCode(box: SecretBox, hashes: readonly string[], code: string): number {
  const keyed = box.recoveryCodeHash(code);
  // Written before recovery codes were keyed: a bare SHA-256 (replaced on regeneration).
  const legacy = sha256(normaliseRecoveryCode(code));
  let found = -1;
  hashes.forEach((stored, i) => {
    const match = stored.startsWith('h1:') ? safeEqual(stored, keyed) : safeEqual(stored, legacy);
    if (match && found === -1) found = i;
  });
  return found;
}

/** Encrypts small secrets at rest with a key derived from the server secret. */
export class SecretBox {
  private readonly key: Buffer;
  private readonly recoveryKey: Buffer;

  constructor(serverSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', serverSecret, 'hearth:secret-box:v1', 'mfa', 32));
    this.recoveryKey = Buffer.from(hkdfSync('sha256', serverSecret, 'hearth:secret-box:v1', 'recovery-codes', 32));
  }

  /** A recovery code as stored: `h1:` + HMAC-SHA256 (derived key) of the normalised code. */
  recoveryCodeHash(code: string): string {
    return `h1:${createHmac('sha256', this.recoveryKey).update(normaliseRecoveryCode(code)).digest('hex')}`;
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join(
      '.',
    );
  }

  open(sealed: string): string | null {
    const [v, iv, body, tag] = sealed.split('.');
    if (v !== 'v1' || !iv || !body || !tag) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
