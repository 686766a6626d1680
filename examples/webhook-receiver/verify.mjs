import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Checks a `Hearth-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` header.
 * Returns null when the delivery is genuine and fresh, else why not: 'missing signature',
 * 'stale timestamp' (more than `toleranceSeconds` from our clock: a captured delivery replayed
 * later) or 'bad signature' (another secret, or a body changed on the way).
 */
export function signatureProblem(rawBody, header, secret, { toleranceSeconds = 300, now = Date.now() } = {}) {
  const parts = Object.fromEntries(
    String(header ?? '')
      .split(',')
      .map((p) => p.split('=', 2)),
  );
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) return 'missing signature';
  if (Math.abs(now / 1000 - t) > toleranceSeconds) return 'stale timestamp';
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : 'bad signature';
}
