import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The token signing secret: HEARTH_SECRET when given; otherwise the one generated on first run
 * and persisted as DATA_DIR/secret.key with mode 0600 (created exclusively, so two processes
 * starting together agree on one).
 */
export function resolveSigningSecret(
  configured: string | undefined,
  dataDir: string,
): {
  secret: string;
  source: 'environment' | 'file' | 'generated';
} {
  if (configured) return { secret: configured, source: 'environment' };
  const file = join(dataDir, 'secret.key');
  try {
    return { secret: readFileSync(file, 'utf8').trim(), source: 'file' };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return { secret, source: 'generated' };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      return { secret: readFileSync(file, 'utf8').trim(), source: 'file' };
    }
    throw e;
  }
}
