import type { Logger } from 'pino';
import type { JsonValue } from '../../lib/filter/types.js';
import type { Mailer } from '../../ports/mail.js';
import type { AuthSettings, MailKind } from './auth.settings.js';
import type { AuthContext } from './auth.types.js';
import { linkWithToken, renderMail } from './mail.templates.js';
import type { OneTimePurpose, OneTimeTokens } from './one-time-tokens.js';
import type { AuthRateLimits } from './rate-limits.js';

/** Where a link mail goes: the address, the account it is for (null: a magic link that may sign up). */
export interface LinkTarget {
  email: string;
  userId: string | null;
  /** Kept with the token, given back when it is used (a pending upgrade). */
  data?: Record<string, JsonValue>;
}

const PURPOSE: Record<MailKind, OneTimePurpose> = { verify: 'verify', reset: 'reset', 'magic-link': 'magic' };

/**
 * The auth module's mails: a single-use token, the link to the app's page (or Hearth's own) with
 * it, the app's template, the mailer. At most 5 mails per address per hour (silently: the caller's
 * answer must not change).
 */
export class AuthMail {
  constructor(
    private readonly d: {
      mailer: Mailer;
      oneTime: OneTimeTokens;
      limits: AuthRateLimits;
      publicUrl: string;
      logger: Logger;
    },
  ) {}

  /** Issues a token for `kind` (its lifetime from the settings) and mails its link. */
  async sendLink(ctx: AuthContext, s: AuthSettings, kind: MailKind, to: LinkTarget): Promise<void> {
    if (!(await this.d.limits.mayMail(ctx.appId, to.email))) return;
    const ttl = kind === 'verify' ? s.verifyTokenTtl : kind === 'reset' ? s.resetTokenTtl : s.magicLinkTtl;
    const token = await this.d.oneTime.issue(ctx.appId, { purpose: PURPOSE[kind], ...to }, ttl);
    const base =
      (kind === 'verify' ? s.links.verify : kind === 'reset' ? s.links.reset : s.links.magicLink) ??
      `${this.d.publicUrl}/v1/apps/${ctx.appId}/auth/links/${kind}`;
    const rendered = renderMail(kind, s.templates, {
      appName: ctx.appName,
      email: to.email,
      link: linkWithToken(base, token),
      token,
      expiresInMinutes: String(Math.round(ttl / 60)),
    });
    await this.d.mailer.send({
      appId: ctx.appId,
      to: to.email,
      kind,
      ...rendered,
      ...(s.mailFrom ? { from: s.mailFrom } : {}),
    });
  }

  /** `sendLink` for a request whose answer does not depend on the mail (sign-up): failures are logged. */
  async sendLinkOrLog(ctx: AuthContext, s: AuthSettings, kind: MailKind, to: LinkTarget): Promise<void> {
    await this.sendLink(ctx, s, kind, to).catch((err: unknown) => this.failed(err, ctx));
  }

  failed(err: unknown, ctx: AuthContext): void {
    this.d.logger.error({ err, appId: ctx.appId, requestId: ctx.requestId }, 'auth mail could not be sent');
  }
}
