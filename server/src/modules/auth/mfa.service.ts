import { errors, HearthError, isError, reasonError } from '../../errors.js';
import type { StoredDocument } from '../../ports/document-store.js';
import type { AuthContext, AuthParts, SignedIn, SignIn } from './auth.types.js';
import { findRecoveryCode, matchTotp, mfaOf, newRecoveryCodes, newTotp, noMfa, type SecretBox } from './mfa.js';
import { assertRecentSignIn } from './recent-sign-in.js';
import type { SessionIssuer } from './session-issuer.js';

const wrongCode = () => reasonError('unauthorized', 'invalid_code', 'The code is incorrect.', { field: 'code' });
const totpNotEnabled = () => new HearthError('conflict', 'TOTP is not enabled.');

/**
 * TOTP MFA: enrolment (secret, then a first code turns it on and gives recovery codes), turning it
 * off, new recovery codes, and the second step of a sign-in. Each code is usable once; wrong codes
 * are rate limited per user, counted before the check.
 */
export class MfaService {
  constructor(private readonly d: AuthParts & { box: SecretBox; issuer: SessionIssuer }) {}

  async enrolTotp(ctx: AuthContext, who: SignedIn): Promise<{ secret: string; uri: string }> {
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (doc.anonymous) throw new HearthError('forbidden', 'Anonymous users cannot enrol MFA.');
    if (mfaOf(doc).totp) throw new HearthError('conflict', 'TOTP is already enabled; disable it first.');
    await assertRecentSignIn(this.d, ctx.appId, who);
    const enrolment = newTotp(ctx.appName, String(doc.email ?? doc.id));
    await this.d.users.update(ctx.appId, doc.id, { set: { 'mfa.totpPending': this.d.box.seal(enrolment.secret) } });
    return enrolment;
  }

  async activateTotp(ctx: AuthContext, who: SignedIn, code: string): Promise<{ recoveryCodes: string[] }> {
    const doc = await this.d.users.require(ctx.appId, who.userId);
    const mfa = mfaOf(doc);
    const secret = mfa.totpPending ? this.d.box.open(mfa.totpPending) : null;
    if (!secret) throw new HearthError('conflict', 'Start TOTP enrolment first.');
    await assertRecentSignIn(this.d, ctx.appId, who);
    await this.d.limits.beginMfa(ctx.appId, doc.id);
    const step = matchTotp(secret, code, this.d.now());
    if (step === null) throw wrongCode();
    await this.d.limits.mfaSucceeded(ctx.appId, doc.id);
    const { codes, hashes } = newRecoveryCodes(this.d.box);
    await this.d.users.update(
      ctx.appId,
      doc.id,
      {
        set: {
          mfa: {
            totp: mfa.totpPending ?? null,
            totpPending: null,
            totpLastStep: step,
            recoveryCodes: hashes,
            enabledAt: this.d.now().toISOString(),
          },
        },
      },
      doc.version,
    );
    return { recoveryCodes: codes };
  }

  async disableTotp(ctx: AuthContext, who: SignedIn, code: string): Promise<void> {
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (!mfaOf(doc).totp) throw totpNotEnabled();
    await assertRecentSignIn(this.d, ctx.appId, who);
    await this.checkSecondFactor(ctx, doc, code);
    await this.d.users.update(ctx.appId, doc.id, { set: { mfa: noMfa() } });
  }

  /** New recovery codes (the old ones stop working); needs a current TOTP or recovery code. */
  async regenerateRecoveryCodes(ctx: AuthContext, who: SignedIn, code: string): Promise<{ recoveryCodes: string[] }> {
    const doc = await this.d.users.require(ctx.appId, who.userId);
    if (!mfaOf(doc).totp) throw totpNotEnabled();
    await this.checkSecondFactor(ctx, doc, code);
    const { codes, hashes } = newRecoveryCodes(this.d.box);
    await this.d.users.update(ctx.appId, doc.id, { set: { 'mfa.recoveryCodes': hashes } });
    return { recoveryCodes: codes };
  }

  /** The second step of a sign-in: a TOTP code or a recovery code for the challenge token. */
  async completeMfa(ctx: AuthContext, mfaToken: string, code: string): Promise<SignIn> {
    const s = await this.d.settings.get(ctx.appId);
    const rec = await this.d.oneTime.peek(ctx.appId, mfaToken, 'mfa');
    const doc = rec.userId ? await this.d.users.get(ctx.appId, rec.userId) : null;
    if (!doc || doc.disabledAt || !mfaOf(doc).totp) throw errors.invalidLink();
    const method = await this.checkSecondFactor(ctx, doc, code);
    await this.d.oneTime.consume(ctx.appId, mfaToken, 'mfa');
    const amr = Array.isArray(rec.data.amr) ? (rec.data.amr as string[]) : [];
    return this.d.issuer.startSession(ctx, s, (await this.d.users.get(ctx.appId, doc.id))!, [
      ...amr,
      method === 'totp' ? 'otp' : 'recovery',
      'mfa',
    ]);
  }

  /**
   * Checks a TOTP or recovery code and uses it up (a TOTP step or a recovery code works once: the
   * write is conditional on the version read, so of two parallel uses one wins); returns which it was.
   */
  private async checkSecondFactor(ctx: AuthContext, doc: StoredDocument, code: string): Promise<'totp' | 'recovery'> {
    // Counted before the check, given back on success: parallel guesses all count.
    await this.d.limits.beginMfa(ctx.appId, doc.id);
    const mfa = mfaOf(doc);
    const trimmed = code.trim();
    const use = async (set: Record<string, number | string[]>): Promise<boolean> => {
      try {
        await this.d.users.update(ctx.appId, doc.id, { set }, doc.version);
      } catch (e) {
        if (isError(e, 'conflict')) return false;
        throw e;
      }
      await this.d.limits.mfaSucceeded(ctx.appId, doc.id);
      return true;
    };
    const secret = mfa.totp ? this.d.box.open(mfa.totp) : null;
    if (secret && /^\d{6}$/.test(trimmed)) {
      const step = matchTotp(secret, trimmed, this.d.now());
      if (step !== null && step > (mfa.totpLastStep ?? 0) && (await use({ 'mfa.totpLastStep': step }))) return 'totp';
    } else {
      const codes = mfa.recoveryCodes ?? [];
      const i = findRecoveryCode(this.d.box, codes, trimmed);
      if (i >= 0 && (await use({ 'mfa.recoveryCodes': codes.filter((_, j) => j !== i) }))) return 'recovery';
    }
    throw wrongCode();
  }
}
