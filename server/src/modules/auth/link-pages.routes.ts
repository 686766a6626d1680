import express, { type Response, type Router } from 'express';
import { isError, notFound } from '../../errors.js';
import { ID_PATTERN } from '../../lib/ids.js';
import type { AppsService } from '../apps/index.js';
import { clientContext } from './app-user.routes-kit.js';
import type { MailLinksService } from './mail-links.service.js';

/**
 * The pages mail links open when the app has not configured its own (`links` in the auth
 * settings): plain HTML under /v1/apps/{appId}/auth/links/…, reachable from a mail client, so
 * without the app's key. Email verification completes here (opening the link shows a button;
 * the click confirms, so link scanners cannot); a password reset has a plain HTML form here; a
 * magic link needs the app (its page reads `?token=` and calls the JSON confirm route), so its
 * default page says so.
 */
const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem"><h1>${title}</h1>${body}</body></html>`;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Answers with a page (`html` is the body, already escaped where it needs to be). */
const send = (res: Response, status: number, html: string) => void res.status(status).type('html').send(html);

const formValue = (body: unknown, name: string): string => {
  const v = ((body ?? {}) as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : '';
};

export function linkPages(deps: {
  apps: AppsService;
  mailLinks: MailLinksService;
  hitIp: (appId: string, ip: string) => Promise<void>;
}): Router {
  const router = express.Router({ mergeParams: true });
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  router.use(async (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const appId = String((req.params as { appId?: string }).appId ?? '');
    const app = ID_PATTERN.test(appId) ? await deps.apps.find(appId) : null;
    if (!app) return next(notFound('No such app.'));
    res.locals.app = { id: app.id, name: app.name };
    next();
  });
  const appOf = (res: Response) => res.locals.app as { id: string; name: string };

  // Opening the link only shows a button: mail scanners and link previews fetch links with GET,
  // and must not confirm an address on the owner's behalf. The POST (a click) uses the token.
  router.get('/verify', (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const appName = escapeHtml(appOf(res).name);
    send(
      res,
      200,
      page(
        'Confirm your email',
        `<form method="post"><input type="hidden" name="token" value="${escapeHtml(token)}"><p>Confirm this address for ${appName}?</p><p><button type="submit">Confirm my email</button></p></form>`,
      ),
    );
  });

  router.post('/verify', form, async (req, res) => {
    const app = appOf(res);
    const appName = escapeHtml(app.name);
    await deps.hitIp(app.id, req.ip ?? 'unknown');
    try {
      const user = await deps.mailLinks.confirmVerification(app.id, formValue(req.body, 'token'));
      const email = escapeHtml(user.email ?? '');
      send(res, 200, page('Email confirmed', `<p>${email} is confirmed for ${appName}. You can close this page.</p>`));
    } catch (e) {
      if (isError(e, 'conflict')) {
        return send(
          res,
          409,
          page(
            'Address already in use',
            `<p>This address already has an account for ${appName}, so this account cannot take it. Sign in with that account instead.</p>`,
          ),
        );
      }
      if (!isError(e, 'unauthorized')) throw e;
      send(
        res,
        400,
        page(
          'Link not valid',
          `<p>This confirmation link for ${appName} was already used or has expired. Ask the app for a new one.</p>`,
        ),
      );
    }
  });

  const resetForm = (token: string, problem?: string) =>
    page(
      'Choose a new password',
      `${problem ? `<p role="alert">${escapeHtml(problem)}</p>` : ''}<form method="post"><input type="hidden" name="token" value="${escapeHtml(token)}"><p><label>New password<br><input type="password" name="password" autocomplete="new-password" required maxlength="1024"></label></p><p><button type="submit">Change password</button></p></form>`,
    );

  router.get('/reset', (req, res) => {
    send(res, 200, resetForm(typeof req.query.token === 'string' ? req.query.token : ''));
  });

  // A plain HTML form post (no script, no key): the token in the form is the credential.
  router.post('/reset', form, async (req, res) => {
    const token = formValue(req.body, 'token');
    const ctx = clientContext(req, appOf(res));
    await deps.hitIp(ctx.appId, ctx.ip);
    try {
      await deps.mailLinks.confirmReset(ctx, token, formValue(req.body, 'password'));
      send(
        res,
        200,
        page(
          'Password changed',
          '<p>Your password is changed and you are signed out everywhere. Sign in again in the app.</p>',
        ),
      );
    } catch (e) {
      if (isError(e, 'validation_failed')) {
        const fields = (e.details?.fields ?? {}) as Record<string, string>;
        return send(res, 400, resetForm(token, `The password ${fields.password ?? 'is not valid'}.`));
      }
      if (!isError(e, 'unauthorized')) throw e;
      send(
        res,
        400,
        page('Link not valid', '<p>This reset link was already used or has expired. Ask for a new one in the app.</p>'),
      );
    }
  });

  router.get('/magic-link', (_req, res) => {
    const appName = escapeHtml(appOf(res).name);
    send(
      res,
      200,
      page(
        'Sign in',
        `<p>Open this link on the device where you use ${appName}. (The app's developer sets where sign-in links lead in the app's auth settings: <code>links.magicLink</code>.)</p>`,
      ),
    );
  });
  return router;
}
