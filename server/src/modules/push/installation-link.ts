import type { Logger } from 'pino';
import { isError } from '../../errors.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { INSTALLATIONS } from './installations.service.js';
import type { SessionEvent, SessionEvents } from './push.deps.js';

/**
 * Installations follow their device's sign-ins (the auth module's session events, whose
 * `installationId` is the request's `X-Hearth-Installation` header):
 * - a session started or refreshed on a device whose installation is anonymous links it to the
 *   user (`owner`); one that already belongs to this user is left as it is, and one that belongs
 *   to **another** user is never re-linked (re-registering it signed in is the way to move it);
 * - the user's sign-out on that device unlinks it again (anonymous: it keeps receiving pushes
 *   to all / channels, no longer the user's), as Parse does; an installation of another user is
 *   left alone. A sign-out without the header changes nothing.
 * An unknown installation id is ignored. The work runs after the response; `settle()` waits.
 */
export class InstallationLinker {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly d: { store: DocumentStore; logger: Logger }) {}

  attach(events: SessionEvents): void {
    events.on('*', (event) => {
      if (!event.installationId) return;
      const work = this.apply(event).catch((err: unknown) =>
        this.d.logger.warn({ err, appId: event.appId, type: event.type }, 'push: linking an installation failed'),
      );
      this.pending.add(work);
      void work.finally(() => this.pending.delete(work));
    });
  }

  /** Links or unlinks the event's installation; what it did. */
  async apply(event: SessionEvent): Promise<'linked' | 'unlinked' | 'unchanged'> {
    const store = this.d.store.forApp(event.appId);
    const signOut = event.type === 'session.end';
    for (let attempt = 0; attempt < 3; attempt++) {
      const doc = await store.get(INSTALLATIONS, event.installationId!);
      if (!doc || doc.owner !== (signOut ? event.userId : null)) return 'unchanged';
      try {
        // pinned to the version read: a concurrent change (a link by someone else) is seen again
        await store.update(
          INSTALLATIONS,
          doc.id,
          { set: {}, owner: signOut ? null : event.userId },
          { expectedVersion: doc.version },
        );
        return signOut ? 'unlinked' : 'linked';
      } catch (err) {
        if (isError(err, 'not_found')) return 'unchanged';
        if (!isError(err, 'conflict', 'version')) throw err;
      }
    }
    return 'unchanged';
  }

  async settle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
