import { hash, verify } from '@node-rs/argon2';

/**
 * Argon2id with OWASP's current minimum (19 MiB memory, 2 iterations, 1 lane). Verifying against
 * a dummy hash when the account does not exist keeps login timing the same either way.
 */
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string): Promise<string> => hash(password, OPTIONS);

let dummy: Promise<string> | undefined;

export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  if (!stored) {
    dummy ??= hash('not-a-real-password-0000', OPTIONS);
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}
