import type { Request } from 'express';
import { EventBus } from '../../lib/event-bus.js';
import { ID_PATTERN } from '../../lib/ids.js';

/**
 * Session events for other modules (push links a device's installation to the user who signs in
 * on it): a session started (sign-up, login, anonymous sign-in, mail link, MFA, OAuth; not an
 * admin's impersonation), refreshed, or ended by the user's sign-out. `installationId` is the
 * request's `X-Hearth-Installation` header (the push installation of the device making the
 * request; null without one, or when it is not an id). Emitted after the session was written.
 */
export const INSTALLATION_HEADER = 'x-hearth-installation';

export interface SessionEvent {
  type: 'session.start' | 'session.refresh' | 'session.end';
  appId: string;
  userId: string;
  installationId: string | null;
  at: string;
}

export class SessionEvents extends EventBus<SessionEvent> {}

export function installationIdOf(req: Request): string | null {
  const value = req.get(INSTALLATION_HEADER);
  return value && ID_PATTERN.test(value) ? value : null;
}
