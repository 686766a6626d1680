import type { StoredDocument } from '../../ports/document-store.js';
import type { AuthSettings } from './auth.settings.js';
import type { AuthContext, AuthParts, MfaChallenge, SignIn } from './auth.types.js';
import { mfaOf } from './mfa.js';
import type { SessionEvents } from './session-events.js';
import { toUserView } from './users.repo.js';

/** How long an MFA challenge (the token between the first and the second factor) lives. */
const MFA_CHALLENGE_SECONDS = 300;
/** An impersonation session lasts at most this long, whatever the app's refresh-token lifetime. */
const IMPERSONATION_MAX_SECONDS = 3600;

/**
 * The end of every sign-in: a session with tokens for the user, or first an MFA challenge. Sign-in,
 * mail links, MFA, OAuth and impersonation all finish here, so a session is always started alike.
 */
export class SessionIssuer {
  constructor(
    private readonly d: Pick<AuthParts, 'users' | 'sessions' | 'oneTime' | 'now'> & { sessionEvents?: SessionEvents },
  ) {}

  /** After a first factor: a session, or an MFA challenge when the user enrolled TOTP. */
  async finishFirstFactor(
    ctx: AuthContext,
    s: AuthSettings,
    doc: StoredDocument,
    amr: string[],
  ): Promise<SignIn | MfaChallenge> {
    if (mfaOf(doc).totp) {
      const mfaToken = await this.d.oneTime.issue(
        ctx.appId,
        { purpose: 'mfa', userId: doc.id, data: { amr } },
        MFA_CHALLENGE_SECONDS,
      );
      return { mfaRequired: true, mfaToken, methods: ['totp', 'recovery'] };
    }
    return this.startSession(ctx, s, doc, amr);
  }

  /** A session for a user who signed in (`amr` says how); records the sign-in time. */
  async startSession(ctx: AuthContext, s: AuthSettings, doc: StoredDocument, amr: string[]): Promise<SignIn> {
    const updated = await this.d.users.update(ctx.appId, doc.id, { set: { lastSignInAt: this.d.now().toISOString() } });
    const { sessionId: _sid, ...tokens } = await this.d.sessions.start(ctx.appId, {
      user: sessionUser(doc),
      client: ctx,
      amr,
      ttl: { access: s.accessTokenTtl, refresh: s.refreshTokenTtl },
    });
    this.d.sessionEvents?.emit({
      type: 'session.start',
      appId: ctx.appId,
      userId: doc.id,
      installationId: ctx.installationId ?? null,
    });
    return { user: toUserView(updated), ...tokens };
  }

  /**
   * An admin signs in as the user: the session is marked with the admin's id and lasts at most an
   * hour; the user's last sign-in time stays as it is.
   */
  async startImpersonation(ctx: AuthContext, s: AuthSettings, doc: StoredDocument, adminId: string): Promise<SignIn> {
    const { sessionId: _sid, ...tokens } = await this.d.sessions.startImpersonation(ctx.appId, {
      user: sessionUser(doc),
      client: ctx,
      adminId,
      ttl: { access: s.accessTokenTtl, refresh: Math.min(IMPERSONATION_MAX_SECONDS, s.refreshTokenTtl) },
    });
    return { user: toUserView(doc), ...tokens };
  }
}

const sessionUser = (doc: StoredDocument) => ({ id: doc.id, anonymous: Boolean(doc.anonymous) });
