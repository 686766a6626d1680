import type { Logger } from 'pino';
import type { StoredDocument } from '../../ports/document-store.js';
import type { AuthParts } from './auth.types.js';
import { noMfa } from './mfa.js';

/**
 * The owner of an address proved it (a magic link, or an OAuth provider's verified email) and it
 * lands on an account whose address was never verified. Whoever made that account did not prove
 * the address, so nothing they set up may survive into the owner's account (no pre-account
 * takeover): the password is cleared, every session ends, outstanding links, codes and MFA
 * challenges are void, identities linked before and any MFA enrolment are dropped. The account
 * (id, profile, documents it owns) is kept; then the address is marked verified.
 */
export class ProvenEmails {
  constructor(private readonly d: Pick<AuthParts, 'users' | 'sessions' | 'oneTime' | 'now'> & { logger: Logger }) {}

  /** The account, verified; when it was not, with its credentials reset first. */
  async claim(appId: string, doc: StoredDocument): Promise<StoredDocument> {
    if (doc.emailVerified) return doc;
    const updated = await this.d.users.update(appId, doc.id, {
      set: {
        emailVerified: true,
        passwordHash: null,
        passwordChangedAt: this.d.now().toISOString(),
        mfa: noMfa(),
      },
    });
    await this.d.sessions.revokeAll(appId, doc.id, 'email_proven');
    await this.d.oneTime.revokeFor(appId, doc.id, ['verify', 'reset', 'magic', 'mfa', 'oauth-code']);
    await this.d.users.dropIdentities(appId, doc.id);
    this.d.logger.info(
      { appId, userId: doc.id },
      'auth: a proven email claimed an unverified account; its credentials were reset',
    );
    return updated;
  }
}
