import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { randomToken } from '../../lib/ids.js';

/**
 * Webhook signing secrets. A secret is shown once, at creation (or rotation), and must stay usable
 * for signing, so it is stored encrypted, not hashed: AES-256-GCM under a key derived from the
 * server's signing secret with HKDF-SHA256 (salt `hearth:webhooks:v1`, info `webhook-secret`),
 * with the (app, webhook) pair as additional authenticated data, so a sealed secret copied onto
 * another webhook does not open. Stored form: `v1.<iv>.<ciphertext>.<tag>` (base64url). Rotating
 * HEARTH_SECRET makes stored webhook secrets unreadable: rotate each webhook's secret after it.
 */
export const SECRET_PREFIX = 'whsec_';

export const newWebhookSecret = (): string => `${SECRET_PREFIX}${randomToken(32)}`;

export class WebhookSecretBox {
  private readonly key: Buffer;

  constructor(serverSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', serverSecret, 'hearth:webhooks:v1', 'webhook-secret', 32));
  }

  seal(plain: string, owner: { appId: string; webhookId: string }): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${owner.appId}/${owner.webhookId}`));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, body, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** The secret, or null when it does not open (another server secret, another webhook). */
  open(sealed: string, owner: { appId: string; webhookId: string }): string | null {
    const [v, iv, body, tag] = sealed.split('.');
    if (v !== 'v1' || !iv || !body || !tag) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(`${owner.appId}/${owner.webhookId}`));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}

/** The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}
