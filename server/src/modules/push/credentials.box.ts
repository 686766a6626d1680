import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { HearthError } from '../../errors.js';

/**
 * Push credentials at rest: AES-256-GCM under a key derived from the server secret with HKDF
 * (SHA-256, info `hearth push credentials v1`, salt the app id: every app has its own key).
 * A sealed value is `v1.<kid>.<iv>.<tag>.<ciphertext>` (base64url), where `kid` names the
 * secret it was sealed under; `previousSecrets` still open older values, and `rotate` (the admin
 * route) re-seals an app's credentials under the current secret so an old one can be retired.
 * The app id is the additional authenticated data, so a sealed value moved to another app does
 * not open.
 */
const INFO = 'hearth push credentials v1';

const kidOf = (secret: string) => createHash('sha256').update(`push-kid:${secret}`).digest('base64url').slice(0, 8);

export class CredentialBox {
  private readonly secrets: Array<{ kid: string; secret: string }>;

  constructor(secret: string, previousSecrets: readonly string[] = []) {
    this.secrets = [secret, ...previousSecrets].map((s) => ({ kid: kidOf(s), secret: s }));
  }

  private key(secret: string, appId: string): Buffer {
    return Buffer.from(hkdfSync('sha256', secret, appId, INFO, 32));
  }

  seal(appId: string, plain: string): string {
    const { kid, secret } = this.secrets[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(secret, appId), iv);
    cipher.setAAD(Buffer.from(appId));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      'v1',
      kid,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      data.toString('base64url'),
    ].join('.');
  }

  open(appId: string, sealed: string): string {
    const [v, kid, iv, tag, data] = sealed.split('.');
    const entry = this.secrets.find((s) => s.kid === kid);
    if (v !== 'v1' || !entry || !iv || !tag || data === undefined) {
      throw new HearthError('internal', 'Stored push credentials cannot be opened with the configured secret.');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key(entry.secret, appId), Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(appId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new HearthError(
        'internal',
        'Stored push credentials cannot be opened with the configured secret.',
        undefined,
        { cause },
      );
    }
  }

  /** Whether `sealed` is under the current secret (else `rotate` re-seals it). */
  current(sealed: string): boolean {
    return sealed.split('.')[1] === this.secrets[0]!.kid;
  }
}

/** What the API shows instead of a credential: a SHA-256 prefix of its secret part. */
export const fingerprint = (secretPart: string): string =>
  `sha256:${createHash('sha256').update(secretPart).digest('hex').slice(0, 16)}`;
