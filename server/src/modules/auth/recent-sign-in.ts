import { reasonError } from '../../errors.js';
import type { SignedIn } from './auth.types.js';
import type { Sessions } from './sessions.js';

/**
 * How recent a sign-in must be for security-sensitive changes (setting a first password,
 * enrolling or turning off MFA): the session's sign-in time, which a token refresh does not move.
 */
export const REAUTH_WINDOW_SECONDS = 10 * 60;

const reauthenticationRequired = () =>
  reasonError(
    'forbidden',
    'reauthentication_required',
    'Sign in again to do this: your sign-in is too old for a security change.',
    { maxAgeSeconds: REAUTH_WINDOW_SECONDS },
  );

/** Throws `reauthentication_required` unless the caller's session started within the window. */
export async function assertRecentSignIn(
  d: { sessions: Sessions; now: () => Date },
  appId: string,
  who: SignedIn,
): Promise<void> {
  const at = await d.sessions.authenticatedAt(appId, who.sessionId);
  if (!at || at.getTime() < d.now().getTime() - REAUTH_WINDOW_SECONDS * 1000) throw reauthenticationRequired();
}
