import { createHmac } from 'node:crypto';
import { safeEqual } from '../../lib/hash.js';

/**
 * Signed download URLs: `…/files/{id}/content?exp=<unix seconds>&sig=<HMAC>`, usable without any
 * header (an <img src>, a shared link). The HMAC-SHA256 covers the app, the file id, the variant
 * (`original` today; thumbnails later) and the expiry, with a key derived from the server's
 * signing secret for this purpose only. A changed id, variant or expiry, or a signature from
 * another file, does not verify; an expired one is refused even when it verifies.
 */
export interface SignedTarget {
  appId: string;
  fileId: string;
  variant: string;
}

export class UrlSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('hearth.files.signed-url.v1').digest();
  }

  sign(target: SignedTarget, expiresAt: number): string {
    return createHmac('sha256', this.key)
      .update(`${target.appId}\n${target.fileId}\n${target.variant}\n${expiresAt}`)
      .digest('base64url');
  }

  /** 'ok', 'invalid' (tampered, another file's) or 'expired' (valid but past its time). */
  verify(target: SignedTarget, exp: string, sig: string, nowMs: number): 'ok' | 'invalid' | 'expired' {
    if (!/^\d{1,12}$/.test(exp)) return 'invalid';
    const expiresAt = Number(exp);
    if (!safeEqual(this.sign(target, expiresAt), sig)) return 'invalid';
    return expiresAt * 1000 <= nowMs ? 'expired' : 'ok';
  }
}
