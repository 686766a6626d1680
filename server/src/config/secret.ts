import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError } from './data-dir.js';

/**
 * The token signing secret: HEARTH_SECRET when given; otherwise the one generated on first run
 * and persisted as DATA_DIR/secret.key with mode 0600. The file appears complete or not at all
 * (written aside, then hard-linked into place, which fails if it exists), so two processes
 * starting together agree on one and neither can read a half-written file. `dataDir` exists
 * already (prepareDataDir); a secret file that cannot be read or written, or holds too short a
 * secret, is a DataDirError naming DATA_DIR, not a stack trace.
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
  const unusable = (problem: string, e?: unknown) =>
    new DataDirError(dataDir, e ? `${problem} (${(e as Error).message.split(', ')[0]})` : problem);
  const read = (): string | null => {
    let secret: string;
    try {
      secret = readFileSync(file, 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw unusable(`cannot read the signing secret ${JSON.stringify(file)}`, e);
    }
    if (secret.length < 32)
      throw unusable(
        `the signing secret ${JSON.stringify(file)} is shorter than 32 characters; set HEARTH_SECRET, or delete the file to generate a new one (signed-in sessions end)`,
      );
    return secret;
  };
  const existing = read();
  if (existing !== null) return { secret: existing, source: 'file' };

  const secret = randomBytes(48).toString('base64url');
  const aside = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(aside, `${secret}\n`, { mode: 0o600, flag: 'w' });
    chmodSync(aside, 0o600); // whatever the umask
    linkSync(aside, file);
    return { secret, source: 'generated' };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      const other = read();
      if (other !== null) return { secret: other, source: 'file' };
    }
    throw unusable(`cannot write the signing secret ${JSON.stringify(file)}`, e);
  } finally {
    rmSync(aside, { force: true });
  }
}
