import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 hex: for high-entropy secrets (API keys, refresh tokens) stored hashed at rest. */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Constant-time string comparison. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
